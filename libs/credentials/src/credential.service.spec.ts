import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { decideCredentials } from '@acs/access-rules';
import { FakeClock } from '@acs/clock';
import { loadConfig } from '@acs/config';
import { CardCredentialEntity, canonicalCardBytes, CredentialService, credentialScope, type CardRead, type CredentialOptions } from '@acs/credentials';
import { DataKeyEntity, KeyService } from '@acs/crypto';
import type { TestDatabase } from '@acs/database/testing';
import { DomainError } from '@acs/http';
import { createLibTestDatabaseOn, ENGINES, type Engine } from '../../../test/support/lib-database.js';

/** 26-bit H10301: even parity, facility code, 16-bit card number, odd parity (parity bits left 0: not checked here). */
function wiegand26(facility: number, number: number): CardRead {
  const v = (facility << 17) | (number << 1); // bits 1..8 facility, 9..24 number, 25 parity
  const data = Buffer.alloc(4);
  data.writeUInt32BE((v << 6) >>> 0); // left-justify 26 bits in 32
  return { format: 'wiegand', bitCount: 26, data };
}

const CARD_NUMBER = 51_347; // hint 47
const ALICE_CARD = wiegand26(123, CARD_NUMBER);
const BOB_CARD = wiegand26(123, 40_012);
const CARD_DIGITS = String(CARD_NUMBER);

// Argon2id at OWASP's minimum costs about 20-50 ms a hash on this machine: fine for a unit spec.
const engines: Engine[] = process.env.ACS_TEST_DATABASE === 'postgres' ? [...ENGINES] : ['sqlite'];

describe.each(engines)('CredentialService on %s', (engine) => {
  let db: TestDatabase;
  let clock: FakeClock;
  let keys: KeyService;
  const make = (options: Partial<CredentialOptions> = {}) => new CredentialService(db.dataSource, db.writes, keys, clock, options);

  beforeEach(async () => {
    db = await createLibTestDatabaseOn(engine, [CardCredentialEntity, DataKeyEntity]);
    clock = new FakeClock('2026-12-03T10:00:00Z');
    keys = new KeyService(loadConfig({ DATA_DIR: db.dir }), db.dataSource, db.writes, clock);
  });
  afterEach(() => db.close());

  const issue = (sut: CredentialService, read = ALICE_CARD, personId = 'alice', customerId = 'acme', extra: object = {}) =>
    sut.issueCard({ customerId, personId, read, issuedBy: 'staff-1', ...extra });

  describe('issue, list, resolve', () => {
    it('issues a card stored as a keyed hash with a two-digit hint, never the number', async () => {
      const sut = make();
      const card = await issue(sut);
      expect(card).toMatchObject({ personId: 'alice', customerId: 'acme', hint: '47', bitCount: 26, format: 'wiegand', state: 'active', pinSet: false });
      const [row] = (await db.dataSource.query('SELECT * FROM card_credential')) as Array<Record<string, unknown>>;
      expect(row!.number_hash).toMatch(/^[0-9a-f]{64}$/);
      const dump = JSON.stringify(row);
      expect(dump).not.toContain(CARD_DIGITS);
      expect(dump).not.toContain(ALICE_CARD.data.toString('hex'));
    });

    it('resolves a read to the card record, whatever the reader left in the padding or called the format', async () => {
      const sut = make();
      const card = await issue(sut);
      const padded = Buffer.from(ALICE_CARD.data);
      padded[3]! |= 0x3f; // the 6 unused low bits
      await expect(sut.resolveCardRead({ format: 'unspecified', bitCount: 26, data: padded })).resolves.toEqual({
        id: card.id,
        personId: 'alice',
        customerId: 'acme',
        state: 'active',
        validFrom: null,
        validUntil: null,
        pinSet: false,
      });
      await expect(sut.resolveCardRead(BOB_CARD)).resolves.toBeNull();
      // Same bits, another length: another card.
      await expect(sut.resolveCardRead({ ...ALICE_CARD, bitCount: 27 })).resolves.toBeNull();
    });

    it('finds the card at whichever customer issued it, and refuses to issue it at a second one', async () => {
      const sut = make();
      await issue(sut, BOB_CARD, 'bob', 'acme');
      const globex = await issue(sut, ALICE_CARD, 'carol', 'globex');
      await expect(sut.resolveCardRead(ALICE_CARD)).resolves.toMatchObject({ id: globex.id, customerId: 'globex', personId: 'carol' });
      await expect(issue(sut, ALICE_CARD, 'alice', 'acme')).rejects.toMatchObject({ code: 'credentials.card_issued_elsewhere' });
      await expect(sut.resolveCardRead(BOB_CARD)).resolves.toMatchObject({ customerId: 'acme', personId: 'bob' });
    });

    it('one card under two customers’ keys gives unrelated hashes; two records for one read fail closed', async () => {
      const sut = make();
      const acme = await issue(sut, ALICE_CARD, 'alice', 'acme');
      // A second record as a race between two instances could leave it (issue refuses it otherwise).
      const numberHash = await keys.blindIndex(credentialScope('globex'), 'card-number', canonicalCardBytes(ALICE_CARD));
      const row = await db.dataSource.getRepository(CardCredentialEntity).findOneByOrFail({ id: acme.id });
      await db.dataSource.getRepository(CardCredentialEntity).insert({ ...row, id: 'c-globex', customerId: 'globex', personId: 'carol', numberHash });
      expect(numberHash).not.toBe(row.numberHash);
      await expect(sut.resolveCardRead(ALICE_CARD)).resolves.toBeNull();
    });

    it('refuses a card already issued at the customer, without naming it', async () => {
      const sut = make();
      await issue(sut);
      await sut.revokeCard((await sut.listPersonCards('alice'))[0]!.id);
      const err = await issue(sut, ALICE_CARD, 'bob').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DomainError);
      expect((err as DomainError).code).toBe('credentials.card_already_issued');
      expect(JSON.stringify({ message: (err as Error).message, extra: (err as DomainError).extra })).not.toContain(CARD_DIGITS);
    });

    it('lists a person’s cards masked, oldest first', async () => {
      const sut = make();
      const first = await issue(sut);
      clock.advance(1000);
      const second = await issue(sut, BOB_CARD);
      await issue(sut, wiegand26(1, 99), 'bob');
      const list = await sut.listPersonCards('alice');
      expect(list.map((c) => [c.id, c.hint])).toEqual([
        [first.id, '47'],
        [second.id, '12'],
      ]);
      expect(JSON.stringify(list)).not.toMatch(/numberHash|pinHash|51347/);
    });

    it('keeps the validity window and refuses an inverted one', async () => {
      const sut = make();
      const from = clock.nowMs() + 60_000;
      const card = await issue(sut, ALICE_CARD, 'alice', 'acme', { validFrom: from, validUntil: from + 3_600_000 });
      const resolved = await sut.resolveCardRead(ALICE_CARD);
      expect(resolved).toMatchObject({ id: card.id, validFrom: from, validUntil: from + 3_600_000 });
      // The decision applies the window at the attempt's instant.
      const at = (t: number) =>
        decideCredentials({ policy: 'card', factors: [{ kind: 'card', readerId: 'r', direction: 'entry', at: t, card: resolved }], at: t });
      expect(at(from - 1)).toMatchObject({ status: 'denied', reason: 'card_not_yet_valid' });
      expect(at(from)).toMatchObject({ status: 'identified', personId: 'alice' });
      expect(at(from + 3_600_000)).toMatchObject({ status: 'denied', reason: 'card_expired' });
      await expect(issue(sut, BOB_CARD, 'alice', 'acme', { validFrom: from, validUntil: from })).rejects.toThrow('validUntil must be after validFrom');
    });

    it('refuses malformed reads with messages that carry no card data', async () => {
      const sut = make();
      const bad: CardRead[] = [
        { format: 'wiegand', bitCount: 26, data: Buffer.from('c8a3b4c0d0', 'hex') },
        { format: 'wiegand', bitCount: 4, data: Buffer.from('c0', 'hex') },
        { format: 'nfc' as 'wiegand', bitCount: 26, data: ALICE_CARD.data },
      ];
      for (const read of bad) {
        const err = (await sut.resolveCardRead(read).catch((e: unknown) => e)) as DomainError;
        expect(err.code).toBe('credentials.invalid_card_read');
        expect(err.message).not.toMatch(/c8a3|c0|[0-9a-f]{6}/i);
      }
    });
  });

  describe('states', () => {
    it('suspends, reinstates, revokes; a revoked card stays revoked', async () => {
      const sut = make();
      const { id } = await issue(sut);
      clock.advance(5000);
      await expect(sut.suspendCard(id)).resolves.toMatchObject({ state: 'suspended', updatedAt: clock.nowMs() });
      await expect(sut.resolveCardRead(ALICE_CARD)).resolves.toMatchObject({ state: 'suspended' });
      await expect(sut.reinstateCard(id)).resolves.toMatchObject({ state: 'active' });
      await expect(sut.revokeCard(id)).resolves.toMatchObject({ state: 'revoked' });
      await expect(sut.revokeCard(id)).resolves.toMatchObject({ state: 'revoked' });
      await expect(sut.reinstateCard(id)).rejects.toMatchObject({ code: 'credentials.invalid_card_state' });
      await expect(sut.suspendCard(id)).rejects.toMatchObject({ code: 'credentials.invalid_card_state' });
      await expect(sut.setPin(id, '1234')).rejects.toMatchObject({ code: 'credentials.card_revoked' });
      await expect(sut.suspendCard('nope')).rejects.toMatchObject({ code: 'card.not_found' });
    });
  });

  describe('PIN', () => {
    it('stores an Argon2id hash at the configured cost, never the PIN, and verifies it', async () => {
      const sut = make();
      const { id } = await issue(sut);
      await sut.setPin(id, '482913');
      const [row] = (await db.dataSource.query('SELECT pin_hash FROM card_credential')) as Array<{ pin_hash: string }>;
      // PHC string; node-argon2 writes the parameters as m, p, t.
      expect(row!.pin_hash).toMatch(/^\$argon2id\$v=19\$/);
      expect(row!.pin_hash.split('$')[3]!.split(',').sort()).toEqual(['m=19456', 'p=1', 't=2']);
      expect(row!.pin_hash).not.toContain('482913');
      await expect(sut.verifyPin(id, '482913')).resolves.toBe('match');
      await expect(sut.verifyPin(id, '482914')).resolves.toBe('mismatch');
      await expect(sut.getCard(id)).resolves.toMatchObject({ pinSet: true, pinLocked: false });
    });

    it('peppers the PIN with the customer key: the hash alone does not verify, and not after shredding', async () => {
      const sut = make();
      const { id } = await issue(sut);
      await sut.setPin(id, '482913');
      const [row] = (await db.dataSource.query('SELECT pin_hash FROM card_credential')) as Array<{ pin_hash: string }>;
      const argon2 = (await import('argon2')).default;
      await expect(argon2.verify(row!.pin_hash, '482913')).resolves.toBe(false);
      await keys.destroyScope(credentialScope('acme'));
      await expect(make().verifyPin(id, '482913')).resolves.toBe('mismatch');
    });

    it('refuses PINs that are not 4 to 8 digits', async () => {
      const sut = make();
      const { id } = await issue(sut);
      for (const pin of ['123', '123456789', '12a4', '', '12 34']) await expect(sut.setPin(id, pin)).rejects.toMatchObject({ code: 'credentials.invalid_pin' });
    });

    it('locks after N wrong PINs in a row (default 5), until staff unlock; a right PIN resets the count', async () => {
      const sut = make();
      const { id } = await issue(sut);
      await sut.setPin(id, '4829');
      for (let i = 0; i < 4; i++) await expect(sut.verifyPin(id, '0000')).resolves.toBe('mismatch');
      await expect(sut.verifyPin(id, '4829')).resolves.toBe('match'); // resets
      for (let i = 0; i < 4; i++) await expect(sut.verifyPin(id, '1111')).resolves.toBe('mismatch');
      clock.advance(1000);
      await expect(sut.verifyPin(id, '1111')).resolves.toBe('mismatch'); // the 5th locks
      await expect(sut.getCard(id)).resolves.toMatchObject({ pinLocked: true, updatedAt: clock.nowMs() });
      // Locked: even the right PIN is refused, and time alone does not unlock it.
      clock.advance(24 * 3_600_000);
      await expect(sut.verifyPin(id, '4829')).resolves.toBe('locked');
      await expect(sut.resolveCardRead(ALICE_CARD)).resolves.toMatchObject({ state: 'active', pinSet: true });
      await expect(sut.unlockPin(id)).resolves.toMatchObject({ pinLocked: false });
      await expect(sut.verifyPin(id, '4829')).resolves.toBe('match');
    });

    it('takes a configured limit; a malformed PIN counts as a wrong one', async () => {
      const sut = make({ pinMaxAttempts: 2 });
      const { id } = await issue(sut);
      await sut.setPin(id, '4829');
      await expect(sut.verifyPin(id, '12')).resolves.toBe('mismatch');
      await expect(sut.verifyPin(id, '0000')).resolves.toBe('mismatch');
      await expect(sut.verifyPin(id, '4829')).resolves.toBe('locked');
      expect(() => make({ pinMaxAttempts: 0 })).toThrow(RangeError);
    });

    it('setting a new PIN clears a lock-out', async () => {
      const sut = make({ pinMaxAttempts: 1 });
      const { id } = await issue(sut);
      await sut.setPin(id, '4829');
      await sut.verifyPin(id, '0000');
      await expect(sut.verifyPin(id, '4829')).resolves.toBe('locked');
      await sut.setPin(id, '7305');
      await expect(sut.verifyPin(id, '7305')).resolves.toBe('match');
    });

    it('an unknown card or a card without PIN answers mismatch after the same Argon2id work', async () => {
      const sut = make();
      const { id } = await issue(sut);
      await expect(sut.verifyPin(null, '4829')).resolves.toBe('mismatch');
      await expect(sut.verifyPin(id, '4829')).resolves.toBe('mismatch');
      await expect(sut.verifyPin('no-such-card', '4829')).resolves.toBe('mismatch');
      // Timing: an unknown card is not answered in a fraction of a real verification.
      await sut.setPin(id, '4829');
      const time = async (f: () => Promise<unknown>) => {
        const t = process.hrtime.bigint();
        await f();
        return Number(process.hrtime.bigint() - t) / 1e6;
      };
      const real = Math.min(await time(() => sut.verifyPin(id, '4829')), await time(() => sut.verifyPin(id, '4829')));
      const unknown = Math.min(await time(() => sut.verifyPin(null, '4829')), await time(() => sut.verifyPin(null, '4829')));
      expect(unknown).toBeGreaterThan(real / 3);
    });
  });

  it('a card number never reaches the process output, even when operations fail', async () => {
    const written: string[] = [];
    const spies = [process.stdout, process.stderr].map((stream) => {
      const original = stream.write.bind(stream);
      stream.write = ((chunk: unknown, ...rest: unknown[]) => {
        written.push(String(chunk));
        return (original as (...a: unknown[]) => boolean)(chunk, ...rest);
      }) as typeof stream.write;
      return () => (stream.write = original as typeof stream.write);
    });
    const errors: unknown[] = [];
    try {
      const sut = make();
      const { id } = await issue(sut);
      await issue(sut).catch((e: unknown) => errors.push(e));
      await sut.resolveCardRead(ALICE_CARD);
      await sut.resolveCardRead({ ...ALICE_CARD, bitCount: 25 }).catch((e: unknown) => errors.push(e));
      await sut.setPin(id, '48291').catch((e: unknown) => errors.push(e));
      await sut.setPin(id, '48a91').catch((e: unknown) => errors.push(e));
      await sut.verifyPin(id, '48290');
    } finally {
      for (const restore of spies) restore();
    }
    expect(errors).toHaveLength(2);
    const text = written.join('') + errors.map((e) => `${String(e)} ${JSON.stringify(e)} ${(e as Error).stack}`).join('\n');
    for (const secret of [CARD_DIGITS, ALICE_CARD.data.toString('hex'), ALICE_CARD.data.toString('base64'), '48291', '48a91', '48290'])
      expect(text).not.toContain(secret);
  });

  describe('erasure', () => {
    it('erases a person’s or a customer’s cards in the caller’s transaction and counts them', async () => {
      const sut = make();
      const a = await issue(sut);
      await sut.setPin(a.id, '4829');
      await issue(sut, BOB_CARD, 'bob');
      await issue(sut, wiegand26(7, 1234), 'carol', 'globex');
      await expect(sut.countCredentials({ customerId: 'acme' })).resolves.toEqual({ cards: 2, pins: 1 });
      await expect(sut.countCredentials({ customerId: 'acme', personId: 'alice' })).resolves.toEqual({ cards: 1, pins: 1 });
      // A transaction that rolls back leaves them.
      await expect(
        db.writes.transaction(async (m) => {
          await sut.eraseCredentials(m, { customerId: 'acme', personId: 'alice' });
          throw new Error('step failed');
        }),
      ).rejects.toThrow('step failed');
      await expect(sut.listPersonCards('alice')).resolves.toHaveLength(1);
      await expect(db.writes.transaction((m) => sut.eraseCredentials(m, { customerId: 'acme', personId: 'alice' }))).resolves.toEqual({ cards: 1, pins: 1 });
      await expect(sut.listPersonCards('alice')).resolves.toEqual([]);
      await expect(sut.listPersonCards('bob')).resolves.toHaveLength(1);
      await expect(db.writes.transaction((m) => sut.eraseCredentials(m, { customerId: 'acme' }))).resolves.toEqual({ cards: 1, pins: 0 });
      await expect(db.writes.transaction((m) => sut.eraseCredentials(m, { customerId: 'acme' }))).resolves.toEqual({ cards: 0, pins: 0 });
      await expect(sut.countCredentials({ customerId: 'globex' })).resolves.toEqual({ cards: 1, pins: 0 });
      expect(sut.tables()).toEqual(['card_credential']);
    });

    it('names the subject’s stored card and PIN hashes for the byte scan, the person’s or the whole customer’s', async () => {
      const sut = make();
      const a = await issue(sut);
      await sut.setPin(a.id, '4829');
      const b = await issue(sut, BOB_CARD, 'bob');
      await issue(sut, wiegand26(7, 1234), 'carol', 'globex');
      const rows = db.dataSource.getRepository(CardCredentialEntity);
      const alice = await rows.findOneByOrFail({ id: a.id });
      const bob = await rows.findOneByOrFail({ id: b.id });
      expect(alice.pinHash).toMatch(/^\$argon2id\$/);
      await expect(sut.storedSecrets({ customerId: 'acme', personId: 'alice' })).resolves.toEqual([alice.numberHash, alice.pinHash]);
      expect((await sut.storedSecrets({ customerId: 'acme' })).sort()).toEqual([alice.numberHash, alice.pinHash, bob.numberHash].sort());
      // Another customer's person of the same id is not the subject.
      await expect(sut.storedSecrets({ customerId: 'globex', personId: 'alice' })).resolves.toEqual([]);
    });

    it('after the customer key is shredded, its hashes no longer resolve and cannot be recomputed', async () => {
      const sut = make();
      await issue(sut);
      await keys.destroyScope(credentialScope('acme'));
      await expect(make().resolveCardRead(ALICE_CARD)).resolves.toBeNull();
      await expect(db.dataSource.getRepository(DataKeyEntity).count()).resolves.toBe(0); // the lookup made no new key
    });
  });
});
