/**
 * Event numbering (hardware/door-protocol/README.md §Sequencing). A controller numbers its events
 * 1, 2, 3, ... within an epoch (its boot time in ms). QoS 1 and the controller's replay buffer both
 * deliver duplicates, and a broker outage can reorder a replay behind newer events, so the server
 * classifies each (epoch, seq) against what it has already recorded.
 */
export class EventSequencer {
  private last = 0;
  constructor(readonly epoch: number) {}
  next(): number {
    return ++this.last;
  }
  get current(): number {
    return this.last;
  }
}

export type SequenceVerdict =
  /** First time seen; `gap` lists sequence numbers skipped just now (first..last, inclusive). */
  | { kind: 'new'; gap?: { from: number; to: number }; fillsGap: boolean; newEpoch: boolean }
  | { kind: 'duplicate' }
  /** From an epoch older than the newest one seen: the controller restarted since. */
  | { kind: 'stale-epoch' };

interface ControllerTrack {
  epoch: number;
  highest: number;
  /** Seqs below `highest` not yet received. Bounded by `maxMissing`. */
  missing: Set<number>;
}

export class SequenceTracker {
  private readonly tracks = new Map<string, ControllerTrack>();

  constructor(private readonly maxMissing = 10_000) {}

  /** Seeds the tracker from a durable record (e.g. the highest stored seq after a server restart). */
  restore(controllerId: string, epoch: number, highest: number, missing: Iterable<number> = []): void {
    this.tracks.set(controllerId, { epoch, highest, missing: new Set(missing) });
  }

  /** Forgets a controller (its events are another instance's now); a later restore or event starts it again. */
  forget(controllerId: string): void {
    this.tracks.delete(controllerId);
  }

  has(controllerId: string): boolean {
    return this.tracks.has(controllerId);
  }

  controllers(): string[] {
    return [...this.tracks.keys()];
  }

  /** Highest seq below which nothing is missing: what the server can acknowledge cumulatively. */
  contiguous(controllerId: string): { epoch: number; seq: number } | undefined {
    const t = this.tracks.get(controllerId);
    if (!t) return undefined;
    let seq = t.highest;
    for (const m of t.missing) if (m - 1 < seq) seq = m - 1;
    return { epoch: t.epoch, seq };
  }

  accept(controllerId: string, epoch: number, seq: number): SequenceVerdict {
    let t = this.tracks.get(controllerId);
    let newEpoch = false;
    if (!t || epoch > t.epoch) {
      newEpoch = t !== undefined;
      t = { epoch, highest: 0, missing: new Set() };
      this.tracks.set(controllerId, t);
    } else if (epoch < t.epoch) {
      return { kind: 'stale-epoch' };
    }
    if (seq <= t.highest) {
      if (t.missing.delete(seq)) return { kind: 'new', fillsGap: true, newEpoch };
      return { kind: 'duplicate' };
    }
    let gap: { from: number; to: number } | undefined;
    if (seq > t.highest + 1) {
      gap = { from: t.highest + 1, to: seq - 1 };
      for (let s = gap.from; s <= gap.to && t.missing.size < this.maxMissing; s++) t.missing.add(s);
    }
    t.highest = seq;
    return { kind: 'new', gap, fillsGap: false, newEpoch };
  }

  /** Sequence numbers still missing for the controller's current epoch. */
  missing(controllerId: string): number[] {
    return [...(this.tracks.get(controllerId)?.missing ?? [])].sort((a, b) => a - b);
  }
}
