import { Injectable, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, Not, type EntityManager } from 'typeorm';
import { ErasureService, type ErasureParticipant, type ParticipantSubject } from '@acs/compliance';
import type { SealedValue } from '@acs/registry';
import { VisitorEntity, type VisitorStatus } from './visitor.entity.js';
import { visitorRow } from './visitor.service.js';

const FIELDS = [
  ['name', 'nameCt'],
  ['company', 'companyCt'],
  ['email', 'emailCt'],
] as const;

/**
 * The visitors' part in every erasure (compliance's ErasureParticipant port): a visit's erasure
 * (its id is the subject's person id), a person's erasure that names a visit, and a customer's
 * purge clear the visitors' name, company and e-mail and mark the visits `erased`; the rows keep
 * ids and dates. Counted as `visitorRecords` on the certificate.
 */
@Injectable()
export class VisitorErasure implements ErasureParticipant, OnModuleInit {
  readonly count = 'visitorRecords';

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly erasure: ErasureService,
  ) {}

  onModuleInit(): void {
    this.erasure.registerParticipant(this);
  }

  tables(): string[] {
    return [this.ds.getMetadata(VisitorEntity).tableName];
  }

  async sealedValues(subject: ParticipantSubject): Promise<SealedValue[]> {
    const rows = await this.ds.getRepository(VisitorEntity).find({ where: this.where(subject) });
    const out: SealedValue[] = [];
    for (const r of rows) for (const [field, key] of FIELDS) if (r[key] !== null) out.push({ row: visitorRow(r.id), field, ciphertext: r[key]! });
    return out;
  }

  async erase(m: EntityManager, subject: ParticipantSubject, at: number): Promise<number> {
    const r = await m.update(VisitorEntity, this.where(subject), { nameCt: null, companyCt: null, emailCt: null, status: 'erased', erasedAt: at });
    return r.affected ?? 0;
  }

  private where(subject: ParticipantSubject) {
    const notErased = Not('erased') as unknown as VisitorStatus;
    return subject.personId === undefined
      ? { customerId: subject.customerId, status: notErased }
      : { customerId: subject.customerId, id: subject.personId, status: notErased };
  }
}
