import { EventEmitter } from 'node:events';
import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { type AuditEntry, AuditService } from '@acs/audit';
import { Clock, PeriodicJobs } from '@acs/clock';
import { AppConfig } from '@acs/config';
import { type BrokerDenial, type SecurityAggregate, SecurityEventAggregator } from '@acs/mqtt';
import { DoorCommandService } from './door-command.service.js';
import type { SecurityEvent } from './door-command.types.js';

/** Carries the embedded broker's refusals from its options (built before Nest wires anything) to the audit. */
@Injectable()
export class BrokerDenialRelay extends EventEmitter<{ denial: [BrokerDenial] }> {}

/** An alarm once its audit entry is written: the entry's id is the alarm's id on the desk. */
export interface SecurityAlarmRaised {
  id: string;
  at: number;
  count: number;
  windowS: number;
  /** Kind and source of the event that crossed the threshold (codes, as in the event entries). */
  kind: string;
  source: string;
}

/** Audit detail values are identifiers and codes only (assertSafeDetails): free text becomes one. */
function code(text: string): string {
  return text.replace(/[^A-Za-z0-9._:/+-]+/g, '_').slice(0, 80);
}

/**
 * Security events of the MQTT edge into the audit trail: the door command service's (forged
 * MACs, malformed messages, future timestamps, unknown controllers, rejected commands) and the
 * embedded broker's refusals (connections, CONNECT, publish and subscribe ACLs). Aggregated per
 * source and kind (one audit entry with a count per 10 s window), and an alarm (error log line,
 * an audit entry, and `alarms` for the security desk's live monitor) once SECURITY_ALARM_THRESHOLD
 * events arrive within a minute.
 */
@Injectable()
export class MqttSecurityAudit implements OnApplicationBootstrap, OnApplicationShutdown {
  /** Alarms after their audit entry is written (the live monitor passes them to the desk). */
  readonly alarms = new EventEmitter<{ alarm: [SecurityAlarmRaised] }>();
  private readonly logger = new Logger('MqttSecurity');
  private readonly aggregator: SecurityEventAggregator;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly doors: DoorCommandService,
    private readonly relay: BrokerDenialRelay,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    private readonly jobs: PeriodicJobs,
    config: AppConfig,
  ) {
    this.aggregator = new SecurityEventAggregator({ alarmThreshold: config.SECURITY_ALARM_THRESHOLD });
  }

  onApplicationBootstrap(): void {
    this.doors.on('security', this.onSecurity);
    this.relay.on('denial', this.onDenial);
    this.jobs.every({ name: 'door-control.security-audit', everyMs: 1000, run: () => this.flush(false) });
  }

  async onApplicationShutdown(): Promise<void> {
    this.jobs.stop('door-control.security-audit');
    this.doors.off('security', this.onSecurity);
    this.relay.off('denial', this.onDenial);
    this.flush(true);
    await this.writing;
  }

  /** Writes every open aggregate now (tests, shutdown). */
  async flushAll(): Promise<void> {
    this.flush(true);
    await this.writing;
  }

  private readonly onSecurity = (e: SecurityEvent): void => {
    this.note({ source: e.controllerId ?? 'unknown', kind: e.kind, reason: e.reason, topic: e.topic });
  };

  private readonly onDenial = (d: BrokerDenial): void => {
    const source = d.action === 'connection' || d.clientId === '(none)' ? (d.address ?? 'unknown') : d.clientId;
    this.note({ source, kind: `broker-${d.action}`, reason: d.reason, topic: d.topic });
  };

  private note(n: { source: string; kind: string; reason: string; topic?: string }): void {
    const alarm = this.aggregator.note({ source: n.source, kind: n.kind, reason: n.topic ? `${n.reason} (${n.topic})` : n.reason }, this.clock.nowMs());
    if (!alarm) return;
    this.logger.error(
      `SECURITY ALARM: ${alarm.count} MQTT security events within ${alarm.windowMs / 1000} s; see the audit trail (action mqtt.security_event)`,
    );
    const details = { count: alarm.count, windowS: alarm.windowMs / 1000, kind: code(n.kind), source: code(n.source).slice(0, 64) };
    this.write({ actor: { actorType: 'system', actorId: null, role: null }, action: 'mqtt.security_alarm', outcome: 'denied', details }, (row) =>
      this.alarms.emit('alarm', { id: row.id, at: row.at, ...details }),
    );
  }

  private flush(all: boolean): void {
    for (const a of this.aggregator.due(this.clock.nowMs(), all)) this.write(this.record(a));
  }

  private record(a: SecurityAggregate): Parameters<AuditService['record']>[0] {
    return {
      actor: { actorType: 'device', actorId: code(a.source).slice(0, 64), role: null },
      action: 'mqtt.security_event',
      outcome: 'denied',
      details: { kind: code(a.kind), count: a.count, firstAt: a.firstAt, lastAt: a.lastAt, reason: code(a.reason) },
    };
  }

  private write(r: Parameters<AuditService['record']>[0], written?: (row: AuditEntry) => void): void {
    // One at a time and in order; a failed write is logged, never thrown into the MQTT path.
    this.writing = this.writing
      .then(() => this.audit.record(r).then((row) => written?.(row)))
      .catch((err: Error) => this.logger.error(`security event not audited: ${err.message}`));
  }
}
