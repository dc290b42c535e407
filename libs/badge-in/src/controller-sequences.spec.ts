import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { FakeClock } from '@acs/clock';
import { ControllerSequences, type SequenceRow } from './controller-sequences.js';

describe('ControllerSequences', () => {
  let clock: FakeClock;
  let stored: SequenceRow[];
  let saves: Array<Array<SequenceRow & { updatedAt: number }>>;
  let errors: string[];
  let sequences: ControllerSequences;

  beforeEach(() => {
    jest.useFakeTimers();
    clock = new FakeClock('2026-06-01T12:00:00Z');
    stored = [];
    saves = [];
    errors = [];
    sequences = new ControllerSequences(
      {
        load: async () => stored,
        save: async (rows) => void saves.push(rows),
      },
      clock,
      { error: (m) => errors.push(m) },
    );
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it('restores the stored sequences but leaves out an epoch from the future, saying how to fix it', async () => {
    stored = [
      { mqttId: 'ctl-a', epoch: clock.nowMs() - 1000, seq: 7 },
      { mqttId: 'ctl-b', epoch: clock.nowMs() + 86_400_000, seq: 3 },
    ];
    expect(await sequences.restore()).toEqual([stored[0]]);
    expect(errors).toEqual([expect.stringContaining('controller:reset-sequence --mqtt-id ctl-b')]);
    sequences.note('ctl-a', stored[0].epoch, 7); // not newer than the restored one: nothing to save
    await jest.advanceTimersByTimeAsync(1000);
    expect(saves).toEqual([]);
  });

  it('saves one row per controller per burst, newest only, after the delay', async () => {
    sequences.note('ctl-a', 1, 1);
    sequences.note('ctl-a', 1, 2);
    sequences.note('ctl-a', 1, 1); // older: ignored
    sequences.note('ctl-b', 5, 1);
    await jest.advanceTimersByTimeAsync(199);
    expect(saves).toEqual([]);
    await jest.advanceTimersByTimeAsync(1);
    expect(saves).toEqual([
      [
        { mqttId: 'ctl-a', epoch: 1, seq: 2, updatedAt: clock.nowMs() },
        { mqttId: 'ctl-b', epoch: 5, seq: 1, updatedAt: clock.nowMs() },
      ],
    ]);
    sequences.note('ctl-a', 2, 1); // a new epoch restarts the count
    await sequences.stop();
    expect(saves.at(-1)).toEqual([{ mqttId: 'ctl-a', epoch: 2, seq: 1, updatedAt: clock.nowMs() }]);
    expect(jest.getTimerCount()).toBe(0);
  });
});
