import type { Clock } from '@acs/clock';
import { aheadOfClock } from '@acs/door-protocol';

export interface SequenceRow {
  mqttId: string;
  epoch: number;
  seq: number;
}

/** Where the highest handled event per controller is kept (badge-in's controller_sequences table). */
export interface SequenceStore {
  load(): Promise<SequenceRow[]>;
  save(rows: Array<SequenceRow & { updatedAt: number }>): Promise<void>;
}

/**
 * The highest (epoch, seq) handled per controller, saved shortly after it moves (one write per
 * burst), so after a restart the door command service deduplicates replayed events from there.
 */
export class ControllerSequences {
  private readonly sequences = new Map<string, { epoch: number; seq: number }>();
  private readonly dirty = new Set<string>();
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly store: SequenceStore,
    private readonly clock: Clock,
    private readonly logger: { error(message: string): void },
    private readonly flushDelayMs = 200,
  ) {}

  /** The stored sequences to restore; an impossible one is reported and left out. Safe to call again. */
  async restore(): Promise<SequenceRow[]> {
    const restored: SequenceRow[] = [];
    for (const s of await this.store.load()) {
      // A bad epoch stored before epochs were bounded would drop every later real event as older.
      if (aheadOfClock({ epoch: s.epoch }, this.clock.nowMs())) {
        this.logger.error(
          `stored event epoch ${s.epoch} of controller ${s.mqttId} is in the future: ignored; run acsctl controller:reset-sequence --mqtt-id ${s.mqttId}`,
        );
        continue;
      }
      // Called again after a failover takeover: never move a controller this instance still notes backwards.
      const cur = this.sequences.get(s.mqttId);
      if (!cur || cur.epoch < s.epoch || (cur.epoch === s.epoch && cur.seq < s.seq)) this.sequences.set(s.mqttId, { epoch: s.epoch, seq: s.seq });
      restored.push({ mqttId: s.mqttId, epoch: s.epoch, seq: s.seq });
    }
    return restored;
  }

  note(mqttId: string, epoch: number, seq: number): void {
    const cur = this.sequences.get(mqttId);
    if (cur && (cur.epoch > epoch || (cur.epoch === epoch && cur.seq >= seq))) return;
    this.sequences.set(mqttId, { epoch, seq });
    this.dirty.add(mqttId);
    if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        void this.flush().catch((err: Error) => this.logger.error(`sequence not saved: ${err.message}`));
      }, this.flushDelayMs);
      this.timer.unref();
    }
  }

  async flush(): Promise<void> {
    if (this.dirty.size === 0) return;
    const rows = [...this.dirty].map((mqttId) => ({ mqttId, ...this.sequences.get(mqttId)!, updatedAt: this.clock.nowMs() }));
    this.dirty.clear();
    await this.store.save(rows);
  }

  /** Stops the pending timer and saves what is still unsaved. */
  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.flush();
  }
}
