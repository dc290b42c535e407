import { describe, expect, it } from '@jest/globals';
import type { AccessLogRetentionPolicy } from '@acs/access-log';
import { historyRetentionPolicy } from './history-retention.js';

describe(historyRetentionPolicy.name, () => {
  it.each<[string, 'delete' | 'pseudonymise', number, number, AccessLogRetentionPolicy]>([
    ['the statement’s default', 'delete', 0, 90, { mode: 'until_end_of_service', graceDays: 0, source: 'default' }],
    ['delete after a grace period', 'delete', 30, 90, { mode: 'until_end_of_service', graceDays: 30, source: 'configuration' }],
    ['pseudonymise, kept 90 days', 'pseudonymise', 0, 90, { mode: 'pseudonymise', keepDays: 90, graceDays: 0, source: 'configuration' }],
    ['pseudonymise after a grace period', 'pseudonymise', 14, 365, { mode: 'pseudonymise', keepDays: 365, graceDays: 14, source: 'configuration' }],
  ])('%s', (_label, HISTORY_RETENTION, PURGE_GRACE_DAYS, HISTORY_KEEP_DAYS, expected) => {
    expect(historyRetentionPolicy({ HISTORY_RETENTION, PURGE_GRACE_DAYS, HISTORY_KEEP_DAYS })).toEqual(expected);
  });
});
