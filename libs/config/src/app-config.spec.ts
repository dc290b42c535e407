import { describe, expect, it } from '@jest/globals';
import { ConfigError, loadConfig } from '@acs/config';

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return undefined;
}

describe(loadConfig.name, () => {
  it('applies the documented defaults to an empty environment', () => {
    const config = loadConfig({});
    expect(config.HTTP_PORT).toBe(3000);
    expect(config.DATABASE_SYNCHRONOUS).toBe('FULL');
    expect(config.databasePath).toBe('./data/acs.sqlite');
    expect(config.masterKeyFile).toBe('./data/master-key.json');
    expect(config.DATABASE_MIGRATE_ON_START).toBe(true);
  });

  it('converts numbers and booleans from strings', () => {
    const config = loadConfig({ HTTP_PORT: '8080', DATABASE_MIGRATE_ON_START: 'false', DATA_DIR: '/srv/acs/' });
    expect(config.HTTP_PORT).toBe(8080);
    expect(config.DATABASE_MIGRATE_ON_START).toBe(false);
    expect(config.databasePath).toBe('/srv/acs/acs.sqlite');
  });

  it.each([
    ['HTTP_PORT', 'eighty', 'HTTP_PORT'],
    ['HTTP_PORT', '70000', 'HTTP_PORT'],
    ['DATABASE_SYNCHRONOUS', 'OFF', 'DATABASE_SYNCHRONOUS'],
    ['MASTER_KEY', 'not base64!!', 'MASTER_KEY'],
    ['HTTP_BODY_LIMIT', 'lots', 'HTTP_BODY_LIMIT'],
    ['DATABASE_MIGRATE_ON_START', 'maybe', 'DATABASE_MIGRATE_ON_START'],
  ])('rejects %s=%s naming the variable', (name, value, expected) => {
    const caught = catchError(() => loadConfig({ [name]: value }));
    expect(caught).toBeInstanceOf(ConfigError);
    const problems = (caught as ConfigError).problems;
    expect(problems.some((p) => p.startsWith(`${expected}:`))).toBe(true);
  });

  it.each(['postgres://acs:pw@db.example:5432/acs', 'postgresql://acs@10.0.0.5/acs_prod?sslmode=require'])(
    'accepts DATABASE_URL=%s and selects PostgreSQL',
    (url) => {
      const config = loadConfig({ DATABASE_URL: url });
      expect(config.databaseDriver).toBe('postgres');
      expect(config.DATABASE_POOL_SIZE).toBe(10);
    },
  );

  it.each([
    [{ METRICS_PORT: '9464' }, null],
    [{ METRICS_PORT: '9464', METRICS_HOST: '::1' }, null],
    [{ METRICS_PORT: '9464', METRICS_HOST: '0.0.0.0' }, 'METRICS_HOST'],
    [{ METRICS_PORT: '9464', METRICS_HOST: '10.0.0.5', METRICS_TOKEN: 'x'.repeat(32) }, null],
    [{ METRICS_TOKEN: 'too-short' }, 'METRICS_TOKEN'],
    [{ METRICS_HOST: '0.0.0.0' }, null],
  ])('metrics settings %j: refused naming %s, or accepted', (env, refused) => {
    const caught = catchError(() => loadConfig(env)) as ConfigError | undefined;
    expect(caught?.problems.map((p) => p.split(':')[0]) ?? null).toEqual(refused === null ? null : [refused]);
  });

  it('uses the SQLite file when DATABASE_URL is unset', () => {
    expect(loadConfig({}).databaseDriver).toBe('sqlite');
  });

  it.each(['mysql://acs:pw@db/acs', 'postgres://db.example:5432', 'db.example/acs', 'postgres:// spaced/acs'])(
    'rejects DATABASE_URL=%s naming the variable',
    (url) => {
      const caught = catchError(() => loadConfig({ DATABASE_URL: url }));
      expect(caught).toBeInstanceOf(ConfigError);
      expect((caught as ConfigError).problems).toEqual([expect.stringMatching(/^DATABASE_URL: must be a postgres:\/\/ or postgresql:\/\/ URL/)]);
    },
  );

  it('never echoes a rejected DATABASE_URL, which holds a password', () => {
    const caught = catchError(() => loadConfig({ DATABASE_URL: 'mysql://acs:S3cret-Pa55@db/acs' }));
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as Error).message).not.toContain('S3cret-Pa55');
  });

  it('refuses DATABASE_PATH together with DATABASE_URL', () => {
    const caught = catchError(() => loadConfig({ DATABASE_URL: 'postgres://acs@db/acs', DATABASE_PATH: '/srv/acs.sqlite' }));
    expect((caught as ConfigError).problems).toEqual([expect.stringMatching(/^DATABASE_PATH:/)]);
  });

  it('never echoes a rejected value, which may be a secret', () => {
    const secret = 'c2VjcmV0LXZhbHVl!!!';
    const caught = catchError(() => loadConfig({ MASTER_KEY: secret }));
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as Error).message).not.toContain(secret);
  });
});
