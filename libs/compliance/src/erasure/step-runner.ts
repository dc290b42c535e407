import { Logger } from '@nestjs/common';

/** A persisted job: `step` is the next step to run; `data` is JSON with at least the step times. */
export interface DurableJob<S extends string> {
  id: string;
  state: string;
  step: S;
  data: string;
}

export interface StepTimes<S extends string> {
  steps: Partial<Record<S, { startedAt: number; finishedAt?: number }>>;
}

/**
 * What a step did: `next` moves the job on (saved by the runner with the data), `wait` parks it
 * until the runner is asked again, `settled` means the step saved the job itself (the last step).
 */
export type StepResult<S extends string> = { next: S } | 'wait' | 'settled';

export interface JobPatch<S extends string> {
  state?: string;
  step?: S;
  data?: string;
  lastError?: string | null;
}

export interface StepRunnerOptions<S extends string, J extends DurableJob<S>, D extends StepTimes<S>> {
  /** For log lines and lease names. */
  name: string;
  load(id: string): Promise<J>;
  save(id: string, patch: JobPatch<S>): Promise<void>;
  /** States in which the runner leaves the job alone (finished, or parked until someone resumes it). */
  restingStates: readonly string[];
  runningState: string;
  waitingState: string;
  steps: Partial<Record<S, (job: J, data: D) => Promise<StepResult<S>>>>;
  now(): number;
  /** Runs before each step (after a restart: rebuild what only memory held). */
  beforeStep?(job: J): Promise<void>;
  /** Fault testing: leave the job before this step; the runner looks again when asked next. */
  pauseBefore?(): string | undefined;
  /** Cluster: one instance runs a job. Taken again before each step, so a dead instance's job moves on once its lease runs out. */
  leases?: { acquire(name: string): Promise<boolean>; release(name: string): Promise<void> };
  /** Named points for observers ({@link ErasureProbe}); an exception thrown here aborts the step. */
  probe?(point: string, job: J): void;
}

/**
 * A generic durable step runner: a job is a row whose `step` names the next step; each step is
 * idempotent, and the runner saves the next step only after a step finished. A process that dies
 * anywhere (SIGKILL included) repeats at most the step it was in, from the saved row, when asked
 * to advance the job again. One runner per job in this process.
 */
export class DurableStepRunner<S extends string, J extends DurableJob<S>, D extends StepTimes<S>> {
  private readonly logger: Logger;
  private readonly running = new Map<string, Promise<void>>();
  private stopped = false;

  constructor(private readonly o: StepRunnerOptions<S, J, D>) {
    this.logger = new Logger(o.name);
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  /** Run the job's steps until it rests, waits or fails (the error is saved; the next call resumes). */
  advance(jobId: string): Promise<void> {
    const current = this.running.get(jobId);
    if (current) return current;
    const run = this.advanceOnce(jobId)
      .catch(async (err: unknown) => {
        const msg = `${(err as Error)?.name ?? 'Error'}: ${(err as Error)?.message ?? String(err)}`.slice(0, 255);
        this.logger.warn(`${this.o.name.toLowerCase()} job ${jobId} stopped at a step, will resume: ${msg}`);
        await this.o.save(jobId, { lastError: msg }).catch(() => undefined);
      })
      .finally(() => this.running.delete(jobId));
    this.running.set(jobId, run);
    return run;
  }

  /** No step starts after this; resolves when the steps under way have ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.allSettled([...this.running.values()]);
  }

  private async advanceOnce(jobId: string): Promise<void> {
    const lease = `${this.o.name.toLowerCase()}:${jobId}`;
    for (;;) {
      if (this.stopped) return;
      if (this.o.leases && !(await this.o.leases.acquire(lease))) return;
      const job = await this.o.load(jobId);
      if (this.o.restingStates.includes(job.state)) {
        await this.o.leases?.release(lease);
        return;
      }
      if (this.o.pauseBefore?.() === job.step) return;
      const run = this.o.steps[job.step];
      if (!run) return;
      await this.o.beforeStep?.(job);
      const data = JSON.parse(job.data) as D;
      const step = job.step;
      data.steps[step] ??= { startedAt: this.o.now() };
      const result = await run(job, data);
      if (result === 'settled') return;
      if (result === 'wait') {
        await this.o.save(job.id, { state: this.o.waitingState, data: JSON.stringify(data), lastError: null });
        return;
      }
      data.steps[step]!.finishedAt = this.o.now();
      this.o.probe?.(`before-save:${step}`, job);
      await this.o.save(job.id, { state: this.o.runningState, step: result.next, data: JSON.stringify(data), lastError: null });
    }
  }
}
