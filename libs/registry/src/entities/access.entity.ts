import { Column, Entity, Index, JoinColumn, JoinTable, ManyToMany, ManyToOne, PrimaryColumn } from 'typeorm';
import { epochMs } from '@acs/database';
import type { WeeklyWindow } from '@acs/access-rules';
import { CustomerEntity } from './customer.entity.js';
import { DoorEntity } from './device.entity.js';
import { PersonEntity } from './person.entity.js';
import { SiteEntity, ZoneEntity } from './site.entity.js';

const json = <T>() => ({
  to: (v: T) => JSON.stringify(v),
  from: (v: string) => JSON.parse(v) as T,
});

/** Weekly windows in a time zone, with holidays. */
@Entity('schedule')
export class ScheduleEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ type: 'varchar', length: 120, unique: true })
  name!: string;

  @Column({ name: 'time_zone', type: 'varchar', length: 64 })
  timeZone!: string;

  @Column({ type: 'text', transformer: json<WeeklyWindow[]>() })
  windows!: WeeklyWindow[];

  @Column({ type: 'text', transformer: json<string[]>() })
  holidays!: string[];

  @Column({ name: 'holiday_windows', type: 'text', transformer: json<WeeklyWindow[]>() })
  holidayWindows!: WeeklyWindow[];

  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs })
  createdAt!: number;
}

/** A set of zones and doors, opened during a schedule. */
@Entity('access_level')
export class AccessLevelEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ name: 'site_id', type: 'varchar', length: 36 })
  siteId!: string;

  @ManyToOne(() => SiteEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'site_id' })
  site?: SiteEntity;

  @Column({ type: 'varchar', length: 120, unique: true })
  name!: string;

  @Column({ name: 'schedule_id', type: 'varchar', length: 36, nullable: true })
  scheduleId!: string | null;

  @ManyToOne(() => ScheduleEntity, { onDelete: 'RESTRICT', nullable: true })
  @JoinColumn({ name: 'schedule_id' })
  schedule?: ScheduleEntity | null;

  @ManyToMany(() => ZoneEntity)
  @JoinTable({
    name: 'access_level_zone',
    joinColumn: { name: 'access_level_id', referencedColumnName: 'id' },
    inverseJoinColumn: { name: 'zone_id', referencedColumnName: 'id' },
  })
  zones!: ZoneEntity[];

  @ManyToMany(() => DoorEntity)
  @JoinTable({
    name: 'access_level_door',
    joinColumn: { name: 'access_level_id', referencedColumnName: 'id' },
    inverseJoinColumn: { name: 'door_id', referencedColumnName: 'id' },
  })
  doors!: DoorEntity[];

  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs })
  createdAt!: number;
}

/** Gives an access level to a whole customer (personId null) or to one person, for a window. */
@Entity('access_grant')
@Index('idx_grant_customer', ['customerId'])
@Index('idx_grant_person', ['personId'])
export class GrantEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ name: 'access_level_id', type: 'varchar', length: 36 })
  accessLevelId!: string;

  @ManyToOne(() => AccessLevelEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'access_level_id' })
  accessLevel?: AccessLevelEntity;

  @Column({ name: 'customer_id', type: 'varchar', length: 36 })
  customerId!: string;

  @ManyToOne(() => CustomerEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'customer_id' })
  customer?: CustomerEntity;

  @Column({ name: 'person_id', type: 'varchar', length: 36, nullable: true })
  personId!: string | null;

  @ManyToOne(() => PersonEntity, { onDelete: 'CASCADE', nullable: true })
  @JoinColumn({ name: 'person_id' })
  person?: PersonEntity | null;

  @Column({ name: 'valid_from', type: 'bigint', nullable: true, transformer: epochMs })
  validFrom!: number | null;

  @Column({ name: 'valid_until', type: 'bigint', nullable: true, transformer: epochMs })
  validUntil!: number | null;

  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs })
  createdAt!: number;
}
