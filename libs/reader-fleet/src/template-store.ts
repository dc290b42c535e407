import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, Not } from 'typeorm';
import { WriteQueue } from '@acs/database';
import { FingerprintTemplateEntity } from './entities.js';
import { TemplateVault } from './template-vault.js';

/** An enrolled finger without its template: what staff views and other contexts may see. */
export interface FingerprintRecord {
  id: string;
  finger: number;
  model: string;
  format: string;
  size: number;
  quality: number;
  enrolledBy: string | null;
  enrolledAt: number;
}

export interface NewTemplate extends FingerprintRecord {
  personId: string;
  customerId: string;
  /** Sealed with {@link TemplateVault.seal}. */
  templateCt: string;
}

/**
 * The server copy of enrolled templates (`fingerprint_template`), for enrolment: this lib owns
 * the table because the reader libraries are planned from it and erasure must delete it in the
 * same transaction as it queues the reader deletes.
 */
@Injectable()
export class TemplateStore {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly writes: WriteQueue,
    private readonly vault: TemplateVault,
  ) {}

  /** The template id of a person's finger, or null when that finger is not enrolled. */
  async idOf(personId: string, finger: number): Promise<string | null> {
    const row = await this.ds.getRepository(FingerprintTemplateEntity).findOne({ where: { personId, finger }, select: { id: true } });
    return row?.id ?? null;
  }

  fingerprintsOf(personId: string): Promise<FingerprintRecord[]> {
    return this.ds.getRepository(FingerprintTemplateEntity).find({
      where: { personId },
      order: { finger: 'ASC' },
      select: { id: true, finger: true, model: true, format: true, size: true, quality: true, enrolledBy: true, enrolledAt: true },
    });
  }

  /** How many fingers each enrolled person of the customer has (people without any are absent). */
  async fingerCountsOfCustomer(customerId: string): Promise<Map<string, number>> {
    const rows = await this.ds
      .getRepository(FingerprintTemplateEntity)
      .createQueryBuilder('t')
      .select('t.person_id', 'personId')
      .addSelect('COUNT(*)', 'n')
      .where('t.customer_id = :customerId', { customerId })
      .groupBy('t.person_id')
      .getRawMany<{ personId: string; n: string | number }>();
    return new Map(rows.map((r) => [r.personId, Number(r.n)]));
  }

  /** Ids of the templates of this size (one format), except `exceptId`: the duplicate check's candidates. */
  async idsOfSize(size: number, exceptId?: string): Promise<string[]> {
    const where = exceptId ? { id: Not(exceptId), size } : { size };
    return (await this.ds.getRepository(FingerprintTemplateEntity).find({ where, select: { id: true } })).map((r) => r.id);
  }

  /** The template in clear (the caller zero-fills it after use), or null when it is gone. */
  async open(id: string): Promise<Buffer | null> {
    const row = await this.ds.getRepository(FingerprintTemplateEntity).findOne({ where: { id }, select: { id: true, templateCt: true } });
    return row ? this.vault.open(row.id, row.templateCt) : null;
  }

  async add(t: NewTemplate): Promise<void> {
    await this.writes.transaction((m) => m.insert(FingerprintTemplateEntity, t));
  }
}
