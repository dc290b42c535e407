import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { AccessEvent } from '@acs/access-log';
import { historyVerify } from '../../apps/cli/src/history-commands.js';
import { bearer } from '../support/registry-fixture.js';
import { openRawStore } from '../support/raw-store.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { attempt, type HistoryFixture, historyFixture } from './support.js';

describe('access history tamper evidence', () => {
  let t: TestApp;
  let f: HistoryFixture;
  let ofA: AccessEvent[];
  let ofB: AccessEvent[];
  let auditor: string;

  /** One statement on the stored rows behind the server's back (SQLite file or PostgreSQL database). */
  const tamper = async (sql: string, params: unknown[]) => {
    const db = await openRawStore(t.dir);
    try {
      return await db.run(sql, params);
    } finally {
      await db.close();
    }
  };
  const verify = async (customerId: string, token = auditor) => {
    const res = await t.http().get(`/customers/${customerId}/access-events/verify`).set(bearer(token));
    expect(res.status).toBe(200);
    return res.body as { ok: boolean; checked: number; headSeq: number | null; firstBreak?: { seq: number; id: string; reason: string } };
  };
  const cli = async (customer?: string) => {
    const lines: string[] = [];
    const ok = await historyVerify(t.config, { line: (l) => lines.push(l), json: (v) => lines.push(JSON.stringify(v)) }, customer ? { customer } : {});
    return { ok, lines };
  };

  beforeAll(async () => {
    t = await startTestApp();
    f = await historyFixture(t);
    auditor = await t.tokenFor('auditor');
    // Customer b's attempts carry a credential (version-2 hashes) except its third (seq 3).
    const stored = await f.log.appendDurable(
      Array.from({ length: 12 }, (_, i) =>
        attempt(f, i % 2 === 0 ? 'a' : 'b', `2026-11-25T${String(8 + i).padStart(2, '0')}:00:00Z`, i % 2 === 1 && i !== 5 ? { credential: 'card+pin' } : {}),
      ),
    );
    await f.log.appendDurable([attempt(f, null, '2026-11-25T21:00:00Z')]);
    ofA = stored.filter((e) => e.customerId === f.a.id);
    ofB = stored.filter((e) => e.customerId === f.b.id);
  });
  afterAll(() => t.close());

  it('an untouched history verifies, over HTTP and with acsctl', async () => {
    await expect(verify(f.a.id)).resolves.toMatchObject({ ok: true, checked: 6, headSeq: 6 });
    await expect(verify(f.a.id, f.a.token)).resolves.toMatchObject({ ok: true });
    const all = await cli();
    expect(all.ok).toBe(true);
    // Two customers and the site's unknown-finger chain, then the comparison with the newest checkpoint.
    expect(all.lines).toHaveLength(4);
    expect(all.lines[3]).toMatch(/^Checkpoint \d+ of .*: the database holds everything it witnessed\.$/);
    const site = await t.http().get(`/sites/${f.site.siteId}/access-events/verify`).set(bearer(auditor));
    expect(site.body).toMatchObject({ ok: true, checked: 1 });
  });

  it('an edited row breaks the chain at that row; the other customer stays valid', async () => {
    const victim = ofA[2];
    await expect(tamper("UPDATE access_event SET result = 'denied', reason = 'outside_schedule' WHERE id = ?", [victim.id])).resolves.toBe(1);
    await expect(verify(f.a.id)).resolves.toMatchObject({ ok: false, checked: 2, firstBreak: { seq: 3, id: victim.id, reason: 'hash-mismatch' } });
    await expect(verify(f.b.id)).resolves.toMatchObject({ ok: true, checked: 6 });

    const one = await cli(f.a.id);
    expect(one.ok).toBe(false);
    expect(one.lines.join('\n')).toContain(`BROKEN at seq 3 (event ${victim.id}, hash-mismatch`);
    const all = await cli();
    expect(all.ok).toBe(false);
    expect(all.lines.filter((l) => l.includes('BROKEN'))).toHaveLength(1);

    await tamper("UPDATE access_event SET result = 'granted', reason = 'granted' WHERE id = ?", [victim.id]);
    await expect(verify(f.a.id)).resolves.toMatchObject({ ok: true });
  });

  it.each<[string, string, number]>([
    ['changed', "'card'", 2],
    ['removed', 'NULL', 2],
    ['added to an attempt recorded without one', "'card'", 3],
  ])('a credential %s breaks the chain at that row, over HTTP and with acsctl', async (_label, value, seq) => {
    const victim = ofB[seq - 1];
    const original = victim.credential === null ? 'NULL' : `'${victim.credential}'`;
    await expect(tamper(`UPDATE access_event SET credential = ${value} WHERE id = ?`, [victim.id])).resolves.toBe(1);
    await expect(verify(f.b.id)).resolves.toMatchObject({ ok: false, checked: seq - 1, firstBreak: { seq, id: victim.id, reason: 'hash-mismatch' } });
    const one = await cli(f.b.id);
    expect(one.ok).toBe(false);
    expect(one.lines.join('\n')).toContain(`BROKEN at seq ${seq} (event ${victim.id}, hash-mismatch`);

    await tamper(`UPDATE access_event SET credential = ${original} WHERE id = ?`, [victim.id]);
    await expect(verify(f.b.id)).resolves.toMatchObject({ ok: true, checked: 6 });
  });

  it('a deleted row is named by the gap it leaves', async () => {
    const victim = ofA[3];
    await expect(tamper('DELETE FROM access_event WHERE id = ?', [victim.id])).resolves.toBe(1);
    await expect(verify(f.a.id)).resolves.toMatchObject({
      ok: false,
      checked: 3,
      firstBreak: { seq: 5, id: ofA[4].id, reason: 'sequence-gap', expectedSeq: 4 },
    });
    await expect(verify(f.b.id)).resolves.toMatchObject({ ok: true });
  });

  it('a deletion hidden by renumbering is still caught by the previous-hash link', async () => {
    await tamper('UPDATE access_event SET seq = seq - 1 WHERE chain_id = ? AND seq > 4', [f.a.id]);
    await expect(verify(f.a.id)).resolves.toMatchObject({ ok: false, firstBreak: { seq: 4, id: ofA[4].id, reason: 'prev-hash-mismatch' } });
  });

  it('new events after tampering do not repair the chain, and the other customer keeps appending validly', async () => {
    await f.log.appendDurable([attempt(f, 'a', '2026-11-26T08:00:00Z'), attempt(f, 'b', '2026-11-26T08:00:00Z')]);
    await expect(verify(f.a.id)).resolves.toMatchObject({ ok: false });
    await expect(verify(f.b.id)).resolves.toMatchObject({ ok: true, checked: 7 });
  });

  it('verification is audited', async () => {
    const res = await t.http().get('/audit').query({ action: 'access_event.verify' }).set(bearer(auditor));
    expect(res.body.items.length).toBeGreaterThanOrEqual(5);
  });
});
