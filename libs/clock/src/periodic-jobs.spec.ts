import { describe, expect, it, jest } from '@jest/globals';
import { SchedulerRegistry } from '@nestjs/schedule';
import { PeriodicJobs } from './periodic-jobs.js';

describe('PeriodicJobs', () => {
  it('skips a round while the previous one of the same job still runs, and runs others', async () => {
    const jobs = new PeriodicJobs(new SchedulerRegistry());
    let release!: () => void;
    const slow = { name: 'test.slow', run: () => new Promise<void>((r) => (release = r)) };
    const first = jobs.round(slow);
    expect(await jobs.round(slow)).toBe(false);
    expect(await jobs.round({ name: 'test.other', run: () => undefined })).toBe(true);
    release();
    expect(await first).toBe(true);
    expect(await jobs.round({ name: 'test.slow', run: () => undefined })).toBe(true);
  });

  it('a failing round is logged and does not stop the job', async () => {
    const jobs = new PeriodicJobs(new SchedulerRegistry());
    const logged = jest.spyOn((jobs as unknown as { logger: { error: (m: string) => void } }).logger, 'error').mockImplementation(() => undefined);
    const run = jest.fn<() => void>().mockImplementationOnce(() => {
      throw new Error('disk full');
    });
    expect(await jobs.round({ name: 'test.flaky', run })).toBe(true);
    expect(await jobs.round({ name: 'test.flaky', run })).toBe(true);
    expect(run).toHaveBeenCalledTimes(2);
    expect(logged).toHaveBeenCalledWith('periodic job test.flaky failed: disk full');
  });

  it('registers each job by name with the schedule registry, refuses a second of the same name and a bad interval, and stops it', () => {
    const registry = new SchedulerRegistry();
    const jobs = new PeriodicJobs(registry);
    jobs.every({ name: 'test.tick', everyMs: 60_000, run: () => undefined });
    expect(jobs.names()).toEqual(['test.tick']);
    expect(() => jobs.every({ name: 'test.tick', everyMs: 60_000, run: () => undefined })).toThrow();
    expect(() => jobs.every({ name: 'test.zero', everyMs: 0, run: () => undefined })).toThrow(/positive/);
    jobs.stop('test.tick');
    expect(jobs.names()).toEqual([]);
  });
});
