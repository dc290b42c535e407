import { describe, expect, it } from '@jest/globals';
import type { RequestKind, RequestStatus } from './access-request.entity.js';
import { appliedStatus, canDecide, invitesToEnrolment, onFiling, validPeriod } from './rules.js';

const L1 = 'level-1';
const L2 = 'level-2';

describe('access request rules', () => {
  it.each<[RequestKind, string | null, string[], 'apply' | 'wait']>([
    ['remove', null, [], 'apply'],
    ['remove', L1, [], 'apply'],
    ['grant', L1, [], 'wait'],
    ['grant', L1, [L2], 'wait'],
    ['grant', L1, [L1], 'apply'],
    ['add_person', L1, [L1], 'wait'],
    ['add_person', null, [L1], 'wait'],
  ])('filing %s for %s with pre-approved %j: %s', (kind, level, pre, expected) => {
    expect(onFiling(kind, level, new Set(pre))).toBe(expected);
  });

  it.each<[RequestKind, RequestStatus]>([
    ['remove', 'applied'],
    ['grant', 'approved'],
    ['add_person', 'approved'],
  ])('%s ends %s', (kind, status) => expect(appliedStatus(kind)).toBe(status));

  it.each<[RequestStatus, boolean]>([
    ['pending', true],
    ['approved', false],
    ['refused', false],
    ['applied', false],
  ])('a %s request can be decided: %s', (status, expected) => expect(canDecide(status)).toBe(expected));

  it.each<[RequestKind, string | null, boolean]>([
    ['add_person', null, true],
    ['add_person', L1, true],
    ['grant', L1, true],
    ['remove', L1, false],
    ['remove', null, false],
  ])('%s (%s) invites to enrolment: %s', (kind, level, expected) => expect(invitesToEnrolment(kind, level)).toBe(expected));

  it.each<[number | null, number | null, boolean]>([
    [null, null, true],
    [1000, null, true],
    [null, 1000, true],
    [1000, 2000, true],
    [2000, 2000, false],
    [2000, 1000, false],
    [Number.NaN, null, false],
  ])('period %s..%s valid: %s', (from, until, expected) => expect(validPeriod(from, until)).toBe(expected));
});
