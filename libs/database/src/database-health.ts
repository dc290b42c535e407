import { EventEmitter } from 'node:events';
import { Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Clock, PeriodicJobs } from '@acs/clock';

/**
 * Node socket errors that mean "the database server cannot be reached", as opposed to "it answered
 * and refused this statement" (a constraint, a syntax error): only the first kind puts the server
 * in degraded mode.
 */
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNABORTED']);

/**
 * PostgreSQL SQLSTATEs (Appendix A of the manual) of the same kind: class 08 "Connection
 * Exception", and the server going away under us: 57P01 admin_shutdown, 57P02 crash_shutdown,
 * 57P03 cannot_connect_now (starting up or in recovery).
 */
const SQLSTATE_PREFIXES = ['08'];
const SQLSTATES = new Set(['57P01', '57P02', '57P03']);

/** What node-postgres says when a socket closed under a query or a connect timed out (it sets no code). */
const PG_MESSAGES = [/connection terminated/i, /connection timeout/i, /timeout expired/i, /not queryable/i, /connection error/i];

/**
 * Whether an error from the database driver means the database is unreachable. Looks through
 * TypeORM's `QueryFailedError.driverError` and `cause`. SQLite is a file of this process: its
 * errors are never of this kind (a full or failing disk is not an outage to ride out).
 */
export function isConnectionError(err: unknown, depth = 0): boolean {
  if (!err || typeof err !== 'object' || depth > 3) return false;
  const e = err as { code?: unknown; message?: unknown; driverError?: unknown; cause?: unknown; errors?: unknown };
  const code = typeof e.code === 'string' ? e.code : '';
  if (SOCKET_CODES.has(code) || SQLSTATES.has(code)) return true;
  if (/^[0-9A-Z]{5}$/.test(code) && SQLSTATE_PREFIXES.some((p) => code.startsWith(p))) return true;
  if (!code.startsWith('SQLITE') && typeof e.message === 'string' && PG_MESSAGES.some((m) => m.test(e.message as string))) return true;
  // AggregateError from a connect to several addresses (IPv4 and IPv6 of localhost).
  if (Array.isArray(e.errors) && e.errors.some((x) => isConnectionError(x, depth + 1))) return true;
  return isConnectionError(e.driverError, depth + 1) || isConnectionError(e.cause, depth + 1);
}

export interface DatabaseHealthView {
  degraded: boolean;
  /** Epoch ms of the first connection failure of this outage; null when reachable. */
  since: number | null;
  ageSeconds: number;
}

export interface DatabaseHealthEvents {
  degraded: [since: number];
  recovered: [at: number, downMs: number];
}

const PROBE_EVERY_MS = 1000;
/** While reachable the probe runs less often: writes and reads notice an outage first anyway. */
const HEALTHY_PROBE_EVERY_MS = 5000;
const PROBE_TIMEOUT_MS = 2000;

/**
 * Whether the central database is reachable (docs/failover.md, "Degraded mode"). Degraded from the
 * first connection-class failure any caller reports until the first success; a periodic
 * `SELECT 1` notices the recovery (every second while degraded) and an outage nobody wrote
 * through (every five seconds otherwise). The age comes from the injected clock.
 */
@Injectable()
export class DatabaseHealth extends EventEmitter<DatabaseHealthEvents> implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('DatabaseHealth');
  private since: number | null = null;
  private lastProbe = 0;
  private stopped = false;

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly clock: Clock,
    private readonly jobs: PeriodicJobs,
  ) {
    super();
    this.setMaxListeners(50);
  }

  onApplicationBootstrap(): void {
    if (this.ds.options.type === 'postgres') this.jobs.every({ name: 'database.probe', everyMs: PROBE_EVERY_MS, run: () => this.tick() });
  }

  onModuleDestroy(): void {
    this.stopped = true;
    this.jobs.stop('database.probe');
  }

  get degraded(): boolean {
    return this.since !== null;
  }

  get degradedSince(): number | null {
    return this.since;
  }

  /** Milliseconds since the first failure of this outage; 0 when reachable. */
  ageMs(now = this.clock.nowMs()): number {
    return this.since === null ? 0 : Math.max(0, now - this.since);
  }

  view(): DatabaseHealthView {
    return { degraded: this.degraded, since: this.since, ageSeconds: Math.floor(this.ageMs() / 1000) };
  }

  /** Reports a failed statement; true (and degraded from now, if not already) when it was a connection failure. */
  noteFailure(err: unknown): boolean {
    if (!isConnectionError(err)) return false;
    if (this.since === null) {
      this.since = this.clock.nowMs();
      const code = (err as { code?: unknown }).code;
      this.logger.warn(`database unreachable (${typeof code === 'string' ? code : 'connection lost'}): degraded mode`);
      this.emit('degraded', this.since);
    }
    return true;
  }

  noteSuccess(): void {
    if (this.since === null) return;
    const at = this.clock.nowMs();
    const down = at - this.since;
    this.since = null;
    this.logger.warn(`database reachable again after ${Math.round(down / 1000)} s: degraded mode over`);
    this.emit('recovered', at, down);
  }

  /** One `SELECT 1`, bounded; reports its outcome. */
  async probe(): Promise<boolean> {
    this.lastProbe = this.clock.nowMs();
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.ds.query('SELECT 1'),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(Object.assign(new Error('database probe timed out'), { code: 'ETIMEDOUT' })), PROBE_TIMEOUT_MS);
        }),
      ]);
      if (!this.stopped) this.noteSuccess();
      return true;
    } catch (err) {
      if (!this.stopped) this.noteFailure(err);
      return false;
    } finally {
      clearTimeout(timer);
    }
  }

  private async tick(): Promise<void> {
    if (this.degraded || this.clock.nowMs() - this.lastProbe >= HEALTHY_PROBE_EVERY_MS) await this.probe();
  }
}
