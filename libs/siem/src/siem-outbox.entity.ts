import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { epochMs } from '@acs/database';

/**
 * One security event waiting for the syslog collector. Written in the transaction of the record
 * it reports (audit entry, access event, door alarm), deleted once it has been written to the
 * collector and its connection outlived the confirmation window (docs/siem.md). `seq` orders it.
 * Identifiers and codes only.
 */
@Entity('siem_outbox')
export class SiemOutboxEntity {
  @PrimaryGeneratedColumn({ type: 'integer' })
  seq!: number;

  /** `audit:<id>`, `access:<id>`, `alarm:<id>`: stable across resends, for the SOC to de-duplicate. */
  @Column({ name: 'event_id', type: 'varchar', length: 80 })
  eventId!: string;

  @Column({ type: 'varchar', length: 32 })
  category!: string;

  @Column({ type: 'integer' })
  severity!: number;

  @Column({ type: 'bigint', transformer: epochMs })
  at!: number;

  @Column({ name: 'queued_at', type: 'bigint', transformer: epochMs })
  queuedAt!: number;

  @Column({ type: 'varchar', length: 64 })
  instance!: string;

  @Column({ type: 'varchar', length: 200 })
  summary!: string;

  /** JSON array of [name, value] pairs (the SD-PARAMs). */
  @Column({ type: 'text' })
  fields!: string;
}
