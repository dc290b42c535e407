import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import type { CredentialPolicy } from '@acs/access-rules';
import { bigintAsNumber, epochMs } from '@acs/database';
import { SiteEntity, ZoneEntity } from './site.entity.js';

export const READER_MODELS = ['R30x', 'R50x', 'AS608'] as const;
export type ReaderModel = (typeof READER_MODELS)[number];
export const READER_ROLES = ['door', 'enrolment'] as const;
export type ReaderRole = (typeof READER_ROLES)[number];

/** A fingerprint module on a serial port or behind a serial device server. */
@Entity('reader')
@Index('idx_reader_site', ['siteId'])
@Index('uq_reader_host_transport', ['host', 'transport'], { unique: true })
export class ReaderEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ name: 'site_id', type: 'varchar', length: 36 })
  siteId!: string;

  @ManyToOne(() => SiteEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'site_id' })
  site?: SiteEntity;

  @Column({ type: 'varchar', length: 120 })
  name!: string;

  @Column({ type: 'varchar', length: 16 })
  model!: ReaderModel;

  /** `/dev/ttyUSB0`, `/dev/serial/by-id/...` or `tcp://host:port`; unique within its host. */
  @Column({ type: 'varchar', length: 255 })
  transport!: string;

  /** The server instance wired to this reader (its INSTANCE_ID); only that instance opens it. */
  @Column({ type: 'varchar', length: 64, default: 'default' })
  host!: string;

  /**
   * A `tcp://` reader may fail over: when `host` stops renewing the lease of its devices in this
   * group, another instance serving the group opens it. Null: it stays with `host`.
   */
  @Column({ name: 'failover_group', type: 'varchar', length: 64, nullable: true })
  failoverGroup!: string | null;

  /** Module address (datasheet: 32-bit, default 0xFFFFFFFF). */
  @Column({ type: 'bigint', transformer: bigintAsNumber })
  address!: number;

  /** Module password, encrypted under the system data key. */
  @Column({ name: 'password_ct', type: 'text' })
  passwordCt!: string;

  @Column({ type: 'varchar', length: 16 })
  role!: ReaderRole;

  /** Template library size as read from the device (ReadSysPara); null until first contact. */
  @Column({ type: 'integer', nullable: true })
  capacity!: number | null;

  /** Capacity assumed for planning until the device reports its own. */
  @Column({ name: 'declared_capacity', type: 'integer' })
  declaredCapacity!: number;

  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs })
  createdAt!: number;
}

/** A door controller on MQTT; its broker password and signing secret are secrets. */
@Entity('door_controller')
@Index('idx_controller_site', ['siteId'])
export class ControllerEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ name: 'site_id', type: 'varchar', length: 36 })
  siteId!: string;

  @ManyToOne(() => SiteEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'site_id' })
  site?: SiteEntity;

  @Column({ type: 'varchar', length: 120 })
  name!: string;

  /**
   * The server instance that handles this controller's events (its INSTANCE_ID). A door's
   * readers live on the same instance, so the unlock it expects and the door-open it sees meet.
   */
  @Column({ type: 'varchar', length: 64, default: 'default' })
  host!: string;

  /** As for readers: another instance serving this group handles it when `host` is gone. */
  @Column({ name: 'failover_group', type: 'varchar', length: 64, nullable: true })
  failoverGroup!: string | null;

  /** MQTT client id and topic segment: acs/v1/<mqttId>/... */
  @Column({ name: 'mqtt_id', type: 'varchar', length: 64, unique: true })
  mqttId!: string;

  /** Broker password hash in Mosquitto's PBKDF2-SHA512 format, so both brokers can use it. */
  @Column({ name: 'mqtt_password_hash', type: 'text' })
  mqttPasswordHash!: string;

  /** HMAC-SHA256 command-signing secret, encrypted under the system data key. */
  @Column({ name: 'signing_secret_ct', type: 'text' })
  signingSecretCt!: string;

  @Column({ name: 'secrets_rotated_at', type: 'bigint', transformer: epochMs })
  secretsRotatedAt!: number;

  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs })
  createdAt!: number;
}

export const FAIL_MODES = ['secure', 'safe'] as const;
export type FailMode = (typeof FAIL_MODES)[number];

/** A door secures the entry into one zone. */
@Entity('door')
@Index('idx_door_zone', ['zoneId'])
export class DoorEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ name: 'zone_id', type: 'varchar', length: 36 })
  zoneId!: string;

  @ManyToOne(() => ZoneEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'zone_id' })
  zone?: ZoneEntity;

  @Column({ type: 'varchar', length: 120 })
  name!: string;

  @Column({ name: 'entry_reader_id', type: 'varchar', length: 36, nullable: true })
  entryReaderId!: string | null;

  @ManyToOne(() => ReaderEntity, { onDelete: 'RESTRICT', nullable: true })
  @JoinColumn({ name: 'entry_reader_id' })
  entryReader?: ReaderEntity | null;

  @Column({ name: 'exit_reader_id', type: 'varchar', length: 36, nullable: true })
  exitReaderId!: string | null;

  @ManyToOne(() => ReaderEntity, { onDelete: 'RESTRICT', nullable: true })
  @JoinColumn({ name: 'exit_reader_id' })
  exitReader?: ReaderEntity | null;

  /** OSDP card reader outside the door (card_reader.id; checked by the registry, no foreign key). */
  @Column({ name: 'entry_card_reader_id', type: 'varchar', length: 36, nullable: true })
  entryCardReaderId!: string | null;

  @Column({ name: 'exit_card_reader_id', type: 'varchar', length: 36, nullable: true })
  exitCardReaderId!: string | null;

  /** Overrides the zone's credential policy for this door; null = the zone's. */
  @Column({ name: 'credential_policy', type: 'varchar', length: 20, nullable: true })
  credentialPolicy!: CredentialPolicy | null;

  @Column({ name: 'controller_id', type: 'varchar', length: 36, nullable: true })
  controllerId!: string | null;

  @ManyToOne(() => ControllerEntity, { onDelete: 'RESTRICT', nullable: true })
  @JoinColumn({ name: 'controller_id' })
  controller?: ControllerEntity | null;

  /** Relay (and door-contact) channel on the controller, 1-based. */
  @Column({ name: 'relay_channel', type: 'integer' })
  relayChannel!: number;

  @Column({ name: 'held_open_s', type: 'integer' })
  heldOpenSeconds!: number;

  @Column({ name: 'fail_mode', type: 'varchar', length: 8 })
  failMode!: FailMode;

  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs })
  createdAt!: number;
}
