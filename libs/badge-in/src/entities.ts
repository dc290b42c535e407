import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { bigintAsNumber, epochMs } from '@acs/database';

export const ALARM_KINDS = ['forced_open', 'held_open', 'tamper', 'door_unreachable'] as const;
export type AlarmKind = (typeof ALARM_KINDS)[number];
export const ALARM_STATES = ['open', 'acknowledged'] as const;
export type AlarmState = (typeof ALARM_STATES)[number];

/** A door or controller alarm for the security desk; stays open until staff acknowledge it. */
@Entity('door_alarm')
@Index('idx_door_alarm_state_raised', ['state', 'raisedAt'])
@Index('idx_door_alarm_site', ['siteId'])
export class DoorAlarmEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ type: 'varchar', length: 24 })
  kind!: AlarmKind;

  @Column({ type: 'varchar', length: 16 })
  state!: AlarmState;

  @Column({ name: 'site_id', type: 'varchar', length: 36 })
  siteId!: string;

  @Column({ name: 'zone_id', type: 'varchar', length: 36, nullable: true })
  zoneId!: string | null;

  /** Null for a controller-level alarm (enclosure tamper). */
  @Column({ name: 'door_id', type: 'varchar', length: 36, nullable: true })
  doorId!: string | null;

  @Column({ name: 'controller_id', type: 'varchar', length: 36, nullable: true })
  controllerId!: string | null;

  /** The access attempt it concerns (door unreachable after a grant). */
  @Column({ name: 'attempt_id', type: 'varchar', length: 36, nullable: true })
  attemptId!: string | null;

  @Column({ type: 'varchar', length: 255, nullable: true })
  detail!: string | null;

  @Column({ name: 'raised_at', type: 'bigint', transformer: epochMs })
  raisedAt!: number;

  @Column({ name: 'acknowledged_by', type: 'varchar', length: 36, nullable: true })
  acknowledgedBy!: string | null;

  @Column({ name: 'acknowledged_at', type: 'bigint', transformer: epochMs, nullable: true })
  acknowledgedAt!: number | null;

  @Column({ name: 'ack_note', type: 'varchar', length: 500, nullable: true })
  ackNote!: string | null;
}

/**
 * The newest controller event sequence the server has handled, per controller: restored into the
 * door command service at start-up so events replayed after a server restart are not handled twice.
 */
@Entity('controller_event_sequence')
export class ControllerSequenceEntity {
  @PrimaryColumn({ name: 'mqtt_id', type: 'varchar', length: 64 })
  mqttId!: string;

  @Column({ type: 'bigint', transformer: bigintAsNumber })
  epoch!: number;

  @Column({ type: 'integer' })
  seq!: number;

  @Column({ name: 'updated_at', type: 'bigint', transformer: epochMs })
  updatedAt!: number;
}

export const DOOR_OVERRIDE_MODES = ['locked', 'emergency_release'] as const;
export type DoorOverrideMode = (typeof DOOR_OVERRIDE_MODES)[number];

/** A door held locked or released by staff (emergency release of a site or zone), besides the registry. */
@Entity('door_override')
export class DoorOverrideEntity {
  @PrimaryColumn({ name: 'door_id', type: 'varchar', length: 36 })
  doorId!: string;

  @Column({ type: 'varchar', length: 24 })
  mode!: DoorOverrideMode;

  @Column({ name: 'set_by', type: 'varchar', length: 36, nullable: true })
  setBy!: string | null;

  @Column({ name: 'set_at', type: 'bigint', transformer: epochMs })
  setAt!: number;
}

export const BADGE_IN_ENTITIES = [DoorAlarmEntity, ControllerSequenceEntity, DoorOverrideEntity];
