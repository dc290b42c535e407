import { describe, expect, it } from '@jest/globals';
import { ACCESS_REASONS, BADGE_IN_DECISION_REASONS } from '@acs/access-rules';
import { ACCESS_EVENT_REASONS, FOLLOW_UP_REASONS, REASON_PATTERN } from './model.js';

describe('access event reason codes', () => {
  it('document every reason the rules and the badge-in decision can give, and the follow-ups', () => {
    expect(ACCESS_EVENT_REASONS).toEqual(expect.arrayContaining([...ACCESS_REASONS, ...BADGE_IN_DECISION_REASONS, ...FOLLOW_UP_REASONS]));
    expect(new Set(ACCESS_EVENT_REASONS).size).toBe(ACCESS_EVENT_REASONS.length);
  });

  it('all fit the reason column and its pattern', () => {
    expect(ACCESS_EVENT_REASONS.filter((r) => !REASON_PATTERN.test(r) || r.length > 48)).toEqual([]);
  });
});
