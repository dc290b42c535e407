import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Clock } from '@acs/clock';
import { WriteQueue } from '@acs/database';
import { NotFoundError } from '@acs/http';
import { ErasureJobEntity, type ErasureStep } from '../entities.js';
import type { JobPatch } from './step-runner.js';

/** The erasure job rows (compliance's own table): load and save for the runner and the steps. */
@Injectable()
export class ErasureJobs {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly writes: WriteQueue,
    private readonly clock: Clock,
  ) {}

  async load(id: string): Promise<ErasureJobEntity> {
    const j = await this.ds.getRepository(ErasureJobEntity).findOne({ where: { id } });
    if (!j) throw new NotFoundError('ErasureJob', id);
    return j;
  }

  async save(id: string, patch: JobPatch<ErasureStep> | Partial<ErasureJobEntity>): Promise<void> {
    const p = patch as Partial<ErasureJobEntity>;
    await this.writes.transaction((m) => m.update(ErasureJobEntity, { id }, { ...p, updatedAt: this.clock.nowMs() }));
  }
}
