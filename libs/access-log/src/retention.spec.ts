import { describe, expect, it } from '@jest/globals';
import { type AccessLogRetentionPolicy, retentionState } from './retention.js';

const DAY = 86_400_000;
const END = Date.parse('2026-06-30T22:00:00Z');
const del: AccessLogRetentionPolicy = { mode: 'until_end_of_service', graceDays: 0, source: 'default' };
const delGrace: AccessLogRetentionPolicy = { mode: 'until_end_of_service', graceDays: 14, source: 'configuration' };
const pseudo: AccessLogRetentionPolicy = { mode: 'pseudonymise', graceDays: 0, keepDays: 90, source: 'configuration' };

describe('retentionState', () => {
  it.each([
    // policy, serviceEnd, purgedAt, now, events → appliesAt, keepUntil, state
    ['delete, no end date', del, null, null, END, 10, null, null, 'retained'],
    ['delete, before the end', del, END, null, END - 1, 10, END, END, 'retained'],
    ['delete, at the end', del, END, null, END, 10, END, END, 'due'],
    ['delete with grace, inside the grace', delGrace, END, null, END + DAY, 10, END + 14 * DAY, END + 14 * DAY, 'retained'],
    ['delete, purged', del, END, END + 1, END + 2, 0, END, END, 'applied'],
    ['pseudonymise, before the end', pseudo, END, null, END - 1, 10, END, END + 90 * DAY, 'retained'],
    ['pseudonymise, ended not purged', pseudo, END, null, END + 1, 10, END, END + 90 * DAY, 'due'],
    ['pseudonymise, purged, kept', pseudo, END, END + 1, END + 30 * DAY, 10, END, END + 90 * DAY, 'pseudonymised'],
    ['pseudonymise, keeping period over', pseudo, END, END + 1, END + 90 * DAY, 10, END, END + 90 * DAY, 'due'],
    ['pseudonymise, expired and deleted', pseudo, END, END + 1, END + 91 * DAY, 0, END, END + 90 * DAY, 'applied'],
  ] as const)('%s', (_name, policy, serviceEnd, purgedAt, now, events, appliesAt, keepUntil, state) => {
    expect(retentionState(policy, { serviceEnd, purgedAt }, now, events)).toEqual({ appliesAt, keepUntil, state });
  });
});
