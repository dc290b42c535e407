import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, IsNull } from 'typeorm';
import { Clock } from '@acs/clock';
import { WriteQueue } from '@acs/database';
import { ConflictError, NotFoundError } from '@acs/http';
import type { StaffRole } from './roles.js';
import { BrowserSessionEntity } from './signin/sign-in.entities.js';
import { StaffAccountEntity } from './staff-account.entity.js';
import { type IssuedToken, TokenService } from './token.service.js';

@Injectable()
export class StaffService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly writes: WriteQueue,
    private readonly clock: Clock,
    private readonly tokens: TokenService,
  ) {}

  /** Creates the account and its first token (shown once). */
  async create(username: string, role: StaffRole, tokenLabel?: string): Promise<{ staff: StaffAccountEntity; token: IssuedToken }> {
    const staff = await this.writes.transaction(async (m) => {
      if (await m.findOne(StaffAccountEntity, { where: { username } })) {
        throw new ConflictError('staff.username_taken', 'a staff account with this username exists');
      }
      const row: StaffAccountEntity = { id: randomUUID(), username, role, createdAt: this.clock.nowMs(), disabledAt: null };
      await m.insert(StaffAccountEntity, row);
      return row;
    });
    const token = await this.tokens.issueForStaff(staff.id, { label: tokenLabel });
    return { staff, token };
  }

  list(): Promise<StaffAccountEntity[]> {
    return this.dataSource.getRepository(StaffAccountEntity).find({ order: { createdAt: 'ASC' } });
  }

  async get(id: string): Promise<StaffAccountEntity> {
    const row = await this.dataSource.getRepository(StaffAccountEntity).findOne({ where: { id } });
    if (!row) throw new NotFoundError('Staff account', id);
    return row;
  }

  /** Disables the account and revokes its tokens and browser sessions; the row stays for the audit trail's ids. */
  async disable(id: string): Promise<StaffAccountEntity> {
    await this.get(id);
    await this.writes.transaction(async (m) => {
      const now = this.clock.nowMs();
      await m.update(StaffAccountEntity, { id }, { disabledAt: now });
      await this.tokens.revokeAllFor({ staffId: id });
      await m.update(BrowserSessionEntity, { staffId: id, revokedAt: IsNull() }, { revokedAt: now });
    });
    return this.get(id);
  }
}
