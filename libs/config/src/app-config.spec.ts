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

  it('never echoes a rejected value, which may be a secret', () => {
    const secret = 'c2VjcmV0LXZhbHVl!!!';
    const caught = catchError(() => loadConfig({ MASTER_KEY: secret }));
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as Error).message).not.toContain(secret);
  });
});
