import { describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import { FakeClock, type PeriodicJobs } from '@acs/clock';
import { DatabaseHealth, isConnectionError } from './database-health.js';

describe('isConnectionError', () => {
  it.each<[string, unknown, boolean]>([
    ['connection refused', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }), true],
    ['reset by peer', Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }), true],
    ['node-postgres socket closed under a query', new Error('Connection terminated unexpectedly'), true],
    ['node-postgres connect timeout', new Error('Connection terminated due to connection timeout'), true],
    [
      'admin shutdown (57P01) inside a TypeORM QueryFailedError',
      Object.assign(new Error('query failed'), { driverError: { code: '57P01', message: 'terminating connection' } }),
      true,
    ],
    ['class 08 connection exception', { code: '08006', message: 'connection failure' }, true],
    ['cannot connect now (57P03)', { code: '57P03', message: 'the database system is starting up' }, true],
    ['AggregateError of IPv4 and IPv6 refusals', Object.assign(new AggregateError([{ code: 'ECONNREFUSED' }, { code: 'ECONNREFUSED' }], 'x'), {}), true],
    ['in the cause chain', new Error('wrapped', { cause: { code: 'ETIMEDOUT' } }), true],
    ['unique violation (23505): the database answered', { code: '23505', message: 'duplicate key value violates unique constraint' }, false],
    ['statement timeout (57014): the database answered', { code: '57014', message: 'canceling statement due to statement timeout' }, false],
    ['SQLite busy', { code: 'SQLITE_BUSY', message: 'database is locked' }, false],
    ['SQLite message that mentions a connection', { code: 'SQLITE_ERROR', message: 'connection error' }, false],
    ['a plain error', new Error('something else'), false],
    ['not an error', 'ECONNREFUSED', false],
    ['null', null, false],
  ])('%s → %s', (_label, err, expected) => {
    expect(isConnectionError(err)).toBe(expected);
  });
});

describe('DatabaseHealth', () => {
  const make = () => {
    const clock = new FakeClock('2026-11-26T09:00:00Z');
    return { clock, health: new DatabaseHealth({ options: { type: 'postgres' } } as DataSource, clock, {} as PeriodicJobs) };
  };

  it('is degraded from the first connection failure until the first success; the age runs on the injected clock', () => {
    const { clock, health } = make();
    const seen: string[] = [];
    health.on('degraded', () => seen.push('degraded'));
    health.on('recovered', (_at, down) => seen.push(`recovered after ${down}`));
    expect(health.noteFailure({ code: '23505' })).toBe(false);
    expect(health.degraded).toBe(false);
    expect(health.noteFailure({ code: 'ECONNREFUSED' })).toBe(true);
    const since = clock.nowMs();
    clock.advance(4000);
    // A second failure does not move the start of the outage.
    health.noteFailure({ code: 'ECONNRESET' });
    clock.advance(3500);
    expect(health.view()).toEqual({ degraded: true, since, ageSeconds: 7 });
    health.noteSuccess();
    expect(health.view()).toEqual({ degraded: false, since: null, ageSeconds: 0 });
    expect(seen).toEqual(['degraded', 'recovered after 7500']);
  });
});
