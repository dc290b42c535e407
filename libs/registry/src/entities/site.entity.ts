import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { epochMs } from '@acs/database';
import type { AntiPassbackMode, CredentialPolicy } from '@acs/access-rules';

@Entity('site')
export class SiteEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ type: 'varchar', length: 120, unique: true })
  name!: string;

  /** IANA zone for schedules at this site. */
  @Column({ name: 'time_zone', type: 'varchar', length: 64 })
  timeZone!: string;

  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs })
  createdAt!: number;
}

export const ZONE_KINDS = ['building', 'floor', 'suite', 'cage', 'shared', 'other'] as const;
export type ZoneKind = (typeof ZONE_KINDS)[number];

/** An area behind doors: building, floor, suite, cage, or a shared area such as a loading dock. */
@Entity('zone')
@Index('idx_zone_site', ['siteId'])
export class ZoneEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ name: 'site_id', type: 'varchar', length: 36 })
  siteId!: string;

  @ManyToOne(() => SiteEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'site_id' })
  site?: SiteEntity;

  @Column({ name: 'parent_zone_id', type: 'varchar', length: 36, nullable: true })
  parentZoneId!: string | null;

  @ManyToOne(() => ZoneEntity, { onDelete: 'RESTRICT', nullable: true })
  @JoinColumn({ name: 'parent_zone_id' })
  parent?: ZoneEntity | null;

  @Column({ type: 'varchar', length: 120 })
  name!: string;

  @Column({ type: 'varchar', length: 16 })
  kind!: ZoneKind;

  @Column({ name: 'anti_passback', type: 'varchar', length: 8 })
  antiPassback!: AntiPassbackMode;

  @Column({ name: 'interlock_group', type: 'varchar', length: 64, nullable: true })
  interlockGroup!: string | null;

  @Column({ name: 'two_person_window_s', type: 'integer', nullable: true })
  twoPersonWindowSeconds!: number | null;

  @Column({ type: 'boolean' })
  lockdown!: boolean;

  /** Which credentials open the zone's doors (a door may override it). */
  @Column({ name: 'credential_policy', type: 'varchar', length: 20, default: 'fingerprint' })
  credentialPolicy!: CredentialPolicy;

  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs })
  createdAt!: number;
}
