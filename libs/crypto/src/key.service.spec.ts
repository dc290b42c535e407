import { chmodSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { FakeClock } from '@acs/clock';
import { loadConfig } from '@acs/config';
import { DataKeyEntity, DecryptionError, KeyDestroyedError, KeyService, MasterKeyError } from '@acs/crypto';
import type { TestDatabase } from '@acs/database/testing';
import { createLibTestDatabase } from '../../../test/support/lib-database.js';

describe(KeyService.name, () => {
  let db: TestDatabase;
  let clock: FakeClock;
  const make = (env: Record<string, string> = {}) => new KeyService(loadConfig({ DATA_DIR: db.dir, ...env }), db.dataSource, db.writes, clock);

  beforeEach(async () => {
    db = await createLibTestDatabase([DataKeyEntity]);
    clock = new FakeClock('2026-11-26T10:00:00Z');
  });
  afterEach(() => db.close());

  it('creates the master key file with mode 0600 on first use', () => {
    make();
    const file = join(db.dir, 'master-key.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(Object.keys((JSON.parse(readFileSync(file, 'utf8')) as { keys: object }).keys)).toHaveLength(1);
  });

  it('refuses a master key file other users can read', () => {
    make();
    chmodSync(join(db.dir, 'master-key.json'), 0o644);
    expect(() => make()).toThrow(MasterKeyError);
  });

  it('round-trips a value and never stores it in clear', async () => {
    const sut = make();
    const ct = await sut.encrypt('customer:c1', 'Marlies Verhoeven', 'person:p1:name');
    expect(ct).not.toContain('Marlies');
    expect(Buffer.from(ct, 'base64').toString('latin1')).not.toContain('Marlies');
    await expect(sut.decryptString(ct, 'person:p1:name')).resolves.toBe('Marlies Verhoeven');
  });

  it('binds a ciphertext to its associated data (a copy into another row does not decrypt)', async () => {
    const sut = make();
    const ct = await sut.encrypt('customer:c1', 'secret', 'person:p1:name');
    await expect(sut.decrypt(ct, 'person:p2:name')).rejects.toThrow(DecryptionError);
  });

  it('uses one data key per scope', async () => {
    const sut = make();
    await sut.encrypt('customer:a', 'x', 'aad');
    await sut.encrypt('customer:a', 'y', 'aad');
    await sut.encrypt('customer:b', 'z', 'aad');
    await expect(db.dataSource.getRepository(DataKeyEntity).count()).resolves.toBe(2);
  });

  it('crypto-shreds: after destroying the scope key, its ciphertexts are unreadable, others are not', async () => {
    const sut = make();
    const gone = await sut.encrypt('customer:a', 'erase me', 'aad');
    const kept = await sut.encrypt('customer:b', 'keep me', 'aad');
    await expect(sut.destroyScope('customer:a')).resolves.toBe(true);
    await expect(sut.decrypt(gone, 'aad')).rejects.toThrow(KeyDestroyedError);
    // a fresh process (no cache) cannot read it either
    await expect(make().decrypt(gone, 'aad')).rejects.toThrow(KeyDestroyedError);
    await expect(make().decryptString(kept, 'aad')).resolves.toBe('keep me');
  });

  it('blind index: equal within scope and purpose, unrelated across them, gone with the scope', async () => {
    const sut = make();
    const a = await sut.blindIndex('customer:a', 'card', '26:1234567');
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    await expect(sut.blindIndex('customer:a', 'card', '26:1234567')).resolves.toBe(a);
    await expect(make().blindIndexIfKeyed('customer:a', 'card', '26:1234567')).resolves.toBe(a); // same key after a restart
    await expect(sut.blindIndex('customer:a', 'card', '26:1234568')).resolves.not.toBe(a);
    await expect(sut.blindIndex('customer:b', 'card', '26:1234567')).resolves.not.toBe(a);
    await expect(sut.blindIndex('customer:a', 'other', '26:1234567')).resolves.not.toBe(a);
    await expect(sut.blindIndex('customer:a', 'Not A Label!', 'x')).rejects.toThrow('purpose');
    await expect(sut.destroyScope('customer:a')).resolves.toBe(true);
    await expect(sut.blindIndexIfKeyed('customer:a', 'card', '26:1234567')).resolves.toBeNull();
    await expect(make().blindIndexIfKeyed('customer:a', 'card', '26:1234567')).resolves.toBeNull();
    // a new key for the scope (a customer starting over) gives new, unrelated hashes
    await expect(sut.blindIndex('customer:a', 'card', '26:1234567')).resolves.not.toBe(a);
  });

  it('blind indexes of several values equal the single ones; the keyed variant is null without a key', async () => {
    const sut = make();
    const one = await sut.blindIndex('customer:a', 'person-name', 'ja');
    await expect(sut.blindIndexes('customer:a', 'person-name', ['ja', 'jan'])).resolves.toEqual([
      one,
      await sut.blindIndex('customer:a', 'person-name', 'jan'),
    ]);
    await expect(make().blindIndexesIfKeyed('customer:a', 'person-name', ['ja'])).resolves.toEqual([one]);
    await expect(sut.blindIndexesIfKeyed('customer:none', 'person-name', ['ja'])).resolves.toBeNull();
    await expect(sut.blindIndexes('customer:a', 'Not A Label!', ['x'])).rejects.toThrow('purpose');
  });

  it('blindIndexIfKeyed never creates a data key', async () => {
    const sut = make();
    await expect(sut.blindIndexIfKeyed('customer:none', 'card', 'x')).resolves.toBeNull();
    await expect(db.dataSource.getRepository(DataKeyEntity).count()).resolves.toBe(0);
  });

  it('rotates the master key: data keys re-wrapped, old key retired, ciphertexts still readable', async () => {
    const sut = make();
    const ct = await sut.encrypt('customer:a', 'value', 'aad');
    const oldId = sut.masterKeyId;
    clock.advance(1000);
    const result = await sut.rotateMasterKey();
    expect(result.rewrapped).toBe(1);
    expect(result.retired).toEqual([oldId]);
    const file = JSON.parse(readFileSync(join(db.dir, 'master-key.json'), 'utf8')) as { current: string; keys: Record<string, string> };
    expect(Object.keys(file.keys)).toEqual([result.newMasterKeyId]);
    expect(file.current).toBe(result.newMasterKeyId);
    await expect(make().decryptString(ct, 'aad')).resolves.toBe('value');
  });

  it('cannot unwrap data keys with a different master key', async () => {
    const sut = make();
    const ct = await sut.encrypt('customer:a', 'value', 'aad');
    const other = Buffer.alloc(32, 7).toString('base64');
    const impostor = make({ MASTER_KEY: other });
    await expect(impostor.decrypt(ct, 'aad')).rejects.toThrow(MasterKeyError);
  });
});
