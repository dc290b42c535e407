/**
 * The bus's only source of deferred work. @acs/clock offers "now" but no timer seam outside Nest
 * (PeriodicJobs needs the schedule module), so the bus takes this small port: production passes
 * {@link systemTimers}, tests a manual implementation driven together with a FakeClock
 * (libs/osdp/src/testing/manual-timers.ts), so that a reply timeout or the 8 s offline rule is
 * tested without waiting.
 */
export interface OsdpTimers {
  set(ms: number, fn: () => void): OsdpTimer;
}

export interface OsdpTimer {
  cancel(): void;
}

export const systemTimers: OsdpTimers = {
  set(ms, fn) {
    const handle = setTimeout(fn, ms);
    return { cancel: () => clearTimeout(handle) };
  },
};

/** Resolves after `ms` on the given timers (never rejects). */
export function sleep(timers: OsdpTimers, ms: number): Promise<void> {
  return new Promise((resolve) => timers.set(ms, resolve));
}
