import type { FakeClock } from '@acs/clock';
import type { OsdpTimer, OsdpTimers } from '../bus/timers.js';

interface Entry {
  at: number;
  order: number;
  fn: () => void;
}

/** Lets every pending promise chain and setImmediate callback (fake transports deliver on one) run. */
export async function settle(turns = 8): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise((resolve) => setImmediate(resolve));
}

/**
 * {@link OsdpTimers} on a FakeClock: `advance(ms)` moves the clock from timer to timer, firing each
 * when it falls due and letting the bus's async loop run in between, so 8 s of polling takes
 * milliseconds and a reply timeout happens exactly when the clock says.
 */
export class ManualTimers implements OsdpTimers {
  private entries: Entry[] = [];
  private order = 0;

  constructor(private readonly clock: FakeClock) {}

  set(ms: number, fn: () => void): OsdpTimer {
    const entry: Entry = { at: this.clock.nowMs() + Math.max(0, ms), order: this.order++, fn };
    this.entries.push(entry);
    return { cancel: () => (this.entries = this.entries.filter((e) => e !== entry)) };
  }

  get pending(): number {
    return this.entries.length;
  }

  async advance(ms: number): Promise<void> {
    const target = this.clock.nowMs() + ms;
    for (;;) {
      await settle();
      const due = this.entries.filter((e) => e.at <= target).sort((a, b) => a.at - b.at || a.order - b.order)[0];
      if (!due) break;
      this.entries = this.entries.filter((e) => e !== due);
      if (due.at > this.clock.nowMs()) this.clock.set(due.at);
      due.fn();
    }
    this.clock.set(target);
    await settle();
  }

  /** Advances in steps until `done()` holds or `limitMs` passed; returns the time taken. */
  async until(done: () => boolean, limitMs: number, stepMs = 10): Promise<number> {
    const start = this.clock.nowMs();
    while (!done()) {
      if (this.clock.nowMs() - start >= limitMs) throw new Error(`condition not met within ${limitMs} ms of fake time`);
      await this.advance(stepMs);
    }
    return this.clock.nowMs() - start;
  }
}
