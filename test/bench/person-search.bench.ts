import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import { SystemClock } from '@acs/clock';
import { KeyService, open } from '@acs/crypto';
import { CustomerService, PersonalData, PersonService, RegistryChanges } from '@acs/registry';
import { SCHEMA } from '@acs/schema';
// A relative import: the build's alias rewriting does not handle the /testing sub-path.
import { createTestDatabase } from '../../libs/database/src/testing/index.js';
import { type Benchmark, summarise } from './harness.js';

/**
 * Names are ciphertexts, so a name search decrypts a customer's people and filters in memory.
 * Issue 3 asks for the figure at 2,000 people: the application path (PersonService.list with a
 * query) against a raw loop that SELECTs the same ciphertexts with better-sqlite3 and opens each
 * with AES-256-GCM, in the same run.
 */
const bench: Benchmark = {
  name: 'person name search (decrypt and filter)',
  async run(ctx) {
    const people = ctx.quick ? 300 : 2000;
    const rounds = ctx.quick ? 5 : 20;
    const db = await createTestDatabase(SCHEMA, { MASTER_KEY: randomBytes(32).toString('base64'), DATABASE_SYNCHRONOUS: 'NORMAL' });
    try {
      const clock = new SystemClock();
      const keys = new KeyService(db.config, db.dataSource, db.writes, clock);
      const pd = new PersonalData(keys);
      const changes = new RegistryChanges();
      const customers = new CustomerService(db.dataSource, db.writes, clock, pd, changes);
      const persons = new PersonService(db.dataSource, db.writes, clock, pd, changes);
      const customer = await customers.create({ companyName: 'Bench B.V.', contractRef: 'BENCH-1', serviceStart: '2026-01-01T00:00:00Z' });
      for (let i = 0; i < people; i++) await persons.create(customer.id, { fullName: `Person ${i} Benchmark-${i % 97}` });

      const app: number[] = [];
      let hits = 0;
      for (let r = 0; r < rounds; r++) {
        const t0 = performance.now();
        const page = await persons.list(customer.id, { q: 'benchmark-42', limit: 200 });
        app.push(performance.now() - t0);
        hits = page.items.length;
      }

      // Raw: the same rows and the same decryption, without the service around it.
      const raw = new Database(db.config.databasePath, { readonly: true });
      const rows = raw.prepare('SELECT id, name_ct FROM person WHERE customer_id = ? ORDER BY id').all(customer.id) as Array<{ id: string; name_ct: string }>;
      const anyCt = Buffer.from(rows[0].name_ct, 'base64');
      const keyId = anyCt.subarray(2, 2 + anyCt[1]).toString('utf8');
      const dek = await (keys as unknown as { dataKeyById(id: string): Promise<Buffer> }).dataKeyById(keyId);
      const base: number[] = [];
      for (let r = 0; r < rounds; r++) {
        const t0 = performance.now();
        const all = raw.prepare('SELECT id, name_ct FROM person WHERE customer_id = ? ORDER BY id').all(customer.id) as Array<{ id: string; name_ct: string }>;
        let n = 0;
        for (const row of all) {
          const ct = Buffer.from(row.name_ct, 'base64');
          const name = open(dek, ct.subarray(2 + ct[1]), Buffer.from(`${keyId}|person:${row.id}:name`)).toString('utf8');
          if (name.toLowerCase().includes('benchmark-42')) n++;
        }
        base.push(performance.now() - t0);
        if (n !== hits) throw new Error(`raw loop found ${n} names, the service ${hits}`);
      }
      raw.close();
      const a = summarise(app);
      const b = summarise(base);
      ctx.log(`${people} people, ${hits} hits, ${rounds} rounds`);
      return [
        { name: `search ${people} people p50`, value: a.p50, unit: 'ms', baseline: b.p50, better: 'lower' },
        { name: `search ${people} people p99`, value: a.p99, unit: 'ms', baseline: b.p99, better: 'lower' },
      ];
    } finally {
      await db.close();
    }
  },
};

export default bench;
