import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { epochMs } from '@acs/database';
import type { AccessCredential, AccessDirection, AccessEventKind, AccessResult } from './model.js';

/**
 * One access event: append-only, identifiers only (no names, no biometric data). No foreign
 * keys on purpose: history must outlive registry changes (a door removed, a reader replaced) and
 * the erasure issue decides what happens to a customer's rows.
 *
 * Indexes serve keyset paging newest first (`occurred_at DESC, id DESC`) per customer, person
 * and door, and the chain walk per customer (`chain_id, seq`).
 */
@Entity('access_event')
@Index('uq_access_event_chain_seq', ['chainId', 'seq'], { unique: true })
@Index('idx_access_event_customer_time', ['customerId', 'occurredAt', 'id'])
@Index('idx_access_event_person_time', ['personId', 'occurredAt', 'id'])
@Index('idx_access_event_door_time', ['doorId', 'occurredAt', 'id'])
export class AccessEventEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  /** The customer id, or `site:<site id>` for attempts without a customer. */
  @Column({ name: 'chain_id', type: 'varchar', length: 64 })
  chainId!: string;

  @Column({ type: 'integer' })
  seq!: number;

  @Column({ name: 'customer_id', type: 'varchar', length: 36, nullable: true })
  customerId!: string | null;

  @Column({ name: 'person_id', type: 'varchar', length: 36, nullable: true })
  personId!: string | null;

  @Column({ name: 'site_id', type: 'varchar', length: 36 })
  siteId!: string;

  @Column({ name: 'zone_id', type: 'varchar', length: 36, nullable: true })
  zoneId!: string | null;

  @Column({ name: 'door_id', type: 'varchar', length: 36, nullable: true })
  doorId!: string | null;

  @Column({ name: 'reader_id', type: 'varchar', length: 36, nullable: true })
  readerId!: string | null;

  @Column({ type: 'varchar', length: 8 })
  direction!: AccessDirection;

  @Column({ type: 'varchar', length: 8 })
  result!: AccessResult;

  @Column({ type: 'varchar', length: 48 })
  reason!: string;

  @Column({ type: 'varchar', length: 16 })
  kind!: AccessEventKind;

  @Column({ name: 'attempt_id', type: 'varchar', length: 36 })
  attemptId!: string;

  @Column({ name: 'occurred_at', type: 'bigint', transformer: epochMs })
  occurredAt!: number;

  @Column({ name: 'recorded_at', type: 'bigint', transformer: epochMs })
  recordedAt!: number;

  @Column({ name: 'prev_hash', type: 'varchar', length: 64 })
  prevHash!: string;

  @Column({ type: 'varchar', length: 64 })
  hash!: string;

  /** The credential kind of an attempt (issue 17), never a card number; null on follow-ups and older rows. */
  @Column({ type: 'varchar', length: 20, nullable: true })
  credential!: AccessCredential | null;

  /** Decided while the database was unreachable: committed to the instance's spool first, replayed later. */
  @Column({ type: 'boolean', default: false })
  degraded!: boolean;
}

/** Column names in insert order, shared by the fast insert path and the fixture generator. */
export const ACCESS_EVENT_COLUMNS = [
  'id',
  'chain_id',
  'seq',
  'customer_id',
  'person_id',
  'site_id',
  'zone_id',
  'door_id',
  'reader_id',
  'direction',
  'result',
  'reason',
  'kind',
  'attempt_id',
  'occurred_at',
  'recorded_at',
  'prev_hash',
  'hash',
  'credential',
  'degraded',
] as const;

export type AccessEventRow = Record<(typeof ACCESS_EVENT_COLUMNS)[number], string | number | null>;

export function toRow(e: {
  id: string;
  chainId: string;
  seq: number;
  customerId: string | null;
  personId: string | null;
  siteId: string;
  zoneId: string | null;
  doorId: string | null;
  readerId: string | null;
  direction: string;
  result: string;
  reason: string;
  kind: string;
  attemptId: string;
  occurredAt: number;
  recordedAt: number;
  prevHash: string;
  hash: string;
  credential: string | null;
  degraded?: boolean;
}): (string | number | null)[] {
  return [
    e.id,
    e.chainId,
    e.seq,
    e.customerId,
    e.personId,
    e.siteId,
    e.zoneId,
    e.doorId,
    e.readerId,
    e.direction,
    e.result,
    e.reason,
    e.kind,
    e.attemptId,
    e.occurredAt,
    e.recordedAt,
    e.prevHash,
    e.hash,
    e.credential,
    // 1/0: better-sqlite3 binds no booleans, and PostgreSQL reads '1'/'0' as boolean input.
    e.degraded === true ? 1 : 0,
  ];
}
