import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { auditVerify, type Out } from '../../apps/cli/src/commands.js';
import { openRawStore } from '../support/raw-store.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

function collector(): Out & { lines: string[] } {
  const lines: string[] = [];
  return { lines, line: (t) => lines.push(t), json: (v) => lines.push(JSON.stringify(v)) };
}

describe('audit trail', () => {
  let t: TestApp;
  let auditor: string;
  beforeAll(async () => {
    t = await startTestApp();
    auditor = await t.tokenFor('auditor');
  });
  afterAll(() => t.close());

  it('records a state-changing call with actor, role, target, outcome and request id, and ids only', async () => {
    const me = await t.http().get('/auth/me').set(bearer(t.adminToken)).expect(200);
    const res = await t
      .http()
      .post('/staff')
      .set(bearer(t.adminToken))
      .set('X-Request-Id', 'req-audit-1')
      .send({ username: 'audited-person', role: 'security' })
      .expect(201);
    const page = await t.http().get('/audit').query({ action: 'staff.create', targetId: res.body.id }).set(bearer(auditor)).expect(200);
    expect(page.body.items).toEqual([
      expect.objectContaining({
        actorType: 'staff',
        actorId: me.body.staffId,
        role: 'admin',
        action: 'staff.create',
        targetType: 'staff',
        targetId: res.body.id,
        outcome: 'success',
        requestId: 'req-audit-1',
      }),
    ]);
    expect(JSON.stringify(page.body)).not.toContain('audited-person');
  });

  it('records a failed call with its error code', async () => {
    await t.http().post('/staff').set(bearer(t.adminToken)).set('X-Request-Id', 'req-audit-2').send({ username: '!!', role: 'admin' }).expect(400);
    const page = await t.http().get('/audit').query({ outcome: 'failure', action: 'staff.create' }).set(bearer(auditor)).expect(200);
    expect(page.body.items[0]).toMatchObject({ requestId: 'req-audit-2', details: { code: 'validation.failed' } });
  });

  it('pages newest first with a stable keyset cursor', async () => {
    for (let i = 0; i < 7; i++) {
      await t
        .http()
        .post('/staff')
        .set(bearer(t.adminToken))
        .send({ username: `paged-${i}`, role: 'auditor' })
        .expect(201);
    }
    const seen: number[] = [];
    let cursor: string | undefined;
    do {
      const page = await t
        .http()
        .get('/audit')
        .query({ action: 'staff.create', outcome: 'success', limit: 3, ...(cursor ? { cursor } : {}) })
        .set(bearer(auditor))
        .expect(200);
      seen.push(...(page.body.items as Array<{ seq: number }>).map((i) => i.seq));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen.length).toBeGreaterThanOrEqual(8);
    expect([...seen].sort((a, b) => b - a)).toEqual(seen);
    expect(new Set(seen).size).toBe(seen.length);
  });

  it('rejects a forged cursor with a problem code', async () => {
    const res = await t.http().get('/audit').query({ cursor: 'not-a-cursor' }).set(bearer(auditor)).expect(400);
    expect(res.body.code).toBe('pagination.bad_cursor');
  });

  it('verifies, then detects a row edited directly in the database (API and acsctl)', async () => {
    const ok = await t.http().get('/audit/verify').set(bearer(auditor)).expect(200);
    expect(ok.body.ok).toBe(true);
    expect(ok.body.checked).toBeGreaterThan(5);

    const out = collector();
    await expect(auditVerify(t.config, out, {})).resolves.toBe(true);

    const raw = await openRawStore(t.dir);
    await raw.run(`UPDATE audit_entry SET outcome = 'failure' WHERE seq = 3`);
    await raw.close();

    const broken = await t.http().get('/audit/verify').set(bearer(auditor)).expect(200);
    expect(broken.body).toMatchObject({ ok: false, checked: 2, firstBreak: { seq: 3, reason: 'hash-mismatch' } });

    const out2 = collector();
    await expect(auditVerify(t.config, out2, {})).resolves.toBe(false);
    expect(out2.lines.join('\n')).toContain('BROKEN at entry 3');
  });
});

describe('audit trail deletion', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('detects a row deleted directly in the database', async () => {
    for (let i = 0; i < 4; i++) {
      await t
        .http()
        .post('/staff')
        .set(bearer(t.adminToken))
        .send({ username: `del-${i}`, role: 'auditor' })
        .expect(201);
    }
    const auditor = await t.tokenFor('auditor');
    await t
      .http()
      .get('/audit/verify')
      .set(bearer(auditor))
      .expect(200, /"ok":true/);
    const raw = await openRawStore(t.dir);
    await raw.run('DELETE FROM audit_entry WHERE seq = 2');
    await raw.close();
    const res = await t.http().get('/audit/verify').set(bearer(auditor)).expect(200);
    expect(res.body).toMatchObject({ ok: false, checked: 1, firstBreak: { seq: 3, reason: 'sequence-gap', expectedSeq: 2 } });
  });
});
