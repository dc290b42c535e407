import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { FingerprintError, FingerprintErrorCode, type FingerprintReader } from '@acs/fingerprint';
import type { PollPolicy } from './poll-cost.js';
import { type LoopReaders, ReaderLoops, type SearchHit } from './reader-loops.js';

/** A door reader on the bench: a finger is on the sensor or not; Search finds page 7. */
class FakeSensor {
  finger = false;
  ready = true;
  badImage = false;
  fail?: FingerprintError;
  readonly calls: string[] = [];
  readonly reader = {
    captureImage: async () => {
      this.calls.push('GenImg');
      if (this.fail) throw this.fail;
      return this.finger;
    },
    imageToTemplate: async () => {
      this.calls.push('Img2Tz');
      if (this.badImage) throw new FingerprintError(FingerprintErrorCode.Confirmation, 'image too messy');
    },
    search: async () => {
      this.calls.push('Search');
      return { pageId: 7, score: 120 };
    },
  } as unknown as FingerprintReader;
}

class FakeFleet implements LoopReaders {
  enabled = true;
  readonly sensors = new Map<string, FakeSensor>();
  has(readerId: string): boolean {
    return this.sensors.has(readerId);
  }
  isReady(readerId: string): boolean {
    return this.sensors.get(readerId)?.ready ?? false;
  }
  withReader<T>(readerId: string, job: (reader: FingerprintReader) => Promise<T>): Promise<T> {
    return job(this.sensors.get(readerId)!.reader);
  }
}

const POLL_MS = 100;
const policy = (p: Partial<PollPolicy> = {}): PollPolicy => ({ intervalMs: POLL_MS, idleBackoff: 1, maxLineShare: 0.5, baudRate: 57_600, ...p });

describe('ReaderLoops', () => {
  let fleet: FakeFleet;
  let sensor: FakeSensor;
  let searches: Array<{ readerId: string; hit: SearchHit }>;
  let debug: string[];
  let loops: ReaderLoops;

  beforeEach(() => {
    jest.useFakeTimers();
    fleet = new FakeFleet();
    sensor = new FakeSensor();
    fleet.sensors.set('r1', sensor);
    searches = [];
    debug = [];
    loops = new ReaderLoops(fleet, policy(), (readerId, hit) => searches.push({ readerId, hit }), { debug: (m) => debug.push(m) });
  });
  afterEach(() => {
    loops.stop();
    jest.useRealTimers();
  });

  it('badges a placed finger once, and again only after it was lifted', async () => {
    loops.sync(['r1']);
    sensor.finger = true;
    await jest.advanceTimersByTimeAsync(0);
    expect(searches).toEqual([{ readerId: 'r1', hit: { pageId: 7, score: 120 } }]);
    await jest.advanceTimersByTimeAsync(POLL_MS * 5);
    expect(searches).toHaveLength(1); // still placed
    sensor.finger = false;
    await jest.advanceTimersByTimeAsync(POLL_MS); // lifted
    sensor.finger = true;
    await jest.advanceTimersByTimeAsync(POLL_MS);
    expect(searches).toHaveLength(2);
    expect(loops.stats('r1')).toEqual({ polls: 8, badges: 2, lastError: null });
  });

  const pollTimes = async (): Promise<number[]> => {
    const pollsAt: number[] = [];
    for (let ms = 0; ms < 3000; ms += 10) {
      const before = sensor.calls.length;
      await jest.advanceTimersByTimeAsync(10);
      if (sensor.calls.length > before) pollsAt.push(ms + 10);
    }
    return pollsAt;
  };

  it('polls an idle reader every interval by default: a finger never waits longer than one', async () => {
    loops.sync(['r1']);
    await jest.advanceTimersByTimeAsync(0);
    const pollsAt = await pollTimes();
    expect(pollsAt[0]).toBe(100);
    expect(new Set(pollsAt.slice(1).map((t, i) => t - pollsAt[i]))).toEqual(new Set([100]));
  });

  it('counts the period from the start of one poll to the next: a slow GenImg does not stretch it', async () => {
    const slow = new FakeSensor();
    const capture = slow.reader.captureImage;
    slow.reader.captureImage = async () => {
      await new Promise((r) => setTimeout(r, 30)); // wire + the module's no-finger answer
      return capture();
    };
    fleet.sensors.set('r1', slow);
    sensor = slow;
    loops.sync(['r1']);
    await jest.advanceTimersByTimeAsync(0);
    const pollsAt = await pollTimes();
    expect(new Set(pollsAt.slice(1).map((t, i) => t - pollsAt[i]))).toEqual(new Set([100]));
  });

  it('stretches an interval too short for the line to the configured share of it', () => {
    // 24 bytes of GenImg at 9,600 baud take 25 ms: a 10 ms interval would keep the line busy.
    const slowLine = new ReaderLoops(fleet, policy({ intervalMs: 10, baudRate: 9_600, maxLineShare: 0.25 }), () => undefined, { debug: () => undefined });
    expect(slowLine.periodMs).toBe(100);
    expect(loops.periodMs).toBe(POLL_MS);
  });

  it('with BADGE_POLL_IDLE_BACKOFF, polls an idle reader less and less often, down to one poll per factor intervals', async () => {
    loops.stop();
    loops = new ReaderLoops(fleet, policy({ idleBackoff: 4 }), (readerId, hit) => searches.push({ readerId, hit }), { debug: (m) => debug.push(m) });
    loops.sync(['r1']);
    await jest.advanceTimersByTimeAsync(0);
    const pollsAt = await pollTimes();
    const gaps = pollsAt.slice(1).map((t, i) => t - pollsAt[i]);
    // 150, 225, 338 (rounded up to the 10 ms steps of this test), then capped at 400.
    expect(pollsAt[0]).toBe(150);
    expect(gaps.slice(0, 2)).toEqual([230, 340]);
    expect(new Set(gaps.slice(2))).toEqual(new Set([400]));
  });

  it('does not badge a bad image, and polls again at the normal interval', async () => {
    loops.sync(['r1']);
    sensor.finger = true;
    sensor.badImage = true;
    await jest.advanceTimersByTimeAsync(0);
    expect(sensor.calls).toEqual(['GenImg', 'Img2Tz']);
    await jest.advanceTimersByTimeAsync(POLL_MS);
    expect(sensor.calls).toHaveLength(4);
    expect(searches).toEqual([]);
  });

  it('backs off on a failing reader, keeps the code, and logs all but not-ready', async () => {
    loops.sync(['r1']);
    sensor.fail = new FingerprintError(FingerprintErrorCode.NotReady, 'reader closed');
    await jest.advanceTimersByTimeAsync(0);
    expect(loops.stats('r1')?.lastError).toBe(FingerprintErrorCode.NotReady);
    expect(debug).toEqual([]);
    sensor.fail = new Error('port gone') as FingerprintError;
    await jest.advanceTimersByTimeAsync(POLL_MS * 4 - 1);
    expect(sensor.calls).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(1);
    expect(loops.stats('r1')?.lastError).toBe('ERROR');
    expect(debug).toEqual(['identification on reader r1 failed: ERROR']);
    sensor.fail = undefined;
    await jest.advanceTimersByTimeAsync(POLL_MS * 4);
    expect(loops.stats('r1')?.lastError).toBeNull();
  });

  it('waits for a reader that is down, and polls at once when the fleet says it is ready', async () => {
    sensor.ready = false;
    loops.sync(['r1']);
    await jest.advanceTimersByTimeAsync(POLL_MS * 10);
    expect(sensor.calls).toEqual([]);
    expect(loops.stats('r1')?.polls).toBe(0);
    sensor.ready = true;
    loops.ready('r1');
    await jest.advanceTimersByTimeAsync(0);
    expect(sensor.calls).toEqual(['GenImg']);
  });

  it('follows the wiring: new readers get a loop, unwired ones lose theirs', async () => {
    fleet.sensors.set('r2', new FakeSensor());
    loops.sync(['r1']);
    expect(loops.size).toBe(1);
    loops.sync(['r2']);
    expect(loops.size).toBe(1);
    expect(loops.stats('r1')).toBeUndefined();
    await jest.advanceTimersByTimeAsync(POLL_MS * 10);
    expect(sensor.calls).toEqual([]);
    expect(fleet.sensors.get('r2')!.calls.length).toBeGreaterThan(0);
  });

  it('runs no loop when readers are disabled or after stop', async () => {
    fleet.enabled = false;
    loops.sync(['r1']);
    expect(loops.size).toBe(0);
    fleet.enabled = true;
    loops.sync(['r1']);
    loops.stop();
    await jest.advanceTimersByTimeAsync(POLL_MS * 10);
    expect(sensor.calls).toEqual([]);
    loops.sync(['r1']);
    expect(loops.size).toBe(0);
  });
});
