import { describe, expect, it } from '@jest/globals';
import { FakeClock } from '@acs/clock';
import { NOTIFICATION_KINDS } from './entities.js';
import {
  afterFailure,
  DAY_MS,
  endsWithin,
  failureCode,
  formatKinds,
  isPermanent,
  mailFor,
  parseKinds,
  retryDelayMs,
  streakReached,
  type Attempt,
} from './rules.js';

/** Attempts newest first from a compact string: `d` denied, `g` granted; the first is event `e0`. */
const attempts = (s: string): Attempt[] => [...s].map((c, i) => ({ id: `e${i}`, result: c === 'd' ? 'denied' : 'granted' }));

describe('notification rules', () => {
  describe('N denials in a row', () => {
    it.each<[string, number, boolean]>([
      ['ddd', 3, true], // the first three attempts ever, all denied
      ['dddg', 3, true], // a grant before them ends the earlier streak
      ['dddd', 3, false], // the fourth in a row: already told at the third
      ['ddg', 3, false],
      ['dd', 3, false], // not yet
      ['gdd', 3, false], // the newest was granted
      ['dg', 2, false],
      ['ddg', 2, true],
      ['dgdd', 2, false],
      ['', 3, false],
    ])('%j with N=%i: %s', (s, n, told) => expect(streakReached(attempts(s), 'e0', n)).toBe(told));

    it('only for the event it is asked about (the newest of the list)', () => {
      expect(streakReached(attempts('dddg'), 'e1', 3)).toBe(false);
    });
  });

  describe('access ending within the window', () => {
    const clock = new FakeClock('2026-11-26T09:00:00Z');
    const now = clock.nowMs();
    it.each<[string, number | null, boolean]>([
      ['no end', null, false],
      ['ended already', now - 1, false],
      ['ends now', now, false],
      ['in one minute', now + 60_000, true],
      ['in exactly 14 days', now + 14 * DAY_MS, true],
      ['in 14 days and a second', now + 14 * DAY_MS + 1000, false],
    ])('%s: %s', (_label, until, expected) => expect(endsWithin(until, now, 14)).toBe(expected));

    it('follows the clock: told once the end comes within 14 days', () => {
      const until = now + 20 * DAY_MS;
      expect(endsWithin(until, clock.nowMs(), 14)).toBe(false);
      clock.advance(6 * DAY_MS);
      expect(endsWithin(until, clock.nowMs(), 14)).toBe(true);
      clock.advance(14 * DAY_MS);
      expect(endsWithin(until, clock.nowMs(), 14)).toBe(false);
    });
  });

  describe('retries', () => {
    it.each<[number, number]>([
      [1, 30_000],
      [2, 60_000],
      [3, 120_000],
      [8, 3_600_000],
      [20, 3_600_000],
    ])('after %i failures: wait %i ms', (n, ms) => expect(retryDelayMs(n, 30_000)).toBe(ms));

    it.each<[string, { responseCode?: number; code?: string }, boolean, string]>([
      ['connection refused', { code: 'ECONNECTION' }, false, 'ECONNECTION'],
      ['temporary 451', { responseCode: 451, code: 'EENVELOPE' }, false, 'smtp_451'],
      ['mailbox unknown 550', { responseCode: 550, code: 'EENVELOPE' }, true, 'smtp_550'],
      ['authentication 535', { responseCode: 535, code: 'EAUTH' }, false, 'smtp_535'],
      ['nothing known', {}, false, 'error'],
    ])('%s: permanent %s, recorded as %s', (_label, f, permanent, code) => {
      expect(isPermanent(f)).toBe(permanent);
      expect(failureCode(f)).toBe(code);
    });

    it.each<[{ responseCode?: number; code?: string }, number, 'pending' | 'dead', number]>([
      [{ code: 'ECONNECTION' }, 1, 'pending', 1000 + 30_000],
      [{ code: 'ECONNECTION' }, 7, 'pending', 1000 + 1_920_000],
      [{ code: 'ECONNECTION' }, 8, 'dead', 1000],
      [{ responseCode: 550 }, 1, 'dead', 1000],
    ])('%j at attempt %i of 8: %s', (f, n, status, next) => expect(afterFailure(f, n, 8, 1000, 30_000)).toEqual({ status, nextAttemptAt: next }));
  });

  it('kinds round-trip in a fixed order and unknown ones are dropped', () => {
    expect(formatKinds(['person_denied', 'request_decided', 'nonsense'])).toBe('request_decided,person_denied');
    expect(parseKinds('person_denied,nonsense,request_decided')).toEqual(['request_decided', 'person_denied']);
    expect(parseKinds(formatKinds(NOTIFICATION_KINDS))).toEqual([...NOTIFICATION_KINDS]);
  });

  describe('mail content', () => {
    const id = (n: number) => `0190aaaa-0000-7000-8000-00000000000${n}`;
    it.each([
      [
        'request_decided',
        mailFor(
          'request_decided',
          { requestId: id(1), decision: 'refused', requestKind: 'grant', personId: id(2), accessLevelId: id(3) },
          'https://acs.example.com',
        ),
      ],
      ['visitor_arrived', mailFor('visitor_arrived', { visitorId: id(1), placeId: id(2), at: 0 }, 'https://acs.example.com')],
      ['person_denied', mailFor('person_denied', { personId: id(1), zoneId: id(2), count: 3, lastAt: 0 }, 'https://acs.example.com/')],
      ['access_ending', mailFor('access_ending', { grantId: id(1), personId: null, accessLevelId: id(3), endsAt: 0 }, undefined)],
    ])('%s names ids and a console link, nothing else about anyone', (_kind, mail) => {
      expect(mail.subject).toMatch(/^\[ACS\] /);
      expect(mail.text).toMatch(/\nDetails: (https:\/\/acs\.example\.com)?\/console\/[a-z-]+\n/);
      expect(mail.text).not.toContain('example.com//');
      expect(mail.text).not.toContain('@');
    });

    it('a refusal says where to read the reason instead of quoting it', () => {
      const m = mailFor(
        'request_decided',
        { requestId: id(1), decision: 'refused', requestKind: 'add_person', personId: null, accessLevelId: null },
        undefined,
      );
      expect(m.subject).toBe('[ACS] Access request refused');
      expect(m.text).toContain(`Your access request ${id(1)} (add_person) was refused by the datacenter.`);
      expect(m.text).toContain('The reason is shown with the request in the console.');
      expect(m.text).not.toContain('Person reference');
    });

    it('a denial streak names the person by reference and the zone by id', () => {
      const m = mailFor('person_denied', { personId: id(1), zoneId: id(2), count: 3, lastAt: Date.parse('2026-11-26T09:00:00Z') }, 'https://acs.example.com');
      expect(m.subject).toBe('[ACS] Access denied 3 times in a row');
      expect(m.text).toContain(`Person reference ${id(1)} was denied 3 times in a row at zone ${id(2)}, the last at 2026-11-26T09:00:00Z.`);
      expect(m.text).toContain('Details: https://acs.example.com/console/portal-history');
    });

    it("a visitor's arrival names the visit by id and leads to the Visitors page", () => {
      const m = mailFor(
        'visitor_arrived',
        { visitorId: id(1), placeId: 'the security desk', at: Date.parse('2026-11-26T09:00:00Z') },
        'https://acs.example.com',
      );
      expect(m.subject).toBe('[ACS] Visitor arrived');
      expect(m.text).toContain(`Visitor ${id(1)} arrived at the security desk at 2026-11-26T09:00:00Z.`);
      expect(m.text).toContain('Details: https://acs.example.com/console/portal-visitors');
    });
  });
});
