import { Injectable, Logger, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, IsNull } from 'typeorm';
import { timeOrderedId } from '@acs/crypto';
import { Clock } from '@acs/clock';
import { AppendTap, WriteQueue } from '@acs/database';
import { ConflictError, NotFoundError } from '@acs/http';
import { DoorAlarmEntity, type AlarmKind, type AlarmState } from './entities.js';
import { MonitorBus } from './monitor.js';

export interface RaiseAlarm {
  kind: AlarmKind;
  siteId: string;
  zoneId?: string | null;
  doorId?: string | null;
  controllerId?: string | null;
  attemptId?: string | null;
  detail?: string | null;
}

export interface AlarmView {
  id: string;
  kind: AlarmKind;
  state: AlarmState;
  siteId: string;
  zoneId: string | null;
  doorId: string | null;
  controllerId: string | null;
  attemptId: string | null;
  detail: string | null;
  raisedAt: string;
  acknowledgedBy: string | null;
  acknowledgedAt: string | null;
  ackNote: string | null;
}

export function alarmView(a: DoorAlarmEntity): AlarmView {
  return {
    id: a.id,
    kind: a.kind,
    state: a.state,
    siteId: a.siteId,
    zoneId: a.zoneId,
    doorId: a.doorId,
    controllerId: a.controllerId,
    attemptId: a.attemptId,
    detail: a.detail,
    raisedAt: new Date(a.raisedAt).toISOString(),
    acknowledgedBy: a.acknowledgedBy,
    acknowledgedAt: a.acknowledgedAt === null ? null : new Date(a.acknowledgedAt).toISOString(),
    ackNote: a.ackNote,
  };
}

/**
 * Rows a higher lib writes in the transaction that raises a door alarm (the SIEM outbox); a
 * repeat of an open alarm raises nothing. Unconnected, it does nothing.
 */
@Injectable()
export class DoorAlarmTap extends AppendTap<AlarmView> {}

/** Door alarms: persisted when raised, open until a staff member acknowledges them (audited at the route). */
@Injectable()
export class AlarmService {
  private readonly logger = new Logger('Alarms');

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly writes: WriteQueue,
    private readonly clock: Clock,
    private readonly bus: MonitorBus,
    @Optional() private readonly tap?: DoorAlarmTap,
  ) {}

  /**
   * One open alarm per door (or controller) and kind: a door forced open twice before anyone
   * looked is one incident, and the desk should not have to acknowledge it twice.
   */
  async raise(a: RaiseAlarm): Promise<DoorAlarmEntity> {
    const row = await this.writes.transaction(async (m) => {
      const existing = await m.getRepository(DoorAlarmEntity).findOne({
        where: { kind: a.kind, state: 'open', doorId: a.doorId ?? IsNull(), controllerId: a.controllerId ?? IsNull() },
      });
      if (existing && a.kind !== 'door_unreachable') return { row: existing, fresh: false };
      const e = m.getRepository(DoorAlarmEntity).create({
        id: timeOrderedId(),
        kind: a.kind,
        state: 'open',
        siteId: a.siteId,
        zoneId: a.zoneId ?? null,
        doorId: a.doorId ?? null,
        controllerId: a.controllerId ?? null,
        attemptId: a.attemptId ?? null,
        detail: a.detail ?? null,
        raisedAt: this.clock.nowMs(),
        acknowledgedBy: null,
        acknowledgedAt: null,
        ackNote: null,
      });
      await m.getRepository(DoorAlarmEntity).insert(e);
      await this.tap?.append(m, [alarmView(e)]);
      return { row: e, fresh: true };
    });
    if (row.fresh) {
      this.logger.warn(`alarm ${row.row.kind} ${row.row.id} door=${row.row.doorId ?? '-'} controller=${row.row.controllerId ?? '-'}`);
      this.bus.publish({ type: 'alarm', ...this.busFields(row.row) });
    }
    return row.row;
  }

  async list(filter: { state?: AlarmState; siteId?: string; doorId?: string; limit?: number }): Promise<AlarmView[]> {
    const rows = await this.ds.getRepository(DoorAlarmEntity).find({
      where: {
        ...(filter.state ? { state: filter.state } : {}),
        ...(filter.siteId ? { siteId: filter.siteId } : {}),
        ...(filter.doorId ? { doorId: filter.doorId } : {}),
      },
      order: { raisedAt: 'DESC', id: 'DESC' },
      take: Math.min(filter.limit ?? 200, 1000),
    });
    return rows.map(alarmView);
  }

  async get(id: string): Promise<AlarmView> {
    const row = await this.ds.getRepository(DoorAlarmEntity).findOne({ where: { id } });
    if (!row) throw new NotFoundError('Alarm', id);
    return alarmView(row);
  }

  async acknowledge(id: string, staffId: string | null, note: string | null): Promise<AlarmView> {
    const row = await this.writes.transaction(async (m) => {
      const repo = m.getRepository(DoorAlarmEntity);
      const e = await repo.findOne({ where: { id } });
      if (!e) throw new NotFoundError('Alarm', id);
      if (e.state === 'acknowledged') throw new ConflictError('alarm.already_acknowledged', `alarm ${id} was acknowledged already`);
      e.state = 'acknowledged';
      e.acknowledgedBy = staffId;
      e.acknowledgedAt = this.clock.nowMs();
      e.ackNote = note;
      await repo.save(e);
      return e;
    });
    this.bus.publish({ type: 'alarm_acknowledged', ...this.busFields(row) });
    return alarmView(row);
  }

  private busFields(a: DoorAlarmEntity) {
    return {
      id: a.id,
      kind: a.kind,
      at: a.raisedAt,
      siteId: a.siteId,
      zoneId: a.zoneId,
      doorId: a.doorId,
      controllerId: a.controllerId,
      attemptId: a.attemptId,
    };
  }
}
