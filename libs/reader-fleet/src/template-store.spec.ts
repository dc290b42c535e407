import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { WriteQueue } from '@acs/database';
import { libraryStore } from './testing/library-store.js';
import { TemplateStore, type NewTemplate } from './template-store.js';
import type { TemplateVault } from './template-vault.js';

/** Stands in for the key service: "ciphertext" is the template bytes reversed, bound to nothing. */
const vault = { open: async (_id: string, ct: string) => Buffer.from(ct, 'hex').reverse() } as unknown as TemplateVault;
const sealed = (clear: string) => Buffer.from(clear).reverse().toString('hex');

const finger = (id: string, personId: string, fingerNo: number, size: number, clear = id): NewTemplate => ({
  id,
  personId,
  customerId: 'c1',
  finger: fingerNo,
  templateCt: sealed(clear),
  model: 'r503',
  format: 'r503-native',
  size,
  quality: 200,
  enrolledBy: 'staff-1',
  enrolledAt: 1_780_000_000_000,
});

describe('TemplateStore', () => {
  let db: Awaited<ReturnType<typeof libraryStore>>;
  let templates: TemplateStore;

  beforeEach(async () => {
    db = await libraryStore();
    templates = new TemplateStore(db.ds, new WriteQueue(db.ds), vault);
    await templates.add(finger('a', 'p1', 3, 512));
    await templates.add(finger('b', 'p1', 1, 512));
    await templates.add(finger('c', 'p2', 1, 768));
  });
  afterEach(() => db.close());

  it.each([
    ['p1', 1, 'b'],
    ['p1', 3, 'a'],
    ['p1', 2, null],
    ['p3', 1, null],
  ])('idOf(%s, finger %i) is %s', async (personId, fingerNo, expected) => {
    expect(await templates.idOf(personId, fingerNo)).toBe(expected);
  });

  it("lists a person's fingers in finger order, without the template", async () => {
    const rows = await templates.fingerprintsOf('p1');
    expect(rows.map((r) => [r.finger, r.id])).toEqual([
      [1, 'b'],
      [3, 'a'],
    ]);
    for (const r of rows) expect(r).not.toHaveProperty('templateCt');
    expect(rows[0]).toMatchObject({ model: 'r503', size: 512, quality: 200, enrolledBy: 'staff-1', enrolledAt: 1_780_000_000_000 });
  });

  it('gives the duplicate check the templates of one size, except the finger being replaced', async () => {
    expect((await templates.idsOfSize(512)).sort()).toEqual(['a', 'b']);
    expect(await templates.idsOfSize(512, 'a')).toEqual(['b']);
    expect(await templates.idsOfSize(1024)).toEqual([]);
  });

  it('opens a template through the vault, or null when it is gone', async () => {
    expect((await templates.open('c'))?.toString()).toBe('c');
    expect(await templates.open('nope')).toBeNull();
  });
});
