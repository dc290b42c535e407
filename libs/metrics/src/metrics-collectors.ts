import { performance } from 'node:perf_hooks';
import { Injectable, Logger, type OnApplicationShutdown, type OnModuleInit, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Counter, Gauge } from 'prom-client';
import type { DataSource } from 'typeorm';
import { REASON_FAMILIES } from '@acs/access-rules';
import { AccessLogService } from '@acs/access-log';
import { BadgeInService, type BadgeOutcome } from '@acs/badge-in';
import { CardFleet } from '@acs/card-fleet';
import { Clock } from '@acs/clock';
import { CheckpointService, erasureFigures, type ErasureFigures } from '@acs/compliance';
import { DatabaseHealth, WriteQueue } from '@acs/database';
import { DoorCommandService, type DoorEventRecord, type SecurityEvent } from '@acs/door-control';
import { ReaderManager, readerOutboxSummary } from '@acs/reader-fleet';
import { AppConfig } from '@acs/config';
import { overLimit, siemOutboxSummary, type SiemFailure, SyslogSender } from '@acs/siem';
import { AcsMetrics } from './acs-metrics.js';

/** Every state a gauge reports, so a series is 0 rather than absent (alerts compare with 0). */
const FINGERPRINT_STATES = ['idle', 'connecting', 'ready', 'failed', 'closed', 'disabled'] as const;
const CARD_STATES = ['online', 'offline', 'untrusted'] as const;
const CONTROLLER_STATES = ['online', 'offline', 'unknown'] as const;
const ERASURE_STATES = ['running', 'waiting_for_devices', 'held', 'done'] as const;

/** Several gauges read one query's answer: one query per scrape, not one per gauge. */
function perScrape<T>(read: () => Promise<T>, ttlMs = 1000): () => Promise<T> {
  let cached: { at: number; value: Promise<T> } | undefined;
  return () => {
    const now = performance.now();
    if (!cached || now - cached.at > ttlMs) {
      const value = read();
      cached = { at: now, value };
      value.catch(() => (cached = undefined));
    }
    return cached.value;
  };
}

/**
 * Feeds {@link AcsMetrics} from what the services already tell: their events (badge outcomes,
 * unlocks acknowledged, door messages, security events, reader state changes) and observers
 * (access-log batches, write-queue waits), and reads the gauges from their views when Prometheus
 * scrapes. No service imports this lib; nothing here writes.
 */
@Injectable()
export class MetricsCollectors implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Metrics');
  private readonly stops: Array<() => void> = [];
  private readonly failures: Counter<'gauge'>;
  private readonly siemSent: Counter;
  private readonly siemFailures: Counter<'reason'>;

  constructor(
    private readonly metrics: AcsMetrics,
    private readonly badgeIn: BadgeInService,
    private readonly doors: DoorCommandService,
    private readonly readers: ReaderManager,
    private readonly cards: CardFleet,
    private readonly accessLog: AccessLogService,
    private readonly writes: WriteQueue,
    private readonly clock: Clock,
    @InjectDataSource() private readonly ds: DataSource,
    private readonly config: AppConfig,
    private readonly siem: SyslogSender,
    @Optional() private readonly checkpoints?: CheckpointService,
    @Optional() private readonly health?: DatabaseHealth,
  ) {
    this.failures = new Counter({
      name: 'acs_metrics_gauge_failures_total',
      help: 'Scrape-time gauges that could not be read (their series are left out of that scrape)',
      labelNames: ['gauge'] as const,
      registers: [metrics.registry],
    });
    this.siemSent = new Counter({
      name: 'acs_siem_messages_sent_total',
      help: 'SIEM export: syslog messages written to the collector (a resend after a lost connection counts again)',
      registers: [metrics.registry],
    });
    this.siemFailures = new Counter({
      name: 'acs_siem_send_failures_total',
      help: 'SIEM export: failed connections (connect), writes (write) and connections the collector closed (closed)',
      labelNames: ['reason'] as const,
      registers: [metrics.registry],
    });
    for (const reason of ['connect', 'write', 'closed'] as const) this.siemFailures.inc({ reason }, 0);
    this.defineGauges();
  }

  onModuleInit(): void {
    const m = this.metrics;
    const onBadge = (o: BadgeOutcome) => {
      const result = o.decision.granted ? 'granted' : 'denied';
      m.badgeAttempts.inc({ result, reason: o.decision.reason, family: REASON_FAMILIES[o.decision.reason], credential: o.credential });
      m.badgeDecision.observe({ result }, seconds(o.decidedAt - o.searchAt));
    };
    const onUnlockAcked = (e: { decidedAt: number; ackedAt: number }) => m.badgeUnlock.observe(seconds(e.ackedAt - e.decidedAt));
    const onMessage = (e: { kind: string }) => m.mqttMessages.inc({ kind: e.kind });
    const onSecurity = (e: SecurityEvent) => m.mqttSecurityEvents.inc({ kind: e.kind });
    const onDoorEvent = (e: DoorEventRecord) => m.doorEvents.inc({ type: e.type });
    const onReaderState = (e: { to: string }) => m.readerTransitions.inc({ to: e.to });
    this.badgeIn.on('badge', onBadge);
    this.badgeIn.on('unlock-acked', onUnlockAcked);
    this.doors.on('message', onMessage);
    this.doors.on('security', onSecurity);
    this.doors.on('door-event', onDoorEvent);
    this.readers.on('state', onReaderState);
    const onSiemSent = (n: number) => this.siemSent.inc(n);
    const onSiemFailure = (reason: SiemFailure) => this.siemFailures.inc({ reason });
    this.siem.events.on('sent', onSiemSent);
    this.siem.events.on('failure', onSiemFailure);
    // Degraded mode (docs/failover.md): 1 from the first unreachable statement to the first success.
    const onDegraded = () => m.degraded.set(1);
    const onRecovered = () => m.degraded.set(0);
    m.degraded.set(this.health?.degraded ? 1 : 0);
    this.health?.on('degraded', onDegraded);
    this.health?.on('recovered', onRecovered);
    this.stops.push(
      () => this.health?.off('degraded', onDegraded),
      () => this.health?.off('recovered', onRecovered),
      () => this.badgeIn.off('badge', onBadge),
      () => this.badgeIn.off('unlock-acked', onUnlockAcked),
      () => this.doors.off('message', onMessage),
      () => this.doors.off('security', onSecurity),
      () => this.doors.off('door-event', onDoorEvent),
      () => this.readers.off('state', onReaderState),
      () => this.siem.events.off('sent', onSiemSent),
      () => this.siem.events.off('failure', onSiemFailure),
      this.accessLog.observeBatches((size, ms) => {
        m.accessLogBatchSize.observe(size);
        m.accessLogCommit.observe(seconds(ms));
      }),
      this.writes.observeWaits((ms) => m.writeQueueWait.observe(seconds(ms))),
    );
  }

  onApplicationShutdown(): void {
    for (const stop of this.stops.splice(0)) stop();
  }

  private defineGauges(): void {
    const erasures = perScrape(() => erasureFigures(this.ds));
    const outbox = perScrape(() => readerOutboxSummary(this.ds));

    this.gauge(
      'acs_readers',
      'Readers by kind (fingerprint, card) and state; fingerprint readers and OSDP buses this instance serves',
      ['kind', 'state'],
      (g) => {
        for (const s of FINGERPRINT_STATES) g.set({ kind: 'fingerprint', state: s }, 0);
        for (const r of this.readers.list()) g.inc({ kind: 'fingerprint', state: r.state });
        for (const s of CARD_STATES) g.set({ kind: 'card', state: s }, 0);
        for (const r of this.cards.list()) g.inc({ kind: 'card', state: !r.trusted ? 'untrusted' : r.online ? 'online' : 'offline' });
      },
    );
    this.gauge('acs_controllers', 'Door controllers in the registry by status as this instance sees it (retained MQTT status)', ['state'], async (g) => {
      const topology = await this.badgeIn.wiring();
      for (const s of CONTROLLER_STATES) g.set({ state: s }, 0);
      for (const mqttId of topology.controllers.keys()) g.inc({ state: this.doors.status(mqttId) });
    });
    this.gauge('acs_reader_outbox_pending_ops', 'Reader library operations waiting in the outbox (all readers, cluster-wide)', [], async (g) => {
      g.set((await outbox()).pending);
    });
    this.gauge('acs_reader_outbox_oldest_age_seconds', 'Age of the oldest pending reader library operation (0 when none waits)', [], async (g) => {
      const { oldestQueuedAt } = await outbox();
      g.set(oldestQueuedAt === null ? 0 : Math.max(0, (this.clock.nowMs() - oldestQueuedAt) / 1000));
    });
    const siem = perScrape(() => siemOutboxSummary(this.ds));
    this.gauge('acs_siem_outbox_depth', 'SIEM export: security events waiting in the outbox (cluster-wide; 0 with the export off)', [], async (g) => {
      g.set((await siem()).depth);
    });
    this.gauge('acs_siem_outbox_oldest_age_seconds', 'SIEM export: age of the oldest waiting security event (0 when none waits)', [], async (g) => {
      const { oldestQueuedAt } = await siem();
      g.set(oldestQueuedAt === null ? 0 : Math.max(0, (this.clock.nowMs() - oldestQueuedAt) / 1000));
    });
    this.gauge(
      'acs_siem_outbox_over_limit',
      'SIEM export: 1 while the outbox is over SIEM_OUTBOX_MAX or SIEM_OUTBOX_MAX_AGE_H (nothing is dropped)',
      [],
      async (g) => {
        g.set(overLimit(await siem(), this.clock.nowMs(), this.config.SIEM_OUTBOX_MAX, this.config.SIEM_OUTBOX_MAX_AGE_H * 3_600_000) ? 1 : 0);
      },
    );
    this.gauge('acs_siem_connected', 'SIEM export: 1 while this instance holds a TLS connection to the collector (one instance sends), else 0', [], (g) =>
      g.set(this.siem.connected ? 1 : 0),
    );
    this.gauge('acs_access_log_pending_events', 'Access events accepted but not yet committed', [], (g) => g.set(this.accessLog.pending));
    this.gauge('acs_erasure_jobs', 'Erasure jobs by state', ['state'], async (g) => {
      const f: ErasureFigures = await erasures();
      for (const s of ERASURE_STATES) g.set({ state: s }, f.jobs[s] ?? 0);
    });
    this.gauge('acs_erasure_waiting_oldest_age_seconds', 'Age of the oldest erasure job waiting for offline readers (0 when none waits)', [], async (g) => {
      const { oldestWaitingCreatedAt } = await erasures();
      g.set(oldestWaitingCreatedAt === null ? 0 : Math.max(0, (this.clock.nowMs() - oldestWaitingCreatedAt) / 1000));
    });
    this.gauge('acs_erasure_certificates', 'Erasure certificates issued', [], async (g) => g.set((await erasures()).certificates));
    this.gauge(
      'acs_evidence_checkpoint_ok',
      'The start-up verification of the chains against the newest signed checkpoint: 1 passed (or no checkpoint yet), 0 failed (database older or signature invalid); absent until it ran',
      [],
      (g) => {
        const startup = this.checkpoints?.status().startup;
        if (startup) g.set(startup.ok ? 1 : 0);
      },
    );
    this.gauge('acs_evidence_checkpoints_paused', 'Signed checkpoints paused after a failed verification (1) or running (0)', [], (g) => {
      if (this.checkpoints) g.set(this.checkpoints.status().paused ? 1 : 0);
    });
  }

  /** A gauge read at scrape time; a failed read leaves its series out of that scrape and is counted. */
  private gauge(name: string, help: string, labelNames: string[], read: (g: Gauge<string>) => void | Promise<void>): void {
    const failures = this.failures;
    const logger = this.logger;
    new Gauge({
      name,
      help,
      labelNames,
      registers: [this.metrics.registry],
      async collect() {
        this.reset();
        try {
          await read(this);
        } catch (err) {
          this.reset();
          failures.inc({ gauge: name });
          logger.warn(`metric ${name} could not be read: ${(err as Error).message}`);
        }
      },
    });
  }
}

function seconds(ms: number): number {
  return Math.max(0, ms) / 1000;
}
