import { generateKeyPairSync } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { signEvidence, verifyEvidence } from './evidence-jws.js';
import { kidOf, parsePublicKeys, SigningKeyError, SigningKeyRing } from './signing-key-ring.js';

describe('signing key ring and signed evidence', () => {
  let dir: string;
  const now = () => new Date('2026-12-01T10:00:00Z');
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'acs-sign-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('creates the key file with mode 0600 and refuses one other users can read', () => {
    const path = join(dir, 'keys', 'signing-keys.json');
    const ring = SigningKeyRing.open(path, now);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(ring.currentKid).toMatch(/^ed25519-[0-9a-f]{16}$/);
    expect(SigningKeyRing.open(path, now).currentKid).toBe(ring.currentKid);
    chmodSync(path, 0o644);
    expect(() => SigningKeyRing.open(path, now)).toThrow(SigningKeyError);
    expect(SigningKeyRing.openExisting(join(dir, 'absent.json'))).toBeNull();
  });

  it('signs a payload that verifies with the public key alone, and not after an edit or under another key', async () => {
    const ring = SigningKeyRing.open(join(dir, 'signing-keys.json'), now);
    const payload = JSON.stringify({ certificate: 'c1', customerId: 'x', complete: true });
    const jws = await signEvidence('acs-erasure-certificate', payload, ring.currentKid, ring.currentPrivateKey);
    const [pub] = parsePublicKeys(ring.publicKeys()[0].pem);
    expect(kidOf(pub)).toBe(ring.currentKid);
    await expect(verifyEvidence(jws, 'acs-erasure-certificate', () => [pub])).resolves.toMatchObject({ ok: true, payload, kid: ring.currentKid });

    const [h, , s] = jws.split('.');
    const edited = `${h}.${Buffer.from(payload.replace('"complete":true', '"complete":false')).toString('base64url')}.${s}`;
    await expect(verifyEvidence(edited, 'acs-erasure-certificate', () => [pub])).resolves.toMatchObject({ ok: false, reason: 'bad_signature' });
    await expect(verifyEvidence(jws, 'acs-checkpoint', () => [pub])).resolves.toMatchObject({ ok: false, reason: 'wrong_type' });
    await expect(verifyEvidence(jws, 'acs-erasure-certificate', () => [])).resolves.toMatchObject({ ok: false, reason: 'unknown_key' });
    await expect(verifyEvidence('not a jws', 'acs-erasure-certificate', () => [pub])).resolves.toMatchObject({ ok: false, reason: 'malformed' });

    const other = generateKeyPairSync('ed25519');
    const forged = await signEvidence('acs-erasure-certificate', payload, ring.currentKid, other.privateKey);
    await expect(verifyEvidence(forged, 'acs-erasure-certificate', () => [pub])).resolves.toMatchObject({ ok: false, reason: 'bad_signature' });
  });

  it('rotation keeps old public keys verifiable and drops the old private key', async () => {
    const path = join(dir, 'signing-keys.json');
    const ring = SigningKeyRing.open(path, now);
    const oldKid = ring.currentKid;
    const old = await signEvidence('acs-checkpoint', '{"seq":1}', oldKid, ring.currentPrivateKey);
    const { kid, retired } = ring.rotate(new Date('2026-12-02T10:00:00Z'));
    expect(retired).toBe(oldKid);
    expect(kid).not.toBe(oldKid);
    const reloaded = SigningKeyRing.open(path, now);
    expect(reloaded.currentKid).toBe(kid);
    expect(reloaded.publicKeys().map((k) => [k.kid, k.current, k.retiredAt])).toEqual([
      [oldKid, false, '2026-12-02T10:00:00.000Z'],
      [kid, true, null],
    ]);
    const stored = JSON.parse(readFileSync(path, 'utf8')) as { keys: Record<string, { privateKey?: string }> };
    expect(Object.entries(stored.keys).map(([k, v]) => [k, v.privateKey !== undefined])).toEqual([
      [oldKid, false],
      [kid, true],
    ]);
    const byKid = (k: string | null) => (k && reloaded.publicKey(k) ? [reloaded.publicKey(k)!] : []);
    await expect(verifyEvidence(old, 'acs-checkpoint', byKid)).resolves.toMatchObject({ ok: true });
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });
});
