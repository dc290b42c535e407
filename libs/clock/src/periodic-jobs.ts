import { Injectable, Logger } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';

export interface PeriodicJobOptions {
  /** Unique, dotted: `<lib>.<job>` (shown in logs; the schedule registry's key). */
  name: string;
  everyMs: number;
  run: () => Promise<unknown> | unknown;
}

/**
 * The one way to run a periodic job in the server. Each job is an interval registered with
 * @nestjs/schedule's SchedulerRegistry (so the schedule module clears it on shutdown and it can be
 * listed), never overlaps itself (a round still running when the next is due is skipped: a slow
 * database must not pile rounds up), logs a failed round with the job's name (error messages in this
 * codebase carry ids, never personal data: the same texts reach problem documents), and does not keep the
 * process alive. Written here rather than with @Interval decorators because the intervals come
 * from configuration read at start-up and several jobs are switched on or off by it.
 */
@Injectable()
export class PeriodicJobs {
  private readonly logger = new Logger('PeriodicJobs');
  private readonly busy = new Set<string>();

  constructor(private readonly registry: SchedulerRegistry) {}

  every(job: PeriodicJobOptions): void {
    if (!(job.everyMs > 0)) throw new Error(`periodic job ${job.name}: interval must be positive, got ${job.everyMs}`);
    if (this.registry.doesExist('interval', job.name)) throw new Error(`periodic job ${job.name} is already registered`);
    const handle = setInterval(() => void this.round(job), job.everyMs);
    handle.unref();
    this.registry.addInterval(job.name, handle);
  }

  /** Runs one round now, unless one is running (then resolves false at once). */
  async round(job: Pick<PeriodicJobOptions, 'name' | 'run'>): Promise<boolean> {
    if (this.busy.has(job.name)) return false;
    this.busy.add(job.name);
    try {
      await job.run();
      return true;
    } catch (err) {
      this.logger.error(`periodic job ${job.name} failed: ${(err as Error).message}`);
      return true;
    } finally {
      this.busy.delete(job.name);
    }
  }

  stop(name: string): void {
    if (this.registry.doesExist('interval', name)) this.registry.deleteInterval(name);
  }

  names(): string[] {
    return this.registry.getIntervals();
  }
}
