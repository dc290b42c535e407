import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import { performance } from 'node:perf_hooks';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown, Optional } from '@nestjs/common';
import { Clock, PeriodicJobs } from '@acs/clock';
import { LeaseService } from '@acs/cluster';
import { AppConfig } from '@acs/config';
import { ReadinessRegistry } from '@acs/health';
import { octetFrame } from './rfc5424.js';
import { type MessageSettings, siemMessage } from './siem-message.js';
import { type OutboxSummary, SiemOutbox } from './siem-outbox.js';

/** Messages per write (one TLS write of their frames). */
const BATCH = 200;
/** Written messages awaiting confirmation at most; beyond, the sender waits for the window to pass. */
const WINDOW_MAX = 5000;
const IDLE_MS = 200;
const CONNECT_TIMEOUT_MS = 10_000;
const BACKOFF_MIN_MS = 500;
const BACKOFF_MAX_MS = 10_000;
const LIMITS_EVERY_MS = 10_000;
const LEASE = 'siem.sender';

export type SiemFailure = 'connect' | 'write' | 'closed';

export interface SiemSenderEvents {
  /** Messages written to the collector (resends count again). */
  sent: [number];
  failure: [SiemFailure];
  connected: [boolean];
}

export interface SiemStatus {
  enabled: boolean;
  connected: boolean;
  /** Written on this connection, still in the outbox until the confirmation window passes. */
  unconfirmed: number;
  depth: number;
  oldestAgeSeconds: number;
  overLimit: boolean;
}

/** Exponential backoff with ±20 % jitter, so a cluster's instances do not reconnect in step. */
export function backoffMs(failures: number, random: () => number = Math.random): number {
  const base = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** Math.max(0, failures - 1));
  return Math.round(base * (0.8 + 0.4 * random()));
}

/** Whether the outbox is over SIEM_OUTBOX_MAX rows or SIEM_OUTBOX_MAX_AGE_H hours (docs/siem.md "Back-pressure"). */
export function overLimit(s: OutboxSummary, nowMs: number, maxRows: number, maxAgeMs: number): boolean {
  return s.depth > maxRows || (s.oldestQueuedAt !== null && nowMs - s.oldestQueuedAt > maxAgeMs);
}

/**
 * Sends the outbox to the syslog collector: RFC 5424 messages in RFC 5425 octet-counted frames
 * over TLS, in outbox order, from one instance of a cluster at a time (the `siem.sender` lease).
 *
 * At least once. TLS syslog has no application acknowledgement (RFC 5425 §4.3; RELP exists
 * because of it): a write's callback says the bytes reached the kernel, not the collector. So a
 * written message stays in the outbox for SIEM_CONFIRM_MS while its connection lives on; when the
 * connection is lost, everything still there is written again after the reconnect, in order.
 * The collector may then see a message twice: `eid` in the structured data is stable, and the SOC
 * de-duplicates on it. What it cannot cover: a collector that stalls with the connection open
 * longer than the window and then loses what it had buffered.
 */
@Injectable()
export class SyslogSender implements OnApplicationBootstrap, OnApplicationShutdown {
  readonly events = new EventEmitter<SiemSenderEvents>();
  private readonly logger = new Logger('Siem');
  private socket?: TLSSocket;
  private window: Array<{ seq: number; writtenAt: number }> = [];
  private stopped = false;
  private running?: Promise<void>;
  private wake?: () => void;
  private leaseRenewedAt = -Infinity;
  private limits: { summary: OutboxSummary; over: boolean } = { summary: { depth: 0, oldestQueuedAt: null }, over: false };
  private lastFailure?: string;

  constructor(
    private readonly config: AppConfig,
    private readonly outbox: SiemOutbox,
    private readonly clock: Clock,
    private readonly jobs: PeriodicJobs,
    @Optional() private readonly leases?: LeaseService,
    @Optional() private readonly readiness?: ReadinessRegistry,
  ) {}

  get enabled(): boolean {
    return this.config.siemTarget !== undefined;
  }

  get connected(): boolean {
    return this.socket !== undefined;
  }

  onApplicationBootstrap(): void {
    if (!this.enabled) return;
    // Always up: a collector outage must not take the doors' server out of a load balancer; the
    // detail says how far behind the export is, and the metrics and alert say it louder.
    this.readiness?.register('siem', async () => ({ ...(await this.status()) }));
    this.jobs.every({ name: 'siem.outbox-limits', everyMs: LIMITS_EVERY_MS, run: () => this.checkLimits() });
    this.running = this.run();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    this.jobs.stop('siem.outbox-limits');
    this.wake?.();
    this.drop();
    await this.running;
  }

  async status(): Promise<SiemStatus> {
    await this.checkLimits();
    const { summary, over } = this.limits;
    return {
      enabled: this.enabled,
      connected: this.connected,
      unconfirmed: this.window.length,
      depth: summary.depth,
      oldestAgeSeconds: summary.oldestQueuedAt === null ? 0 : Math.max(0, Math.round((this.clock.nowMs() - summary.oldestQueuedAt) / 1000)),
      overLimit: over,
    };
  }

  /** Reads depth and age; logs once when the outbox goes over its limit and once when it is back under. */
  async checkLimits(): Promise<void> {
    const summary = await this.outbox.summary();
    const over = overLimit(summary, this.clock.nowMs(), this.config.SIEM_OUTBOX_MAX, this.config.SIEM_OUTBOX_MAX_AGE_H * 3_600_000);
    if (over && !this.limits.over)
      this.logger.error(
        `SIEM outbox over its limit: ${summary.depth} events waiting (SIEM_OUTBOX_MAX ${this.config.SIEM_OUTBOX_MAX}, SIEM_OUTBOX_MAX_AGE_H ${this.config.SIEM_OUTBOX_MAX_AGE_H}); nothing is dropped`,
      );
    if (!over && this.limits.over) this.logger.log(`SIEM outbox back under its limit (${summary.depth} waiting)`);
    this.limits = { summary, over };
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      try {
        if (!(await this.holdLease())) {
          this.drop();
          await this.pause(this.config.CLUSTER_LEASE_S * 1000);
          continue;
        }
        const socket = this.socket ?? (await this.connect());
        failures = 0;
        await this.confirm();
        if ((await this.sendSome(socket)) === 0) await this.pause(IDLE_MS);
      } catch (err) {
        if (this.stopped) break;
        failures++;
        this.failed(err as Error);
        await this.pause(backoffMs(failures));
      }
    }
  }

  private async holdLease(): Promise<boolean> {
    if (!this.leases) return true;
    const renewEvery = (this.config.CLUSTER_LEASE_S * 1000) / 3;
    if (performance.now() - this.leaseRenewedAt < renewEvery) return true;
    const held = await this.leases.acquire(LEASE);
    this.leaseRenewedAt = held ? performance.now() : -Infinity;
    return held;
  }

  private connect(): Promise<TLSSocket> {
    const target = this.config.siemTarget!;
    const c = this.config;
    // The configured name, else the URL's host when it is a name: verified against the
    // certificate (node's checkServerIdentity) and sent as SNI (RFC 6066 forbids an IP there).
    const servername = c.SIEM_SERVER_NAME ?? (isIP(target.host) ? undefined : target.host);
    return new Promise((resolve, reject) => {
      let socket: TLSSocket;
      try {
        socket = tlsConnect({
          host: target.host,
          port: target.port,
          servername,
          // Read at every connection, so renewed certificates apply without a restart.
          ca: c.SIEM_CA_FILE ? readFileSync(c.SIEM_CA_FILE) : undefined,
          cert: c.SIEM_CLIENT_CERT_FILE ? readFileSync(c.SIEM_CLIENT_CERT_FILE) : undefined,
          key: c.SIEM_CLIENT_KEY_FILE ? readFileSync(c.SIEM_CLIENT_KEY_FILE) : undefined,
          rejectUnauthorized: true,
          minVersion: 'TLSv1.2', // RFC 5425 §4.2 requires TLS 1.2 support; nothing older is accepted
        });
      } catch (err) {
        reject(Object.assign(err as Error, { siemFailure: 'connect' }));
        return;
      }
      const timer = setTimeout(() => socket.destroy(new Error(`no TLS connection within ${CONNECT_TIMEOUT_MS} ms`)), CONNECT_TIMEOUT_MS);
      socket.once('secureConnect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        socket.setNoDelay(true);
        socket.setKeepAlive(true, 10_000);
        // The collector sends nothing (RFC 5425 is one-way); its end or any error ends the connection.
        socket.on('data', () => undefined);
        socket.on('error', () => undefined);
        socket.on('close', () => {
          if (this.socket !== socket) return;
          this.events.emit('failure', 'closed');
          this.failed(new Error('the collector closed the connection'));
          this.drop();
        });
        this.socket = socket;
        this.lastFailure = undefined;
        this.logger.log(`SIEM collector connected: ${target.host}:${target.port}`);
        this.events.emit('connected', true);
        resolve(socket);
      });
      socket.once('error', (err) => {
        clearTimeout(timer);
        socket.destroy();
        reject(Object.assign(err, { siemFailure: 'connect' }));
      });
    });
  }

  /** Deletes what was written on the live connection longer ago than SIEM_CONFIRM_MS. */
  private async confirm(): Promise<void> {
    const cutoff = performance.now() - this.config.SIEM_CONFIRM_MS;
    const done = this.window.filter((w) => w.writtenAt <= cutoff);
    if (done.length === 0) return;
    await this.outbox.remove(done.map((w) => w.seq));
    const gone = new Set(done.map((w) => w.seq));
    this.window = this.window.filter((w) => !gone.has(w.seq));
  }

  /** Writes the next messages not yet written on this connection; how many. */
  private async sendSome(socket: TLSSocket): Promise<number> {
    if (this.window.length >= WINDOW_MAX) return 0;
    const written = new Set(this.window.map((w) => w.seq));
    // Everything in the outbox is either in the window or not yet written on this connection.
    const fresh = (await this.outbox.head(this.window.length + BATCH)).filter((r) => !written.has(r.seq)).slice(0, BATCH);
    if (fresh.length === 0 || this.socket !== socket) return 0;
    const settings = this.settings();
    const frames = Buffer.concat(fresh.map((r) => octetFrame(siemMessage(r, settings))));
    await new Promise<void>((resolve, reject) => socket.write(frames, (err) => (err ? reject(Object.assign(err, { siemFailure: 'write' })) : resolve())));
    if (this.socket !== socket) throw Object.assign(new Error('the connection closed during the write'), { siemFailure: 'write' });
    const at = performance.now();
    for (const r of fresh) this.window.push({ seq: r.seq, writtenAt: at });
    this.events.emit('sent', fresh.length);
    return fresh.length;
  }

  private settings(): MessageSettings {
    return {
      format: this.config.SIEM_FORMAT,
      facility: this.config.SIEM_FACILITY,
      hostname: this.config.SIEM_HOSTNAME ?? hostname(),
      procId: String(process.pid),
      sdId: `acs@${this.config.SIEM_ENTERPRISE_ID}`,
    };
  }

  /** Ends the connection; whatever it had written and not confirmed is written again on the next. */
  private drop(): void {
    const socket = this.socket;
    this.socket = undefined;
    this.window = [];
    if (socket) {
      socket.destroy();
      this.events.emit('connected', false);
    }
  }

  private failed(err: Error & { siemFailure?: SiemFailure }): void {
    if (err.siemFailure) this.events.emit('failure', err.siemFailure);
    this.drop();
    // One line per distinct failure, not one per retry while the collector stays down.
    const target = `${this.config.siemTarget?.host}:${this.config.siemTarget?.port}`;
    const line = err.siemFailure ? `SIEM collector unreachable (${target}): ${err.message}` : `SIEM export paused: ${err.message}`;
    if (line !== this.lastFailure) this.logger.warn(`${line}; events stay in the outbox and are sent when it is back`);
    this.lastFailure = line;
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      const wake = () => done();
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = wake;
    });
  }
}
