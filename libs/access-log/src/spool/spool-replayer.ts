import { performance } from 'node:perf_hooks';
import { Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy, Optional } from '@nestjs/common';
import { PeriodicJobs } from '@acs/clock';
import { DatabaseHealth } from '@acs/database';
import { AccessLogService } from '../access-log.service.js';
import { AccessLogSpool } from './access-log-spool.js';
import type { EventSpool } from './event-spool.js';

/** Events per central commit during a replay: the access log's own batch size. */
export const REPLAY_BATCH = 500;
const JOB = 'access-log.spool-replay';

export interface ReplayReport {
  written: number;
  skipped: number;
  ms: number;
}

/**
 * Replays an event spool into the central history, oldest first, a batch per commit, each batch
 * deleted from the spool only after its central commit: a crash in between replays it again and
 * the access log skips the ids already present. Stops at the first failure (the database went
 * away again); the next round goes on from there.
 */
export async function replaySpool(
  spool: EventSpool,
  accessLog: Pick<AccessLogService, 'replaySpooled'>,
  opts: { batch?: number; stop?: () => boolean } = {},
): Promise<ReplayReport> {
  const started = performance.now();
  let written = 0;
  let skipped = 0;
  while (spool.size > 0 && !opts.stop?.()) {
    const records = spool.peek(opts.batch ?? REPLAY_BATCH);
    if (records.length === 0) break;
    const r = await accessLog.replaySpooled(records);
    spool.remove(records[records.length - 1].seq);
    written += r.written;
    skipped += r.skipped;
  }
  return { written, skipped, ms: performance.now() - started };
}

/**
 * The server's replay: once the database is reachable again (and every second while events wait,
 * in case a round stopped half-way), the spool is drained into the central history. Appends keep
 * going to the spool until it is empty, so the chains keep the order attempts were decided in.
 */
@Injectable()
export class SpoolReplayer implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('SpoolReplayer');
  private stopped = false;
  /** The last replay that wrote something (for the health view and the benchmark). */
  lastReport: ReplayReport | null = null;

  constructor(
    private readonly accessLog: AccessLogService,
    private readonly jobs: PeriodicJobs,
    @Optional() private readonly handle?: AccessLogSpool,
    @Optional() private readonly health?: DatabaseHealth,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.handle?.spool) return;
    this.jobs.every({ name: JOB, everyMs: 1000, run: () => this.round() });
    this.health?.on('recovered', this.onRecovered);
  }

  onModuleDestroy(): void {
    this.stopped = true;
    this.jobs.stop(JOB);
    this.health?.off('recovered', this.onRecovered);
  }

  private readonly onRecovered = () => void this.jobs.round({ name: JOB, run: () => this.round() });

  /** One replay round; resolves with what it did (null when there was nothing to do). */
  async round(): Promise<ReplayReport | null> {
    const spool = this.handle?.spool;
    if (!spool || spool.size === 0 || this.health?.degraded) return null;
    const waiting = spool.size;
    try {
      const report = await replaySpool(spool, this.accessLog, { stop: () => this.stopped || (this.health?.degraded ?? false) });
      this.lastReport = report;
      const rate = report.ms > 0 ? Math.round((report.written / report.ms) * 1000) : report.written;
      this.logger.warn(`replayed ${report.written} spooled access events (${report.skipped} already recorded) in ${Math.round(report.ms)} ms: ${rate}/s`);
      return report;
    } catch (err) {
      this.health?.noteFailure(err);
      this.logger.warn(`spool replay stopped with ${spool.size} of ${waiting} events left: ${(err as Error).message}`);
      throw err;
    }
  }
}
