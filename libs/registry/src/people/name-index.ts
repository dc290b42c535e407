import { randomBytes, randomInt } from 'node:crypto';
import { Logger } from '@nestjs/common';
import type { DataSource, EntityManager } from 'typeorm';
import { readRows, type WriteQueue } from '@acs/database';
import { customerScope, type PersonalData } from '../common/personal-data.js';

/** The blind-index purpose of name search (the key is derived from the customer's data key with it). */
export const NAME_INDEX_PURPOSE = 'person-name';
/** Shortest and longest word prefix indexed: a longer query word is looked up by its first 12 letters and checked after decryption. */
export const MIN_PREFIX = 2;
export const MAX_PREFIX = 12;
/** A person's rows are padded with random values to a multiple of this, so the count says little about the name's length. */
export const PAD_TO = 32;

/** Case- and accent-insensitive form for name search ("José" finds "jose"). */
export function searchable(s: string): string {
  return s.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
}

/** The words of a name or a query: letters and digits, split at everything else ("Alvarez-Smit" is two words). */
export function nameWords(s: string): string[] {
  return searchable(s)
    .split(/[^\p{L}\p{N}]+/u)
    .filter((w) => w.length > 0);
}

/**
 * The search rule: every word of the query is the beginning of some word of the name, in any
 * order ("jose alv" finds "José Álvarez", "smit" finds "Alvarez-Smit", "ose" finds neither).
 * Pure: the index only narrows the people this is applied to.
 */
export function matchesWords(name: string, queryWords: readonly string[]): boolean {
  const words = nameWords(name);
  return queryWords.every((q) => words.some((w) => w.startsWith(q)));
}

/** What is hashed for a name: each word's prefixes of MIN_PREFIX to MAX_PREFIX letters, once each. */
export function indexTerms(name: string): string[] {
  const terms = new Set<string>();
  for (const w of nameWords(name)) {
    const chars = [...w];
    for (let n = MIN_PREFIX; n <= Math.min(chars.length, MAX_PREFIX); n++) terms.add(chars.slice(0, n).join(''));
  }
  return [...terms];
}

/** What a query looks up: its words of MIN_PREFIX letters or more, cut to MAX_PREFIX, once each (shorter words are checked after decryption). */
export function lookupTerms(queryWords: readonly string[]): string[] {
  return [
    ...new Set(
      queryWords
        .map((w) => [...w])
        .filter((c) => c.length >= MIN_PREFIX)
        .map((c) => c.slice(0, MAX_PREFIX).join('')),
    ),
  ];
}

/** The hashes plus random pads up to a multiple of PAD_TO, in random order (insertion order is storage order). */
export function padded(hashes: readonly string[], random: () => string = () => randomBytes(32).toString('hex')): string[] {
  const rows = [...new Set(hashes)];
  const target = Math.max(PAD_TO, Math.ceil(rows.length / PAD_TO) * PAD_TO);
  while (rows.length < target) rows.push(random());
  for (let i = rows.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [rows[i], rows[j]] = [rows[j], rows[i]];
  }
  return rows;
}

const ROWS_PER_INSERT = 200;
const pg = (m: EntityManager | DataSource) => (('connection' in m ? m.connection : m) as DataSource).options.type === 'postgres';
/** `?` placeholders as PostgreSQL's `$n` (the SQL here is constant and has no `?` in literals). */
const dialect = (m: EntityManager, sql: string) => {
  let n = 0;
  return pg(m) ? sql.replace(/\?/g, () => `$${++n}`) : sql;
};

/**
 * The registry's name search index (docs/credentials.md §Names: a blind index of word prefixes): per person,
 * HMACs of the prefixes of the words of the name under a key derived from the customer's data key
 * (KeyService.blindIndexes, as card numbers), padded with random values. A search hashes its
 * query words the same way and reads the people having all of them, then decrypts only those to
 * apply {@link matchesWords}; nothing else needs decrypting.
 */
export class PersonNameIndex {
  private readonly logger = new Logger('PersonNameIndex');
  /** Whether every person has index rows (people created before the index existed are added once per process). */
  private complete: Promise<boolean> | undefined;

  constructor(
    private readonly ds: DataSource,
    private readonly writes: WriteQueue,
    private readonly pd: PersonalData,
  ) {}

  /** Replaces the person's rows, in the caller's transaction. */
  async write(m: EntityManager, customerId: string, personId: string, fullName: string): Promise<void> {
    const rows = padded(await this.pd.blindIndexes(customerScope(customerId), NAME_INDEX_PURPOSE, indexTerms(fullName)));
    await m.query(dialect(m, 'DELETE FROM person_name_index WHERE person_id = ?'), [personId]);
    for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) {
      const chunk = rows.slice(i, i + ROWS_PER_INSERT);
      await m.query(
        dialect(m, `INSERT INTO person_name_index (customer_id, hash, person_id) VALUES ${chunk.map(() => '(?, ?, ?)').join(', ')}`),
        chunk.flatMap((h) => [customerId, h, personId]),
      );
    }
  }

  /**
   * Ids of the people of `customerIds` whose index holds every term (each a prefix of some word),
   * or null while the index is not complete yet (then the caller decrypts every name).
   */
  async candidates(customerIds: readonly string[], terms: readonly string[]): Promise<Set<string> | null> {
    if (!(await this.isComplete())) return null;
    const out = new Set<string>();
    const inList = terms.map(() => '?').join(', ');
    const sql = `SELECT person_id FROM person_name_index WHERE customer_id = ? AND hash IN (${inList}) GROUP BY person_id HAVING COUNT(*) = ?`;
    for (const customerId of customerIds) {
      // No key: a customer with no personal data yet, or shredded; either way nobody to find.
      const hashes = await this.pd.blindIndexesIfKeyed(customerScope(customerId), NAME_INDEX_PURPOSE, terms);
      if (!hashes) continue;
      for (const r of await readRows<{ person_id: string }>(this.ds, sql, [customerId, ...hashes, hashes.length])) out.add(r.person_id);
    }
    return out;
  }

  private isComplete(): Promise<boolean> {
    this.complete ??= this.missing(1).then((rows) => {
      if (rows.length === 0) return true;
      // Indexed in the background; searches decrypt every name until it is done.
      this.complete = this.backfill().then(
        () => true,
        (err: unknown) => {
          this.logger.error({ err }, 'could not index the names of existing people; name search decrypts every name');
          this.complete = undefined;
          return false;
        },
      );
      return false;
    });
    return this.complete;
  }

  private missing(limit: number): Promise<Array<{ id: string; customer_id: string; name_ct: string }>> {
    return readRows(
      this.ds,
      `SELECT p.id, p.customer_id, p.name_ct FROM person p
        WHERE NOT EXISTS (SELECT 1 FROM person_name_index i WHERE i.person_id = p.id) ORDER BY p.id LIMIT ?`,
      [limit],
    );
  }

  /** Indexes the people that have no rows yet, 200 to a transaction. */
  async backfill(): Promise<number> {
    let done = 0;
    for (;;) {
      const batch = await this.missing(200);
      if (batch.length === 0) return done;
      // A name that no longer opens (its key destroyed) cannot be searched for either: pads only.
      const names = await Promise.all(batch.map((p) => this.pd.open(`person:${p.id}`, 'name', p.name_ct).catch(() => null)));
      await this.writes.transaction(async (m) => {
        for (const [i, p] of batch.entries()) await this.write(m, p.customer_id, p.id, names[i] ?? '');
      });
      done += batch.length;
    }
  }
}
