import type { Clock } from '@acs/clock';
import type { MqttLogger } from './logger.js';

/**
 * Warn lines limited per key (a client): at most `perWindow` lines per key and window; the rest
 * are counted and reported as one line when the key next logs in a later window. Memory is one
 * small entry per key seen in the current window (older entries are pruned as windows pass).
 */
export class RateLimitedLog {
  private readonly keys = new Map<string, { windowStart: number; lines: number; suppressed: number }>();
  private lastPrune = 0;

  constructor(
    private readonly logger: MqttLogger,
    private readonly clock: Clock,
    private readonly perWindow = 5,
    private readonly windowMs = 60_000,
    private readonly maxKeys = 10_000,
  ) {}

  warn(key: string, line: string): void {
    const now = this.clock.nowMs();
    this.prune(now);
    let k = this.keys.get(key);
    if (k && now - k.windowStart >= this.windowMs) {
      if (k.suppressed > 0) this.logger.warn(`${k.suppressed} similar lines for ${key} suppressed in the last ${Math.round((now - k.windowStart) / 1000)} s`);
      k = undefined;
    }
    if (!k) {
      if (this.keys.size >= this.maxKeys) return; // a flood from very many keys: the audit aggregation still counts them
      k = { windowStart: now, lines: 0, suppressed: 0 };
      this.keys.set(key, k);
    }
    if (k.lines < this.perWindow) {
      k.lines++;
      this.logger.warn(k.lines === this.perWindow ? `${line} (further lines for ${key} suppressed for ${this.windowMs / 1000} s)` : line);
    } else {
      k.suppressed++;
    }
  }

  private prune(now: number): void {
    if (now - this.lastPrune < this.windowMs) return;
    this.lastPrune = now;
    for (const [key, k] of this.keys) {
      if (now - k.windowStart < this.windowMs) continue;
      if (k.suppressed > 0) this.logger.warn(`${k.suppressed} similar lines for ${key} suppressed in the last ${Math.round((now - k.windowStart) / 1000)} s`);
      this.keys.delete(key);
    }
  }
}
