import { createHmac, hkdfSync, randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { Clock } from '@acs/clock';
import { AppConfig } from '@acs/config';
import { WriteQueue } from '@acs/database';
import { DecryptionError, open, randomKey, seal } from './aead.js';
import { DataKeyEntity } from './data-key.entity.js';
import { MasterKeyRing } from './master-key-ring.js';

const FORMAT_V1 = 1;

export class KeyDestroyedError extends Error {
  constructor() {
    super('the data key for this ciphertext has been destroyed');
    this.name = 'KeyDestroyedError';
  }
}

/**
 * Envelope encryption for personal data. Each scope (normally one customer) has its own data
 * key; ciphertexts name the key they were sealed with and bind caller-supplied associated data
 * (e.g. `person:<id>:name`) so a ciphertext copied to another row or column fails to decrypt.
 *
 * Ciphertext layout (base64): version(1) | keyIdLength(1) | keyId | nonce(12) | tag(16) | body.
 */
@Injectable()
export class KeyService {
  private readonly ring: MasterKeyRing;
  private readonly cache = new Map<string, Buffer>();
  private readonly scopeIds = new Map<string, string>();

  constructor(
    config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly writes: WriteQueue,
    private readonly clock: Clock,
  ) {
    this.ring = config.MASTER_KEY ? MasterKeyRing.fromBase64(config.MASTER_KEY) : MasterKeyRing.fromFile(config.masterKeyFile, () => this.newMasterKeyId());
  }

  async encrypt(scope: string, plaintext: Buffer | string, aad: string): Promise<string> {
    const { id, key } = await this.dataKeyFor(scope);
    const idBytes = Buffer.from(id, 'utf8');
    const sealed = seal(key, Buffer.isBuffer(plaintext) ? plaintext : Buffer.from(plaintext, 'utf8'), this.aad(id, aad));
    return Buffer.concat([Buffer.from([FORMAT_V1, idBytes.length]), idBytes, sealed]).toString('base64');
  }

  async decrypt(ciphertext: string, aad: string): Promise<Buffer> {
    const raw = Buffer.from(ciphertext, 'base64');
    if (raw.length < 2 || raw[0] !== FORMAT_V1) throw new DecryptionError('unknown ciphertext format');
    const id = raw.subarray(2, 2 + raw[1]).toString('utf8');
    const key = await this.dataKeyById(id);
    return open(key, raw.subarray(2 + raw[1]), this.aad(id, aad));
  }

  async decryptString(ciphertext: string, aad: string): Promise<string> {
    return (await this.decrypt(ciphertext, aad)).toString('utf8');
  }

  /**
   * A keyed hash (blind index) of `value` under a key derived from the scope's data key:
   * HMAC-SHA-256 with HKDF-SHA-256(data key, info `acs-blind-index:<purpose>`) (RFC 5869). Equal
   * values give equal hashes within one scope and purpose, so a column of them can be searched
   * without storing the value; another scope or purpose gives unrelated hashes, and destroying
   * the scope (crypto-shredding) makes the stored hashes unlinkable to any value for good.
   * HKDF rather than the data key itself: one key, one use (the data key stays an AES-GCM key).
   * Creates the scope's data key if it has none, like `encrypt`. Hex, 64 characters.
   */
  async blindIndex(scope: string, purpose: string, value: Buffer | string): Promise<string> {
    const { key } = await this.dataKeyFor(scope);
    return this.hmac(key, purpose, value);
  }

  /**
   * `blindIndex` for lookups: null when the scope has no data key (never created, or shredded),
   * instead of creating one, so searching a value across scopes leaves no key behind.
   */
  async blindIndexIfKeyed(scope: string, purpose: string, value: Buffer | string): Promise<string | null> {
    const knownId = this.scopeIds.get(scope);
    const cached = knownId ? this.cache.get(knownId) : undefined;
    if (cached) return this.hmac(cached, purpose, value);
    const row = await this.dataSource.getRepository(DataKeyEntity).findOne({ where: { scope } });
    return row ? this.hmac(this.remember(scope, row), purpose, value) : null;
  }

  /** `blindIndex` of several values, the key derived once (a name's word prefixes, say). */
  async blindIndexes(scope: string, purpose: string, values: readonly string[]): Promise<string[]> {
    const { key } = await this.dataKeyFor(scope);
    const derived = this.derive(key, purpose);
    return values.map((v) => createHmac('sha256', derived).update(v).digest('hex'));
  }

  /** `blindIndexIfKeyed` of several values: null when the scope has no data key. */
  async blindIndexesIfKeyed(scope: string, purpose: string, values: readonly string[]): Promise<string[] | null> {
    const knownId = this.scopeIds.get(scope);
    let key = knownId ? this.cache.get(knownId) : undefined;
    if (!key) {
      const row = await this.dataSource.getRepository(DataKeyEntity).findOne({ where: { scope } });
      if (!row) return null;
      key = this.remember(scope, row);
    }
    const derived = this.derive(key, purpose);
    return values.map((v) => createHmac('sha256', derived).update(v).digest('hex'));
  }

  private hmac(dataKey: Buffer, purpose: string, value: Buffer | string): string {
    return createHmac('sha256', this.derive(dataKey, purpose)).update(value).digest('hex');
  }

  private derive(dataKey: Buffer, purpose: string): Buffer {
    if (!/^[a-z0-9:_-]{1,64}$/.test(purpose)) throw new Error('blindIndex: purpose must be a short lower-case label');
    return Buffer.from(hkdfSync('sha256', dataKey, Buffer.alloc(0), `acs-blind-index:${purpose}`, 32));
  }

  /** Crypto-shredding: removes the scope's data key. Returns whether a key existed. */
  async destroyScope(scope: string): Promise<boolean> {
    const removed = await this.writes.transaction(async (m) => {
      const row = await m.findOne(DataKeyEntity, { where: { scope } });
      if (!row) return false;
      await m.delete(DataKeyEntity, { id: row.id });
      this.cache.delete(row.id);
      return true;
    });
    this.scopeIds.delete(scope);
    return removed;
  }

  async hasScope(scope: string): Promise<boolean> {
    return (await this.dataSource.getRepository(DataKeyEntity).countBy({ scope })) > 0;
  }

  /**
   * Wraps every data key under a new master key, then retires the master keys no longer used.
   * The new key is persisted before any re-wrap, so a crash part-way leaves every data key
   * readable by a key still in the file.
   */
  async rotateMasterKey(): Promise<{ newMasterKeyId: string; rewrapped: number; retired: string[] }> {
    const previous = this.ring.ids;
    const newId = this.newMasterKeyId();
    this.ring.addCurrent(newId);
    const rewrapped = await this.writes.transaction(async (m) => {
      const rows = await m.find(DataKeyEntity);
      for (const row of rows) {
        const dek = this.unwrap(row);
        row.wrappedKey = this.wrap(row.id, dek);
        row.masterKeyId = newId;
        row.rewrappedAt = this.clock.nowMs();
        await m.save(DataKeyEntity, row);
      }
      return rows.length;
    });
    const retired = previous.filter((id) => id !== newId);
    this.ring.retire(retired);
    return { newMasterKeyId: newId, rewrapped, retired };
  }

  get masterKeyId(): string {
    return this.ring.current.id;
  }

  private async dataKeyFor(scope: string): Promise<{ id: string; key: Buffer }> {
    const knownId = this.scopeIds.get(scope);
    if (knownId) {
      const key = this.cache.get(knownId);
      if (key) return { id: knownId, key };
    }
    const existing = await this.dataSource.getRepository(DataKeyEntity).findOne({ where: { scope } });
    if (existing) return { id: existing.id, key: this.remember(scope, existing) };
    return this.writes.transaction(async (m) => this.createDataKey(m, scope));
  }

  private async createDataKey(m: EntityManager, scope: string): Promise<{ id: string; key: Buffer }> {
    const raced = await m.findOne(DataKeyEntity, { where: { scope } });
    if (raced) return { id: raced.id, key: this.unwrap(raced) };
    const id = randomUUID();
    const key = randomKey();
    await m.insert(DataKeyEntity, {
      id,
      scope,
      wrappedKey: this.wrap(id, key),
      masterKeyId: this.ring.current.id,
      createdAt: this.clock.nowMs(),
      rewrappedAt: null,
    });
    // Not cached: the surrounding transaction may still roll back. The next call reads it back.
    return { id, key };
  }

  private async dataKeyById(id: string): Promise<Buffer> {
    const cached = this.cache.get(id);
    if (cached) return cached;
    const row = await this.dataSource.getRepository(DataKeyEntity).findOne({ where: { id } });
    if (!row) throw new KeyDestroyedError();
    return this.remember(row.scope, row);
  }

  private remember(scope: string, row: DataKeyEntity): Buffer {
    const key = this.unwrap(row);
    this.cache.set(row.id, key);
    this.scopeIds.set(scope, row.id);
    return key;
  }

  private wrap(dataKeyId: string, dek: Buffer): string {
    return seal(this.ring.current.key, dek, Buffer.from(`dek:${dataKeyId}`)).toString('base64');
  }

  private unwrap(row: DataKeyEntity): Buffer {
    return open(this.ring.get(row.masterKeyId), Buffer.from(row.wrappedKey, 'base64'), Buffer.from(`dek:${row.id}`));
  }

  private aad(dataKeyId: string, aad: string): Buffer {
    return Buffer.from(`${dataKeyId}|${aad}`, 'utf8');
  }

  private newMasterKeyId(): string {
    return `mk-${this.clock.now().toISOString().replace(/[-:.]/g, '').slice(0, 15)}-${randomUUID().slice(0, 8)}`;
  }
}
