import { Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { AUDIT_ENTRY_TARGET, type AuditActor, type AuditEntry, AuditService } from '@acs/audit';
import { Clock } from '@acs/clock';
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

function view(e: AuditEntry, ack: AuditEntry | undefined): SecurityAlarmView {
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
          AUDIT_ENTRY_TARGET,
          rows.map((r) => r.id),
        )
      ).map((a) => [a.targetId, a]),
    );
    return rows.map((r) => view(r, acks.get(r.id)));
  }

  /** Once per alarm: the audit checks and appends as one step, so two desks cannot both acknowledge. */
  async acknowledge(id: string, actor: AuditActor, note: string | null, requestId: string | null): Promise<SecurityAlarmView> {
    const done = await this.audit.recordOnceAgainst(SECURITY_ALARM_ACTION, id, {
      actor,
      action: SECURITY_ALARM_ACK_ACTION,
      outcome: 'success',
      requestId,
      ...(note ? { details: { note } } : {}),
    });
    if (done.outcome === 'no_target') throw new NotFoundError('Security alarm', id);
    if (done.outcome === 'already') throw new ConflictError('security_alarm.already_acknowledged', `security alarm ${id} was acknowledged already`);
    const { target: alarm, entry: ack } = done;
    const v = view(alarm, ack);
    this.bus.publish({ type: 'security_alarm_acknowledged', id: v.id, at: alarm.at, count: v.count, windowS: v.windowS, kind: v.kind, source: v.source });
    return v;
  }
}
