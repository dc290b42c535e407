import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { FakeClock } from '@acs/clock';
import { DataKeyEntity, KeyService } from '@acs/crypto';
import type { TestDatabase } from '@acs/database/testing';
import { createLibTestDatabaseOn, ENGINES } from '../../../../test/support/lib-database.js';
import { REGISTRY_ENTITIES } from '../entities/index.js';
import { PersonalData } from '../common/personal-data.js';
import { RegistryChanges } from '../common/registry-changes.js';
import { CustomerService } from '../customers/customer.service.js';
import { PersonDataErasure } from './person-data-erasure.js';
import { PersonService } from './person.service.js';
import { indexTerms, lookupTerms, matchesWords, nameWords, PAD_TO, padded, PersonNameIndex } from './name-index.js';

describe('name search rules', () => {
  it.each([
    ['José Álvarez', ['jose', 'alvarez']],
    ['Alvarez-Smit, J.', ['alvarez', 'smit', 'j']],
    ['  van der  Berg ', ['van', 'der', 'berg']],
    ['Ødegård 2', ['ødegard', '2']],
    ['', []],
  ])('nameWords(%j) = %j', (name, words) => expect(nameWords(name)).toEqual(words));

  it.each([
    ['José Álvarez', 'jose alv', true],
    ['José Álvarez', 'ALVAREZ', true],
    ['José Álvarez', 'alv jo', true], // any order
    ['Jose Alvarez-Smit', 'smit', true],
    ['José Álvarez', 'ose', false], // inside a word: not a search match
    ['José Álvarez', 'jose x', false],
    ['J. Smith', 'j smith', true],
  ])('matchesWords(%j, %j) = %s', (name, q, expected) => expect(matchesWords(name, nameWords(q))).toBe(expected));

  it('indexes each word’s prefixes of 2 to 12 letters once, and looks up query words the same way', () => {
    expect(indexTerms('Ann Anna B')).toEqual(['an', 'ann', 'anna']);
    expect(indexTerms('Wolfeschlegelsteinhausen').at(-1)).toBe('wolfeschlege');
    expect(lookupTerms(['j', 'wolfeschlegelstein', 'an', 'an'])).toEqual(['wolfeschlege', 'an']);
  });

  it('pads to a multiple of 32 rows with random values, each stored hash once', () => {
    const rows = padded(['a', 'b', 'a'], () => `pad${Math.random()}`);
    expect(rows).toHaveLength(PAD_TO);
    expect(rows.filter((r) => r === 'a' || r === 'b').sort()).toEqual(['a', 'b']);
    expect(padded(Array.from({ length: 33 }, (_, i) => `h${i}`))).toHaveLength(2 * PAD_TO);
  });
});

describe.each(ENGINES)('name search through the index on %s', (engine) => {
  let db: TestDatabase;
  let people: PersonService;
  let customers: CustomerService;
  let pd: PersonalData;
  const clock = new FakeClock('2026-12-01T10:00:00Z');

  beforeAll(async () => {
    db = await createLibTestDatabaseOn(engine, [...REGISTRY_ENTITIES, DataKeyEntity]);
    pd = new PersonalData(new KeyService(db.config, db.dataSource, db.writes, clock));
    const changes = new RegistryChanges();
    customers = new CustomerService(db.dataSource, db.writes, clock, pd, changes);
    people = new PersonService(db.dataSource, db.writes, clock, pd, changes);
  });
  afterAll(() => db?.close());

  const customer = async (n: string) => (await customers.create({ companyName: `${n} B.V.`, contractRef: n, serviceStart: '2026-01-01T00:00:00Z' })).id;
  const stored = async (personId: string) =>
    (await db.dataSource.query(`SELECT hash FROM person_name_index WHERE person_id = ${engine === 'postgres' ? '$1' : '?'}`, [personId])) as Array<{
      hash: string;
    }>;
  const names = async (customerId: string | undefined, q: string) => (await people.list(customerId, { q, limit: 200 })).items.map((p) => p.fullName).sort();

  it('finds by word prefixes within a customer and across customers, never inside a word', async () => {
    const a = await customer('A');
    const b = await customer('B');
    await people.create(a, { fullName: 'José Álvarez' });
    await people.create(a, { fullName: 'Pieter Jansen' });
    await people.create(b, { fullName: 'Jose Alvarez-Smit' });
    expect(await names(a, 'jose alv')).toEqual(['José Álvarez']);
    expect(await names(undefined, 'ALVAREZ')).toEqual(['Jose Alvarez-Smit', 'José Álvarez']);
    expect(await names(undefined, 'smit')).toEqual(['Jose Alvarez-Smit']);
    expect(await names(a, 'ansen')).toEqual([]);
    expect(await names(a, 'p')).toEqual(['Pieter Jansen']); // one letter: every name decrypted, same rule
  });

  it('stores keyed hashes and pads only, unrelated across customers; follows a rename; goes with the person', async () => {
    const a = await customer('C');
    const b = await customer('D');
    const p = await people.create(a, { fullName: 'Kees Kwast' });
    const q = await people.create(b, { fullName: 'Kees Kwast' });
    const rows = await stored(p.id);
    expect(rows).toHaveLength(PAD_TO);
    for (const r of rows) expect(r.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(rows)).not.toMatch(/kees|kwast/i);
    const other = new Set((await stored(q.id)).map((r) => r.hash));
    expect(rows.filter((r) => other.has(r.hash))).toEqual([]);

    await people.update(a, p.id, { fullName: 'Kees Veeger' });
    expect(await names(a, 'kwast')).toEqual([]);
    expect(await names(a, 'veeg')).toEqual(['Kees Veeger']);
    await people.delete(a, p.id);
    expect(await stored(p.id)).toEqual([]);
    expect(await names(a, 'kees')).toEqual([]);
  });

  it('is deleted by the erasure, and lists a person’s values for the byte scan', async () => {
    const a = await customer('E');
    const p = await people.create(a, { fullName: 'Erik Eraser' });
    const colleague = await people.create(a, { fullName: 'Erna Eraser' });
    const erasure = new PersonDataErasure(db.dataSource, new RegistryChanges());
    // The person's own values only: the prefixes shared with a colleague (er, era, …, eraser) stay with the colleague.
    const shared = new Set((await stored(colleague.id)).map((r) => r.hash));
    const own = (await stored(p.id)).map((r) => r.hash).filter((h) => !shared.has(h));
    expect(own.length).toBeLessThan(PAD_TO);
    expect((await erasure.nameIndexValues({ customerId: a, personId: p.id })).sort()).toEqual(own.sort());
    expect(await erasure.nameIndexValues({ customerId: a })).toEqual([]);
    expect(erasure.tables()).toContain('person_name_index');
    await db.writes.transaction((m) => erasure.erasePersonData(m, { customerId: a }, clock.nowMs()));
    expect(await stored(p.id)).toEqual([]);
  });

  it('indexes people who have no rows yet (made before the index) and searches by decrypting until then', async () => {
    const a = await customer('F');
    const p = await people.create(a, { fullName: 'Frits Oudgediende' });
    await db.dataSource.query(`DELETE FROM person_name_index WHERE person_id = ${engine === 'postgres' ? '$1' : '?'}`, [p.id]);
    // A fresh process: the first search finds the gap, answers by decrypting, and fills it.
    const fresh = new PersonService(db.dataSource, db.writes, clock, pd, new RegistryChanges());
    expect((await fresh.list(a, { q: 'oudge' })).items.map((x) => x.id)).toEqual([p.id]);
    await new PersonNameIndex(db.dataSource, db.writes, pd).backfill();
    expect(await stored(p.id)).toHaveLength(PAD_TO);
    expect((await fresh.list(a, { q: 'oudge' })).items.map((x) => x.id)).toEqual([p.id]);
  });
});
