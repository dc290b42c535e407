import { describe, expect, it } from '@jest/globals';
import type { AccessEventInput } from '@acs/access-log';
import { FakeClock } from '@acs/clock';
import { FollowUps } from './follow-ups.js';
import type { MonitorEvent } from './monitor.js';

describe('FollowUps', () => {
  const attempt: AccessEventInput = {
    customerId: 'acme',
    personId: 'alice',
    siteId: 'site-1',
    zoneId: 'zone-1',
    doorId: 'd1',
    readerId: 'reader-1',
    direction: 'entry',
    result: 'granted',
    reason: 'granted',
    occurredAt: 1,
    credential: 'card+pin',
  };

  it('records the follow-up against the attempt at the current instant, and shows it live', async () => {
    const clock = new FakeClock('2026-06-01T12:00:00Z');
    const appended: unknown[] = [];
    const published: MonitorEvent[] = [];
    const errors: string[] = [];
    const followUps = new FollowUps(
      { append: (events) => (appended.push(...events), [{ id: 'ev-9', attemptId: 'att-1', durable: Promise.reject(new Error('disk full')) }]) },
      { publish: (e) => void published.push(e) },
      clock,
      { error: (m) => errors.push(m) },
    );
    followUps.record(attempt, 'att-1', 'not_entered', 'granted');
    const { credential: _attemptOnly, ...facts } = attempt;
    // The follow-up carries everything of its attempt but the credential, which the history refuses on one.
    expect(appended).toEqual([{ ...facts, kind: 'follow_up', attemptId: 'att-1', reason: 'not_entered', result: 'granted', occurredAt: clock.nowMs() }]);
    expect(published).toEqual([
      {
        type: 'follow_up',
        id: 'ev-9',
        attemptId: 'att-1',
        at: clock.nowMs(),
        siteId: 'site-1',
        zoneId: 'zone-1',
        doorId: 'd1',
        readerId: 'reader-1',
        direction: 'entry',
        result: 'granted',
        reason: 'not_entered',
        customerId: 'acme',
        personId: 'alice',
      },
    ]);
    await new Promise((r) => setImmediate(r));
    // The reason and attempt id only: no personal data in the log line.
    expect(errors).toEqual(['follow-up not_entered of att-1 not recorded: disk full']);
  });
});
