import { Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { type AuditActor, AuditEntryEntity, AuditService } from '@acs/audit';
import { Clock } from '@acs/clock';
import { clusterLock, WriteQueue } from '@acs/database';
import { MqttSecurityAudit, type SecurityAlarmRaised } from '@acs/door-control';
import { ConflictError, NotFoundError } from '@acs/http';
import { MonitorBus } from './monitor.js';

export const SECURITY_ALARM_ACTION = 'mqtt.security_alarm';
export const SECURITY_ALARM_ACK_ACTION = 'mqtt.security_alarm_acknowledge';
/** What the desk lists: older alarms stay in the audit trail, where the auditors read them. */
export const SECURITY_ALARM_RECENT_MS = 24 * 3600_000;
const MAX_LISTED = 500;

export interface SecurityAlarmView {
  /** The id of the alarm's audit entry. */
  id: string;
  at: string;
  count: number;
  windowS: number;
  kind: string;
  source: string;
  state: 'open' | 'acknowledged';
  acknowledgedAt: string | null;
}

function view(e: AuditEntryEntity, ack: AuditEntryEntity | undefined): SecurityAlarmView {
  const d = (e.details ? JSON.parse(e.details) : {}) as Record<string, unknown>;
  return {
    id: e.id,
    at: new Date(e.at).toISOString(),
    count: typeof d.count === 'number' ? d.count : 0,
    windowS: typeof d.windowS === 'number' ? d.windowS : 0,
    // Alarms recorded before the kind and source were added to the entry.
    kind: typeof d.kind === 'string' ? d.kind : 'unknown',
    source: typeof d.source === 'string' ? d.source : 'unknown',
    state: ack ? 'acknowledged' : 'open',
    acknowledgedAt: ack ? new Date(ack.at).toISOString() : null,
  };
}

/**
 * MQTT security alarms for the security desk. The audit trail is their only store: an alarm is
 * its `mqtt.security_alarm` entry, an acknowledgement an `mqtt.security_alarm_acknowledge` entry
 * aimed at it. New alarms go onto the live monitor stream (and through it to the other instances).
 */
@Injectable()
export class SecurityAlarmService implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    private readonly audit: AuditService,
    private readonly writes: WriteQueue,
    private readonly clock: Clock,
    private readonly bus: MonitorBus,
    private readonly security: MqttSecurityAudit,
  ) {}

  onApplicationBootstrap(): void {
    this.security.alarms.on('alarm', this.onAlarm);
  }

  onApplicationShutdown(): void {
    this.security.alarms.off('alarm', this.onAlarm);
  }

  private readonly onAlarm = (a: SecurityAlarmRaised): void => {
    this.bus.publish({ type: 'security_alarm', id: a.id, at: a.at, count: a.count, windowS: a.windowS, kind: a.kind, source: a.source });
  };

  /** The alarms of the last 24 hours, newest first. */
  async recent(): Promise<SecurityAlarmView[]> {
    const rows = await this.audit.find({ action: SECURITY_ALARM_ACTION, from: this.clock.nowMs() - SECURITY_ALARM_RECENT_MS, limit: MAX_LISTED });
    const acks = new Map(
      (
        await this.audit.findTargeting(
          SECURITY_ALARM_ACK_ACTION,
          'audit_entry',
          rows.map((r) => r.id),
        )
      ).map((a) => [a.targetId, a]),
    );
    return rows.map((r) => view(r, acks.get(r.id)));
  }

  /** Once per alarm: the check and the entry are one step, so two desks cannot both acknowledge. */
  async acknowledge(id: string, actor: AuditActor, note: string | null, requestId: string | null): Promise<SecurityAlarmView> {
    const { alarm, ack } = await this.writes.transaction(async (m) => {
      await clusterLock(m, 'audit-chain');
      const alarm = await m.getRepository(AuditEntryEntity).findOne({ where: { id } });
      if (!alarm || alarm.action !== SECURITY_ALARM_ACTION) throw new NotFoundError('Security alarm', id);
      const earlier = await m
        .getRepository(AuditEntryEntity)
        .findOne({ where: { action: SECURITY_ALARM_ACK_ACTION, targetType: 'audit_entry', targetId: id } });
      if (earlier) throw new ConflictError('security_alarm.already_acknowledged', `security alarm ${id} was acknowledged already`);
      const ack = await this.audit.record({
        actor,
        action: SECURITY_ALARM_ACK_ACTION,
        targetType: 'audit_entry',
        targetId: id,
        outcome: 'success',
        requestId,
        ...(note ? { details: { note } } : {}),
      });
      return { alarm, ack };
    });
    const v = view(alarm, ack);
    this.bus.publish({ type: 'security_alarm_acknowledged', id: v.id, at: alarm.at, count: v.count, windowS: v.windowS, kind: v.kind, source: v.source });
    return v;
  }
}
