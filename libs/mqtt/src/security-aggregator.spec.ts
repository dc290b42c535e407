import { describe, expect, it } from '@jest/globals';
import { SecurityEventAggregator } from './security-aggregator.js';

describe('SecurityEventAggregator', () => {
  const t0 = Date.parse('2026-06-01T12:00:00Z');

  it('turns a flood from one source into one aggregate with its count', () => {
    const agg = new SecurityEventAggregator({ alarmThreshold: 1_000_000 });
    for (let i = 0; i < 3568; i++) agg.note({ source: 'ctl-a', kind: 'broker-publish', reason: 'topic not allowed' }, t0 + Math.floor(i / 12));
    expect(agg.due(t0 + 9_999)).toEqual([]);
    expect(agg.due(t0 + 10_000)).toEqual([
      { source: 'ctl-a', kind: 'broker-publish', reason: 'topic not allowed', count: 3568, firstAt: t0, lastAt: t0 + 297 },
    ]);
    expect(agg.due(t0 + 20_000)).toEqual([]);
  });

  it('keeps sources and kinds apart, and a new window after the old one closed', () => {
    const agg = new SecurityEventAggregator({ alarmThreshold: 1_000_000 });
    agg.note({ source: 'a', kind: 'forged-event', reason: 'mac' }, t0);
    agg.note({ source: 'b', kind: 'forged-event', reason: 'mac' }, t0);
    agg.note({ source: 'a', kind: 'malformed-message', reason: 'json' }, t0);
    expect(
      agg
        .due(t0 + 10_000)
        .map((a) => `${a.source}/${a.kind}/${a.count}`)
        .sort(),
    ).toEqual(['a/forged-event/1', 'a/malformed-message/1', 'b/forged-event/1']);
    agg.note({ source: 'a', kind: 'forged-event', reason: 'mac' }, t0 + 11_000);
    expect(agg.due(t0 + 12_000, true)).toHaveLength(1);
  });

  it('raises one alarm when the events of a minute reach the threshold, and not again within the minute', () => {
    const agg = new SecurityEventAggregator({ alarmThreshold: 20 });
    const alarms = [];
    for (let i = 0; i < 100; i++) {
      const a = agg.note({ source: `s${i % 7}`, kind: 'forged-event', reason: 'mac' }, t0 + i * 100);
      if (a) alarms.push(a);
    }
    expect(alarms).toEqual([{ count: 20, windowMs: 60_000, at: t0 + 1900 }]);
    expect(agg.note({ source: 'x', kind: 'forged-event', reason: 'mac' }, t0 + 61_900)).toMatchObject({ at: t0 + 61_900 });
  });

  it('does not alarm on events spread thinner than the threshold', () => {
    const agg = new SecurityEventAggregator({ alarmThreshold: 20 });
    const alarms = [];
    for (let i = 0; i < 100; i++) if (agg.note({ source: 'a', kind: 'k', reason: 'r' }, t0 + i * 4_000)) alarms.push(i);
    expect(alarms).toEqual([]);
  });

  it('bounds the open aggregates and counts the rest as overflow', () => {
    const agg = new SecurityEventAggregator({ alarmThreshold: 1_000_000, maxOpen: 3 });
    for (let i = 0; i < 10; i++) agg.note({ source: `10.0.0.${i}`, kind: 'broker-connection', reason: 'r' }, t0);
    const out = agg.due(t0, true);
    expect(out).toHaveLength(4);
    expect(out.at(-1)).toMatchObject({ kind: 'overflow', count: 7 });
  });
});
