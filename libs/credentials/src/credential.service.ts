import { randomBytes, randomUUID } from 'node:crypto';
import { Inject, Injectable, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import argon2 from 'argon2';
import { DataSource, type EntityManager } from 'typeorm';
import type { CardFacts, CardState, PinResult } from '@acs/access-rules';
import { Clock } from '@acs/clock';
import { KeyService } from '@acs/crypto';
import { WriteQueue } from '@acs/database';
import { ConflictError, DomainError, NotFoundError } from '@acs/http';
import { CardCredentialEntity } from './card-credential.entity.js';
import { canonicalCardBytes, cardHint, type CardFormat, type CardRead } from './card-read.js';

/**
 * The data-key scope of a customer, as @acs/registry names it (`customerScope` there; a spec
 * checks they agree): the card hashes and PIN peppers die with the customer's other data.
 */
export const credentialScope = (customerId: string): string => `customer:${customerId}`;

/** Blind-index purposes under the customer's key (one derived key per purpose). */
const CARD_PURPOSE = 'card-number';
const PIN_PEPPER_PURPOSE = 'pin-pepper';

export const CREDENTIAL_OPTIONS = Symbol('CREDENTIAL_OPTIONS');

export interface CredentialOptions {
  /** Wrong PINs in a row that lock a card's PIN until staff unlock it. */
  pinMaxAttempts: number;
  /** Argon2id cost (docs/credentials.md: OWASP's minimum, m=19 MiB, t=2, p=1). */
  argon2: { memoryCost: number; timeCost: number; parallelism: number };
}

export const DEFAULT_CREDENTIAL_OPTIONS: CredentialOptions = {
  pinMaxAttempts: 5,
  argon2: { memoryCost: 19_456, timeCost: 2, parallelism: 1 },
};

/** 4 to 8 digits: what OSDP keypads send (digits, `*`, `#`); `*` and `#` are the reader's cancel and enter keys. */
const PIN_PATTERN = /^[0-9]{4,8}$/;

/** A card as staff and the person may see it: never the number, at most its last two digits. */
export interface CardView {
  id: string;
  customerId: string;
  personId: string;
  format: CardFormat;
  bitCount: number;
  /** Last two digits, e.g. `47`; shown as `…47`. */
  hint: string;
  state: CardState;
  validFrom: number | null;
  validUntil: number | null;
  pinSet: boolean;
  pinLocked: boolean;
  createdAt: number;
  updatedAt: number;
}

export interface IssueCard {
  customerId: string;
  personId: string;
  read: CardRead;
  validFrom?: number | null;
  validUntil?: number | null;
  /** Staff account that issued it. */
  issuedBy?: string | null;
}

/** A resolved card read: the decision's facts plus whether a PIN is set. */
export type ResolvedCard = CardFacts & { pinSet: boolean };

/** Whose credentials an erasure takes: a whole customer's, or one person's. */
export type CredentialSubject = { customerId: string } | { customerId: string; personId: string };

export interface CredentialCounts {
  cards: number;
  /** Cards that had a PIN. */
  pins: number;
}

const isPerson = (s: CredentialSubject): s is { customerId: string; personId: string } => 'personId' in s;

/**
 * Cards and PINs (issue 17). Card numbers exist here only in flight: stored as a blind index
 * under the customer's key, never logged, never in an error. Who may hold a card (the person
 * exists, belongs to the customer) is the caller's check: the registry owns people.
 */
@Injectable()
export class CredentialService {
  private readonly options: CredentialOptions;
  /** An Argon2id hash of random bytes: verified against when there is no real PIN to check, so time tells nothing. */
  private dummy: Promise<string> | null = null;

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly writes: WriteQueue,
    private readonly keys: KeyService,
    private readonly clock: Clock,
    @Optional() @Inject(CREDENTIAL_OPTIONS) options?: Partial<CredentialOptions>,
  ) {
    this.options = { ...DEFAULT_CREDENTIAL_OPTIONS, ...options };
    if (!Number.isInteger(this.options.pinMaxAttempts) || this.options.pinMaxAttempts < 1 || this.options.pinMaxAttempts > 20) {
      throw new RangeError('pinMaxAttempts must be 1..20');
    }
  }

  /** Issues a card; a card already issued at this customer (any state) is a conflict. */
  async issueCard(input: IssueCard): Promise<CardView> {
    const { customerId, personId, read } = input;
    const validFrom = input.validFrom ?? null;
    const validUntil = input.validUntil ?? null;
    if (validFrom !== null && validUntil !== null && validUntil <= validFrom) {
      throw new DomainError('credentials.invalid_validity', 'validUntil must be after validFrom');
    }
    const canonical = canonicalCardBytes(read);
    const hint = cardHint(read);
    const now = this.clock.nowMs();
    return this.writes.transaction(async (m) => {
      // Inside the transaction: a data key created here rolls back with the card.
      const numberHash = await this.keys.blindIndex(credentialScope(customerId), CARD_PURPOSE, canonical);
      if (await m.exists(CardCredentialEntity, { where: { customerId, numberHash } })) {
        throw new ConflictError('credentials.card_already_issued', 'this card is already issued at this customer (revoked cards included)');
      }
      // One card, one record across customers: a read must name one holder. Staff are the
      // operator's, so telling them the card is taken elsewhere reveals no tenant's data to a tenant.
      if ((await this.matches(m, canonical)).length > 0) {
        throw new ConflictError('credentials.card_issued_elsewhere', 'this card is already issued at another customer');
      }
      const row: CardCredentialEntity = {
        id: randomUUID(),
        customerId,
        personId,
        numberHash,
        format: read.format,
        bitCount: read.bitCount,
        hint,
        validFrom,
        validUntil,
        state: 'active',
        pinHash: null,
        pinFailures: 0,
        pinLockedAt: null,
        pinSetAt: null,
        issuedBy: input.issuedBy ?? null,
        createdAt: now,
        updatedAt: now,
      };
      await m.insert(CardCredentialEntity, row);
      return view(row);
    });
  }

  async getCard(id: string): Promise<CardView> {
    return view(await this.row(this.ds.manager, id));
  }

  /** A person's cards, masked, oldest first. */
  async listPersonCards(personId: string): Promise<CardView[]> {
    const rows = await this.ds.getRepository(CardCredentialEntity).find({ where: { personId }, order: { createdAt: 'ASC', id: 'ASC' } });
    return rows.map(view);
  }

  /** How many active cards each person of the customer holds (people without any are absent). */
  async activeCardCountsOfCustomer(customerId: string): Promise<Map<string, number>> {
    const rows = await this.ds
      .getRepository(CardCredentialEntity)
      .createQueryBuilder('c')
      .select('c.person_id', 'personId')
      .addSelect('COUNT(*)', 'n')
      .where('c.customer_id = :customerId AND c.state = :state', { customerId, state: 'active' })
      .groupBy('c.person_id')
      .getRawMany<{ personId: string; n: string | number }>();
    return new Map(rows.map((r) => [r.personId, Number(r.n)]));
  }

  suspendCard(id: string): Promise<CardView> {
    return this.changeState(id, 'suspended', ['active']);
  }

  reinstateCard(id: string): Promise<CardView> {
    return this.changeState(id, 'active', ['suspended']);
  }

  /** Final: a revoked card never opens again (issue a new one). Revoking twice is a no-op. */
  revokeCard(id: string): Promise<CardView> {
    return this.changeState(id, 'revoked', ['active', 'suspended', 'revoked']);
  }

  /**
   * The card record a read names, at whichever customer issued it, or null. The read carries
   * no customer, so it is hashed under each customer's key that has cards (an HMAC each, a few
   * microseconds) and looked up in one query; a customer whose key is gone matches nothing.
   * Two records for one card (only possible if two instances issued it at once) fail closed:
   * null, so the decision says `card_unknown` rather than pick a holder.
   */
  async resolveCardRead(read: CardRead): Promise<ResolvedCard | null> {
    const rows = await this.matches(this.ds.manager, canonicalCardBytes(read));
    if (rows.length !== 1) return null;
    const row = rows[0]!;
    return {
      id: row.id,
      personId: row.personId,
      customerId: row.customerId,
      state: row.state,
      validFrom: row.validFrom,
      validUntil: row.validUntil,
      pinSet: row.pinHash !== null,
    };
  }

  /** Every card row, at any customer, whose hash under its own customer's key matches. */
  private async matches(m: EntityManager, canonical: Buffer): Promise<CardCredentialEntity[]> {
    const repo = m.getRepository(CardCredentialEntity);
    const customers = (await repo.createQueryBuilder('c').select('DISTINCT c.customer_id', 'customerId').getRawMany<{ customerId: string }>()).map(
      (r) => r.customerId,
    );
    const pairs: Array<{ customerId: string; numberHash: string }> = [];
    for (const customerId of customers) {
      const numberHash = await this.keys.blindIndexIfKeyed(credentialScope(customerId), CARD_PURPOSE, canonical);
      if (numberHash !== null) pairs.push({ customerId, numberHash });
    }
    if (pairs.length === 0) return [];
    // A hash counts only at the customer it was computed for.
    return repo.find({ where: pairs });
  }

  /** Sets (or replaces) the card's PIN; clears the wrong-attempt counter and any lock. */
  async setPin(cardId: string, pin: string): Promise<void> {
    if (typeof pin !== 'string' || !PIN_PATTERN.test(pin)) throw new DomainError('credentials.invalid_pin', 'a PIN is 4 to 8 digits');
    const card = await this.row(this.ds.manager, cardId);
    if (card.state === 'revoked') throw new ConflictError('credentials.card_revoked', 'the card is revoked');
    const pinHash = await argon2.hash(pin, { type: argon2.argon2id, ...this.options.argon2, secret: await this.pepper(card) });
    const now = this.clock.nowMs();
    await this.writes.transaction(async (m) => {
      await m.update(CardCredentialEntity, { id: cardId }, { pinHash, pinFailures: 0, pinLockedAt: null, pinSetAt: now, updatedAt: now });
    });
  }

  /** Staff reset of a lock-out: the same PIN works again, the counter starts over. */
  async unlockPin(cardId: string): Promise<CardView> {
    return this.writes.transaction(async (m) => {
      const row = await this.row(m, cardId);
      row.pinFailures = 0;
      row.pinLockedAt = null;
      row.updatedAt = this.clock.nowMs();
      await m.update(CardCredentialEntity, { id: cardId }, { pinFailures: 0, pinLockedAt: null, updatedAt: row.updatedAt });
      return view(row);
    });
  }

  /**
   * Checks a PIN typed after a card read. `cardId` null (the read resolved to no card) or a card
   * without a PIN or already locked still costs one Argon2id verification, so the answer's timing
   * does not tell an unknown card from a known one (the decision hides it too, see
   * @acs/access-rules credentials.ts). A wrong PIN counts; the `pinMaxAttempts`-th in a row locks
   * the PIN (that attempt still answers `mismatch`, later ones `locked`); a right one resets the count.
   */
  async verifyPin(cardId: string | null, pin: string): Promise<PinResult> {
    const card = cardId === null ? null : await this.ds.getRepository(CardCredentialEntity).findOne({ where: { id: cardId } });
    const wellFormed = typeof pin === 'string' && PIN_PATTERN.test(pin);
    if (!card || card.pinHash === null || card.pinLockedAt !== null || !wellFormed) {
      await this.burn(wellFormed ? pin : '0000');
      if (card && card.pinLockedAt !== null) return 'locked';
      if (card && card.pinHash !== null) return this.countFailure(card.id, card.pinHash);
      return 'mismatch';
    }
    const ok = await argon2.verify(card.pinHash, pin, { secret: await this.pepper(card) });
    if (!ok) return this.countFailure(card.id, card.pinHash);
    return this.writes.transaction(async (m) => {
      const now = await m.findOne(CardCredentialEntity, { where: { id: card.id } });
      // Locked (or PIN replaced) while we verified: the lock wins, a replaced PIN is not this one.
      if (!now || now.pinLockedAt !== null) return 'locked';
      if (now.pinHash !== card.pinHash) return 'mismatch';
      if (now.pinFailures !== 0) await m.update(CardCredentialEntity, { id: card.id }, { pinFailures: 0 });
      return 'match';
    });
  }

  /** Deletes the subject's cards (and PINs with them) in the caller's transaction; idempotent. */
  async eraseCredentials(m: EntityManager, subject: CredentialSubject): Promise<CredentialCounts> {
    const counts = await this.countIn(m, subject);
    await m.delete(
      CardCredentialEntity,
      isPerson(subject) ? { customerId: subject.customerId, personId: subject.personId } : { customerId: subject.customerId },
    );
    return counts;
  }

  /** What an erasure would remove (for the certificate, before and after). */
  countCredentials(subject: CredentialSubject): Promise<CredentialCounts> {
    return this.countIn(this.ds.manager, subject);
  }

  /**
   * The subject's card hashes and PIN hashes exactly as stored: what an erasure's byte scan looks
   * for in the database files afterwards. Secrets: the caller keeps them in memory only.
   */
  async storedSecrets(subject: CredentialSubject): Promise<string[]> {
    const rows = await this.ds.getRepository(CardCredentialEntity).find({
      where: isPerson(subject) ? { customerId: subject.customerId, personId: subject.personId } : { customerId: subject.customerId },
      select: { id: true, numberHash: true, pinHash: true },
    });
    return rows.flatMap((r) => (r.pinHash === null ? [r.numberHash] : [r.numberHash, r.pinHash]));
  }

  /** The tables `eraseCredentials` deletes from (PostgreSQL vacuums them afterwards). */
  tables(): string[] {
    return [this.ds.getMetadata(CardCredentialEntity).tableName];
  }

  private async countIn(m: EntityManager, subject: CredentialSubject): Promise<CredentialCounts> {
    const qb = m
      .getRepository(CardCredentialEntity)
      .createQueryBuilder('c')
      .select('COUNT(*)', 'cards')
      .addSelect('COUNT(c.pin_hash)', 'pins')
      .where('c.customer_id = :customerId', { customerId: subject.customerId });
    if (isPerson(subject)) qb.andWhere('c.person_id = :personId', { personId: subject.personId });
    const r = (await qb.getRawOne<{ cards: string | number; pins: string | number }>()) ?? { cards: 0, pins: 0 };
    return { cards: Number(r.cards), pins: Number(r.pins) };
  }

  private async countFailure(cardId: string, pinHash: string): Promise<PinResult> {
    return this.writes.transaction(async (m) => {
      // Atomic increment: instances sharing PostgreSQL cannot lose a wrong attempt between them.
      await m
        .createQueryBuilder()
        .update(CardCredentialEntity)
        .set({ pinFailures: () => 'pin_failures + 1' })
        .where('id = :id AND pin_hash = :pinHash AND pin_locked_at IS NULL', { id: cardId, pinHash })
        .execute();
      const row = await m.findOne(CardCredentialEntity, { where: { id: cardId } });
      if (row && row.pinLockedAt === null && row.pinFailures >= this.options.pinMaxAttempts) {
        await m.update(CardCredentialEntity, { id: cardId }, { pinLockedAt: this.clock.nowMs(), updatedAt: this.clock.nowMs() });
      }
      return 'mismatch' as const;
    });
  }

  /** A per-card Argon2 secret from the customer's key: the database alone does not let anyone test PINs offline. */
  private async pepper(card: Pick<CardCredentialEntity, 'id' | 'customerId'>): Promise<Buffer> {
    return Buffer.from(await this.keys.blindIndex(credentialScope(card.customerId), PIN_PEPPER_PURPOSE, card.id), 'hex');
  }

  private async burn(pin: string): Promise<void> {
    this.dummy ??= argon2.hash(randomBytes(16), { type: argon2.argon2id, ...this.options.argon2, secret: randomBytes(32) });
    await argon2.verify(await this.dummy, pin, { secret: randomBytes(32) });
  }

  private async changeState(id: string, to: CardState, from: readonly CardState[]): Promise<CardView> {
    return this.writes.transaction(async (m) => {
      const row = await this.row(m, id);
      if (row.state === to) return view(row);
      if (!from.includes(row.state)) throw new ConflictError('credentials.invalid_card_state', `a ${row.state} card cannot become ${to}`);
      row.state = to;
      row.updatedAt = this.clock.nowMs();
      await m.update(CardCredentialEntity, { id }, { state: to, updatedAt: row.updatedAt });
      return view(row);
    });
  }

  private async row(m: EntityManager, id: string): Promise<CardCredentialEntity> {
    const row = await m.findOne(CardCredentialEntity, { where: { id } });
    if (!row) throw new NotFoundError('Card', id);
    return row;
  }
}

function view(r: CardCredentialEntity): CardView {
  return {
    id: r.id,
    customerId: r.customerId,
    personId: r.personId,
    format: r.format as CardFormat,
    bitCount: r.bitCount,
    hint: r.hint,
    state: r.state,
    validFrom: r.validFrom,
    validUntil: r.validUntil,
    pinSet: r.pinHash !== null,
    pinLocked: r.pinLockedAt !== null,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
  };
}
