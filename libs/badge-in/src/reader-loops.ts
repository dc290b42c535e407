import { FingerprintError, FingerprintErrorCode, type FingerprintReader } from '@acs/fingerprint';
import { basePollPeriodMs, maxPollPeriodMs, type PollPolicy } from './poll-cost.js';

/** What the loops need of the reader fleet (ReaderManager in production, a fake in unit tests). */
export interface LoopReaders {
  readonly enabled: boolean;
  has(readerId: string): boolean;
  isReady(readerId: string): boolean;
  withReader<T>(readerId: string, job: (reader: FingerprintReader) => Promise<T>): Promise<T>;
}

export type SearchHit = { pageId: number; score: number } | null;

/** What one identification poll saw. */
type PollResult =
  { kind: 'idle' } | { kind: 'still-placed' } | { kind: 'lifted' } | { kind: 'bad-image' } | { kind: 'search'; hit: SearchHit; searchAt: number };

interface Loop {
  readerId: string;
  timer?: NodeJS.Timeout;
  delayMs: number;
  awaitingLift: boolean;
  stopped: boolean;
  polls: number;
  badges: number;
  lastError: string | null;
}

export interface LoopStats {
  polls: number;
  badges: number;
  lastError: string | null;
}

/** A reader that failed or is down is tried again after this many base periods (or at once on `ready`). */
const RETRY_FACTOR = 4;

/**
 * One identification loop per door reader: GenImg every poll period, and with a finger
 * Img2Tz + Search, whose result goes to `onSearch` (the decision). The period runs from the start
 * of one poll to the start of the next, so it is what a finger waits at most before it is looked
 * at and what the polls cost the line ({@link basePollPeriodMs}: the configured interval, longer
 * if the line-share bound says so). An idle reader may back off (`idleBackoff`; off by default:
 * the wait adds to every badge-in that starts on an idle reader, which is most of them). A
 * finger left on the sensor badges once; a reader that is down is retried after a few periods,
 * or at once when the fleet says it is ready.
 */
export class ReaderLoops {
  private readonly loops = new Map<string, Loop>();
  private stopped = false;
  private readonly basePeriodMs: number;
  private readonly idlePeriodMs: number;

  constructor(
    private readonly readers: LoopReaders,
    policy: PollPolicy,
    private readonly onSearch: (readerId: string, hit: SearchHit, searchAt: number) => void,
    private readonly logger: { debug(message: string): void },
  ) {
    this.basePeriodMs = basePollPeriodMs(policy);
    this.idlePeriodMs = maxPollPeriodMs(policy);
  }

  /** The period between polls of an active reader (milliseconds). */
  get periodMs(): number {
    return this.basePeriodMs;
  }

  get size(): number {
    return this.loops.size;
  }

  stats(readerId: string): LoopStats | undefined {
    const loop = this.loops.get(readerId);
    return loop ? { polls: loop.polls, badges: loop.badges, lastError: loop.lastError } : undefined;
  }

  /** Starts loops for new door readers and stops those of readers no longer wired. */
  sync(readerIds: Iterable<string>): void {
    if (this.stopped || !this.readers.enabled) return;
    const wanted = new Set(readerIds);
    for (const readerId of wanted) {
      if (this.loops.has(readerId)) continue;
      const loop: Loop = { readerId, delayMs: this.basePeriodMs, awaitingLift: false, stopped: false, polls: 0, badges: 0, lastError: null };
      this.loops.set(readerId, loop);
      this.schedule(loop, 0);
    }
    for (const [readerId, loop] of this.loops) {
      if (!wanted.has(readerId)) {
        this.stopLoop(loop);
        this.loops.delete(readerId);
      }
    }
  }

  /** The fleet reconnected the reader: poll now instead of at the end of the backoff. */
  ready(readerId: string): void {
    const loop = this.loops.get(readerId);
    if (loop) {
      loop.awaitingLift = false;
      this.schedule(loop, 0);
    }
  }

  stop(): void {
    this.stopped = true;
    for (const loop of this.loops.values()) this.stopLoop(loop);
    this.loops.clear();
  }

  private stopLoop(loop: Loop): void {
    loop.stopped = true;
    clearTimeout(loop.timer);
  }

  private schedule(loop: Loop, delayMs: number): void {
    if (loop.stopped || this.stopped) return;
    clearTimeout(loop.timer);
    loop.timer = setTimeout(() => void this.poll(loop), delayMs);
  }

  private async poll(loop: Loop): Promise<void> {
    loop.timer = undefined;
    if (loop.stopped || this.stopped) return;
    const startedAt = performance.now();
    const retry = this.basePeriodMs * RETRY_FACTOR;
    if (!this.readers.has(loop.readerId) || !this.readers.isReady(loop.readerId)) {
      // The manager reconnects on its own; 'ready' reschedules at once.
      this.schedule(loop, retry);
      return;
    }
    loop.polls++;
    let result: PollResult;
    try {
      result = await this.readers.withReader(loop.readerId, (r) => this.pollOnce(r, loop));
      loop.lastError = null;
    } catch (err) {
      const code = err instanceof FingerprintError ? err.code : 'ERROR';
      loop.lastError = code;
      // Unplugged mid-identification, a timeout, the module busy: nothing was decided; try again later.
      if (code !== FingerprintErrorCode.NotReady) this.logger.debug(`identification on reader ${loop.readerId} failed: ${code}`);
      this.schedule(loop, retry);
      return;
    }
    if (loop.stopped || this.stopped) return;
    switch (result.kind) {
      case 'idle':
        loop.delayMs = Math.min(this.idlePeriodMs, Math.ceil(loop.delayMs * 1.5));
        break;
      case 'search':
        loop.badges++;
        loop.awaitingLift = true;
        loop.delayMs = this.basePeriodMs;
        this.onSearch(loop.readerId, result.hit, result.searchAt);
        break;
      default:
        loop.delayMs = this.basePeriodMs;
    }
    // Start to start: the poll's own time (wire, module, waiting for the reader's lock) is part of the period.
    this.schedule(loop, Math.max(0, loop.delayMs - (performance.now() - startedAt)));
  }

  /** One poll, inside the reader's lock: GenImg, and with a finger Img2Tz + Search. */
  private async pollOnce(r: FingerprintReader, loop: Loop): Promise<PollResult> {
    const present = await r.captureImage();
    if (loop.awaitingLift) {
      // The same finger still on the sensor must not badge again.
      if (present) return { kind: 'still-placed' };
      loop.awaitingLift = false;
      return { kind: 'lifted' };
    }
    if (!present) return { kind: 'idle' };
    try {
      await r.imageToTemplate(1);
    } catch (err) {
      if (err instanceof FingerprintError && err.code === FingerprintErrorCode.Confirmation) return { kind: 'bad-image' };
      throw err;
    }
    const hit = await r.search(1);
    return { kind: 'search', hit, searchAt: performance.now() };
  }
}
