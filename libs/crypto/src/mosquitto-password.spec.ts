import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { mosquittoPasswordHash, verifyMosquittoPassword } from '@acs/crypto';

describe(mosquittoPasswordHash.name, () => {
  it('verifies the right password and rejects a wrong one', () => {
    const hash = mosquittoPasswordHash('s3cret-broker-pw');
    expect(hash).toMatch(/^\$7\$101\$[A-Za-z0-9+/=]{16}\$[A-Za-z0-9+/=]{88}$/);
    expect(verifyMosquittoPassword('s3cret-broker-pw', hash)).toBe(true);
    expect(verifyMosquittoPassword('s3cret-broker-pX', hash)).toBe(false);
    expect(verifyMosquittoPassword('s3cret-broker-pw', 'plain')).toBe(false);
  });

  // mosquitto_passwd comes with the mosquitto package, which .ci/run installs.
  it('reads hashes written by mosquitto_passwd (same format)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'acs-mpw-'));
    try {
      const file = join(dir, 'pw');
      writeFileSync(file, '');
      execFileSync('mosquitto_passwd', ['-b', file, 'door-1', 'pa55-word']);
      const hash = readFileSync(file, 'utf8').trim().split(':')[1];
      expect(verifyMosquittoPassword('pa55-word', hash)).toBe(true);
      expect(verifyMosquittoPassword('other', hash)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
