/**
 * Security events of the MQTT edge (forged MACs, malformed messages, future timestamps, broker
 * refusals, ACL denials) arrive in floods: one hostile login produced 3,568 in 0.3 s. Each
 * (source, kind) gets one aggregate per window, recorded once with a count, so the audit trail
 * stays readable and its writes bounded; and when the events of all sources within a minute
 * reach a threshold, one alarm is raised (at most one per minute).
 */
export interface SecurityNote {
  /** Who: the controller id, or the client address for refusals before any identity. */
  source: string;
  /** A stable code: `forged-event`, `future-timestamp`, `broker-publish`, ... */
  kind: string;
  reason: string;
}

export interface SecurityAggregate extends SecurityNote {
  count: number;
  firstAt: number;
  lastAt: number;
}

export interface SecurityAlarm {
  count: number;
  windowMs: number;
  at: number;
}

export interface SecurityAggregatorOptions {
  /** One aggregate per (source, kind) and window; default 10 s. */
  windowMs?: number;
  /** Events across all sources within `alarmWindowMs` that raise the alarm. */
  alarmThreshold: number;
  alarmWindowMs?: number;
  /** Open aggregates at most (distinct source and kind); beyond it the rest count towards the alarm only. */
  maxOpen?: number;
}

export class SecurityEventAggregator {
  private readonly open = new Map<string, SecurityAggregate>();
  /** Events per second (key: second), for the alarm's sliding window. */
  private readonly perSecond = new Map<number, number>();
  private lastAlarmAt = -Infinity;
  private overflow = 0;
  private readonly windowMs: number;
  private readonly alarmWindowMs: number;
  private readonly maxOpen: number;

  constructor(private readonly options: SecurityAggregatorOptions) {
    this.windowMs = options.windowMs ?? 10_000;
    this.alarmWindowMs = options.alarmWindowMs ?? 60_000;
    this.maxOpen = options.maxOpen ?? 10_000;
  }

  /** Counts one event; returns an alarm when this event reaches the threshold. */
  note(n: SecurityNote, now: number): SecurityAlarm | undefined {
    const key = `${n.kind}\u0000${n.source}`;
    const agg = this.open.get(key);
    if (agg) {
      agg.count++;
      agg.lastAt = now;
    } else if (this.open.size < this.maxOpen) {
      this.open.set(key, { ...n, count: 1, firstAt: now, lastAt: now });
    } else {
      this.overflow++;
    }
    const second = Math.floor(now / 1000);
    this.perSecond.set(second, (this.perSecond.get(second) ?? 0) + 1);
    const from = second - Math.ceil(this.alarmWindowMs / 1000) + 1;
    let total = 0;
    for (const [s, c] of this.perSecond) {
      if (s < from) this.perSecond.delete(s);
      else total += c;
    }
    if (total >= this.options.alarmThreshold && now - this.lastAlarmAt >= this.alarmWindowMs) {
      this.lastAlarmAt = now;
      return { count: total, windowMs: this.alarmWindowMs, at: now };
    }
    return undefined;
  }

  /** Aggregates whose window has ended (all of them with `all`), removed from the open set. */
  due(now: number, all = false): SecurityAggregate[] {
    const out: SecurityAggregate[] = [];
    for (const [key, agg] of this.open) {
      if (all || now - agg.firstAt >= this.windowMs) {
        out.push(agg);
        this.open.delete(key);
      }
    }
    if (this.overflow > 0 && (all || out.length > 0)) {
      out.push({ source: 'many', kind: 'overflow', reason: 'more distinct sources than aggregates', count: this.overflow, firstAt: now, lastAt: now });
      this.overflow = 0;
    }
    return out;
  }
}
