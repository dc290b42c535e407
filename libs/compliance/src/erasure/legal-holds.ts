import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, IsNull } from 'typeorm';
import type { AuditActor } from '@acs/audit';
import { Clock } from '@acs/clock';
import { WriteQueue } from '@acs/database';
import { ConflictError, NotFoundError } from '@acs/http';
import { PersonDataErasure } from '@acs/registry';
import { ErasureJobEntity, LegalHoldEntity } from '../entities.js';
import type { ActiveHold } from './erasure-policy.js';

/**
 * Legal holds (GDPR Art. 17(3)(b)/(e)): placed and released by compliance staff; the erasure
 * policy reads the unreleased ones. Releasing the last hold of a customer puts its held jobs
 * back to running (the caller advances them).
 */
@Injectable()
export class LegalHolds {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly writes: WriteQueue,
    private readonly clock: Clock,
    private readonly people: PersonDataErasure,
  ) {}

  async place(customerId: string, personId: string | null, reason: string, reference: string, actor: AuditActor): Promise<LegalHoldEntity> {
    await this.people.customer(customerId);
    if (personId) await this.people.customerOf(personId, customerId);
    const hold: LegalHoldEntity = {
      id: randomUUID(),
      customerId,
      personId,
      reason,
      reference,
      placedBy: `${actor.actorType}:${actor.actorId ?? '-'}`,
      placedAt: this.clock.nowMs(),
      releasedBy: null,
      releasedAt: null,
      releaseReason: null,
    };
    await this.writes.transaction((m) => m.insert(LegalHoldEntity, hold));
    return hold;
  }

  /** Returns the hold and the jobs it set running again (none while another hold of the customer stands). */
  async release(holdId: string, reason: string, actor: AuditActor): Promise<{ hold: LegalHoldEntity; resumed: string[] }> {
    const now = this.clock.nowMs();
    const hold = await this.writes.transaction(async (m) => {
      const h = await m.findOne(LegalHoldEntity, { where: { id: holdId } });
      if (!h) throw new NotFoundError('LegalHold', holdId);
      if (h.releasedAt !== null) throw new ConflictError('compliance.hold_released', 'the legal hold was already released');
      h.releasedAt = now;
      h.releasedBy = `${actor.actorType}:${actor.actorId ?? '-'}`;
      h.releaseReason = reason;
      await m.save(LegalHoldEntity, h);
      const others = await m.count(LegalHoldEntity, { where: { customerId: h.customerId, releasedAt: IsNull() } });
      if (others === 0) await m.update(ErasureJobEntity, { customerId: h.customerId, state: 'held' }, { state: 'running', updatedAt: now });
      return h;
    });
    const running = await this.ds.getRepository(ErasureJobEntity).find({ where: { customerId: hold.customerId, state: 'running' }, select: { id: true } });
    return { hold, resumed: running.map((j) => j.id) };
  }

  async list(customerId?: string): Promise<LegalHoldEntity[]> {
    return this.ds.getRepository(LegalHoldEntity).find({ where: customerId ? { customerId } : {}, order: { placedAt: 'DESC' } });
  }

  /** The customer's unreleased holds (the policy picks those that apply to a job). */
  async active(customerId: string): Promise<ActiveHold[]> {
    const rows = await this.ds.getRepository(LegalHoldEntity).find({ where: { customerId, releasedAt: IsNull() }, select: { id: true, personId: true } });
    return rows.map((h) => ({ id: h.id, personId: h.personId }));
  }
}
