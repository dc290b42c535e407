import { spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { DataSource } from 'typeorm';
import { certificateFileName, certificateHash, ErasureCertificateEntity, ErasureService } from '@acs/compliance';
import { signEvidence, type PublicSigningKey } from '@acs/crypto';
import { bearer, createCustomer, createPerson } from '../support/registry-fixture.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { purgeVerify } from '../../apps/cli/src/compliance-commands.js';
import { endService } from '../compliance/compliance-support.js';
import { waitForErasure } from '../support/wait-for-erasure.js';

jest.setTimeout(60_000);

/** acsctl from dist/, in a folder with no database, no key ring and no server: a verifier's machine. */
function acsctl(args: string[], dataDir: string): { status: number | null; out: string } {
  const r = spawnSync(process.execPath, ['dist/apps/cli/src/main.js', ...args], { env: { PATH: process.env.PATH, DATA_DIR: dataDir }, encoding: 'utf8' });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

function openssl(file: string, pem: string): { status: number | null; out: string } {
  const r = spawnSync('sh', ['docs/evidence/verify-with-openssl.sh', file, pem], { encoding: 'utf8' });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

const lines = () => {
  const out: string[] = [];
  return { out, sink: { line: (s: string) => void out.push(s), json: (v: unknown) => void out.push(JSON.stringify(v)) } };
};

describe('signed erasure certificates (issue 15, part 3)', () => {
  let t: TestApp;
  let verifierDir: string;
  let certificateId: string;
  let file: string;
  let pem: string;

  beforeAll(async () => {
    t = await startTestApp({ env: { READERS_ENABLED: 'false', PURGE_SCHEDULE_ENABLED: 'false' } });
    verifierDir = mkdtempSync(join(tmpdir(), 'acs-verifier-'));
    const customer = await createCustomer(t);
    await createPerson(t, customer.id);
    await endService(t, customer.id);
    const compliance = await t.tokenFor('compliance');
    const started = await t.http().post(`/compliance/customers/${customer.id}/purge`).set(bearer(compliance)).expect(202);
    const eraser = t.app.get(ErasureService);
    eraser.pollMs = 50;
    await waitForErasure(eraser, started.body.id as string);
    [{ id: certificateId }] = await eraser.certificates({ customerId: customer.id });
    file = join(t.config.certificateDir, certificateFileName(certificateId));
    const keys = await t
      .http()
      .get('/compliance/signing-keys')
      .set(bearer(await t.tokenFor('auditor')))
      .expect(200);
    pem = join(verifierDir, 'acs-signing.pem');
    writeFileSync(pem, (keys.body as PublicSigningKey[]).map((k) => k.pem).join(''));
  });

  afterAll(async () => {
    await t.close();
    rmSync(verifierDir, { recursive: true, force: true });
  });

  it('writes every certificate as a signed file outside the database when it is issued, equal to the stored one', async () => {
    expect(existsSync(file)).toBe(true);
    const row = await t.app.get(DataSource).getRepository(ErasureCertificateEntity).findOneByOrFail({ id: certificateId });
    expect(readFileSync(file, 'utf8').trim()).toBe(row.jws);
    const signed = await t.http().get(`/compliance/certificates/${certificateId}/signed`).set(bearer(t.adminToken)).expect(200);
    expect(signed.headers['content-type']).toMatch(/application\/jose/);
    expect(signed.text.trim()).toBe(row.jws);
    const res = await t.http().get(`/compliance/certificates/${certificateId}`).set(bearer(t.adminToken)).expect(200);
    expect(res.headers['x-certificate-valid']).toBe('true');
    expect(res.headers['x-certificate-signature']).toBe('valid');
  });

  it('verifies on a machine with only the public key (acsctl without database or server, and openssl alone)', () => {
    const ok = acsctl(['certificate:verify', file, '--public-key', pem], verifierDir);
    expect(ok.out).toContain(`VALID: erasure certificate ${certificateId}`);
    expect(ok.status).toBe(0);
    // Nothing was opened or created there: no database, no key ring.
    expect(readdirSync(verifierDir)).toEqual(['acs-signing.pem']);
    const o = openssl(file, pem);
    expect(o.out).toContain('Signature Verified Successfully');
    expect(o.out).toContain(`"certificate":"${certificateId}"`);
    expect(o.status).toBe(0);
  });

  it('fails a certificate file that was edited, and one signed by another key', async () => {
    const jws = readFileSync(file, 'utf8').trim();
    const [header, payload, signature] = jws.split('.');
    const body = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
    const { hash: _hash, ...rest }: Record<string, unknown> = { ...body, complete: false };
    // The forger recomputes the certificate's own hash: only the signature can catch this.
    const forgedText = JSON.stringify({ ...rest, hash: certificateHash(rest) });
    const edited = join(verifierDir, 'edited.jws');
    writeFileSync(edited, `${header}.${Buffer.from(forgedText).toString('base64url')}.${signature}\n`);
    const e = acsctl(['certificate:verify', edited, '--public-key', pem], verifierDir);
    expect(e.out).toContain('INVALID');
    expect(e.status).toBe(1);
    expect(openssl(edited, pem).status).not.toBe(0);

    const other = generateKeyPairSync('ed25519');
    const kid = (JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as { kid: string }).kid;
    const foreign = join(verifierDir, 'foreign.jws');
    writeFileSync(foreign, `${await signEvidence('acs-erasure-certificate', forgedText, kid, other.privateKey)}\n`);
    const f = acsctl(['certificate:verify', foreign, '--public-key', pem], verifierDir);
    expect(f.out).toContain('INVALID');
    expect(f.status).toBe(1);
    expect(openssl(foreign, pem).status).not.toBe(0);
  });

  it('fails a certificate edited in the database, even with its hash recomputed, in the API and in purge:verify', async () => {
    const repo = t.app.get(DataSource).getRepository(ErasureCertificateEntity);
    const row = await repo.findOneByOrFail({ id: certificateId });
    const { hash: _hash, ...rest }: Record<string, unknown> = { ...(JSON.parse(row.body) as Record<string, unknown>), contractRef: 'SOMEONE-ELSE' };
    const hash = certificateHash(rest);
    await repo.update({ id: certificateId }, { body: JSON.stringify({ ...rest, hash }), hash });
    try {
      const res = await t.http().get(`/compliance/certificates/${certificateId}`).set(bearer(t.adminToken)).expect(200);
      expect(res.headers['x-certificate-valid']).toBe('false');
      const { out, sink } = lines();
      await expect(purgeVerify(t.config, sink, {})).resolves.toBe(false);
      expect(out.join('\n')).toContain('signature');

      // Clearing the signature does not fall back to the bare hash.
      await repo.update({ id: certificateId }, { jws: null });
      const unsigned = await t.http().get(`/compliance/certificates/${certificateId}`).set(bearer(t.adminToken)).expect(200);
      expect(unsigned.headers['x-certificate-valid']).toBe('false');
    } finally {
      await repo.update({ id: certificateId }, { body: row.body, hash: row.hash, jws: row.jws });
    }
    const { sink } = lines();
    await expect(purgeVerify(t.config, sink, {})).resolves.toBe(true);
  });

  it('after keys:rotate-signing the old certificate still verifies with the ring, and keys:public lists both keys', () => {
    const before = JSON.parse(acsctl(['keys:public', '--json'], t.dir).out) as PublicSigningKey[];
    expect(before).toHaveLength(1);
    const rotated = acsctl(['keys:rotate-signing'], t.dir);
    expect(rotated.status).toBe(0);
    const after = JSON.parse(acsctl(['keys:public', '--json'], t.dir).out) as PublicSigningKey[];
    expect(after.map((k) => [k.kid, k.current])).toEqual([
      [before[0].kid, false],
      [expect.stringMatching(/^ed25519-[0-9a-f]{16}$/), true],
    ]);
    expect(after[1].kid).not.toBe(before[0].kid);
    const ok = acsctl(['certificate:verify', file], t.dir);
    expect(ok.out).toContain(`signed by ${before[0].kid}`);
    expect(ok.status).toBe(0);
  });
});
