import { describe, expect, it } from '@jest/globals';
import { basePollPeriodMs, idlePollCost, lineMs, maxPollPeriodMs, type PollPolicy } from './poll-cost.js';

const policy = (p: Partial<PollPolicy>): PollPolicy => ({ intervalMs: 50, idleBackoff: 1, maxLineShare: 0.25, baudRate: 57_600, ...p });

describe('finger polling cost', () => {
  it.each([
    [24, 57_600, 4.1667],
    [24, 9_600, 25],
    [82, 57_600, 14.2361],
    [24, 115_200, 2.0833],
  ])('%i bytes at %i baud take %f ms', (bytes, baud, ms) => {
    expect(lineMs(bytes, baud)).toBeCloseTo(ms, 3);
  });

  it.each([
    // interval, baud, share, base period: the interval unless the line share says longer
    [50, 57_600, 0.25, 50],
    [10, 57_600, 0.25, 17], // 4.17 ms of GenImg at most a quarter of the time
    [10, 57_600, 1, 10],
    [50, 9_600, 0.25, 100], // 25 ms of wire per poll on a 9,600 baud line
    [5, 115_200, 0.5, 5],
  ])('interval %i ms at %i baud with at most %f of the line polls every %i ms', (intervalMs, baudRate, maxLineShare, period) => {
    expect(basePollPeriodMs(policy({ intervalMs, baudRate, maxLineShare }))).toBe(period);
  });

  it.each([
    [1, 50],
    [4, 200],
    [0, 50],
  ])('backs off an idle reader by at most %i times (period %i ms)', (idleBackoff, period) => {
    expect(maxPollPeriodMs(policy({ idleBackoff }))).toBe(period);
  });

  it.each([
    // period, baud: polls/s, bytes/s, share of the line
    [50, 57_600, 20, 480, 0.0833],
    [200, 57_600, 5, 120, 0.0208],
    [20, 57_600, 50, 1200, 0.2083],
    [100, 9_600, 10, 240, 0.25],
  ])('polling every %i ms at %i baud: %f polls/s, %f B/s, %f of the line', (periodMs, baudRate, polls, bytes, share) => {
    const cost = idlePollCost(periodMs, baudRate);
    expect(cost.pollsPerSecond).toBeCloseTo(polls, 6);
    expect(cost.bytesPerSecond).toBeCloseTo(bytes, 6);
    expect(cost.lineShare).toBeCloseTo(share, 4);
  });
});
