import { randomBytes } from 'node:crypto';
import { chmodSync, copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AccessLogService } from '@acs/access-log';
import { CheckpointService, ErasureService } from '@acs/compliance';
import { WriteQueue } from '@acs/database';
import { bearer, buildSite, createCustomer, createPerson, type SiteFixture } from '../support/registry-fixture.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { ON_POSTGRES } from '../support/test-database.js';
import { auditVerify, checkpointAcceptCommand } from '../../apps/cli/src/commands.js';
import { historyVerify } from '../../apps/cli/src/history-commands.js';
import { endService } from '../compliance/compliance-support.js';
import { waitForErasure } from '../support/wait-for-erasure.js';

jest.setTimeout(60_000);

const capture = () => {
  const lines: string[] = [];
  return { lines, out: { line: (l: string) => void lines.push(l), json: (v: unknown) => void lines.push(JSON.stringify(v)) } };
};

async function events(t: TestApp, site: SiteFixture, customerId: string, personId: string, n: number): Promise<void> {
  const receipts = t.app.get(AccessLogService).append(
    Array.from({ length: n }, (_, i) => ({
      customerId,
      personId,
      siteId: site.siteId,
      direction: 'entry' as const,
      result: 'granted' as const,
      reason: 'granted',
      occurredAt: t.clock.nowMs() - (n - i) * 1000,
    })),
  );
  await Promise.all(receipts.map((r) => r.durable));
}

describe('signed checkpoints outside the database (issue 15, part 2)', () => {
  let t: TestApp;
  let site: SiteFixture;

  beforeAll(async () => {
    t = await startTestApp({ env: { READERS_ENABLED: 'false', PURGE_SCHEDULE_ENABLED: 'false' } });
    site = await buildSite(t);
  });

  afterAll(async () => {
    await t.close();
  });

  it('names a cut tail of the access history and of the audit trail, with sequence numbers, in acsctl and the API', async () => {
    const customer = await createCustomer(t);
    const person = await createPerson(t, customer.id);
    await events(t, site, customer.id, person.id, 10);
    const checkpoints = t.app.get(CheckpointService);
    const taken = await checkpoints.take('manual');
    expect(taken?.heads.history[customer.id]).toMatchObject({ seq: 10 });
    const auditHead = taken!.heads.audit!.seq;
    const files = readdirSync(t.config.checkpointDir);
    expect(files).toEqual([expect.stringMatching(/^checkpoints-default-\d{4}-\d{2}-\d{2}\.jwsl$/)]);
    expect(readFileSync(join(t.config.checkpointDir, files[0]), 'utf8').trim().split('\n').length).toBeGreaterThanOrEqual(2); // start-up and this one

    // The chains before the cut: intact and matching the checkpoint.
    const before = capture();
    await expect(historyVerify(t.config, before.out, { customer: customer.id })).resolves.toBe(true);
    await expect(auditVerify(t.config, capture().out, {})).resolves.toBe(true);

    // Cut the newest three events and the newest two audit entries: each chain alone still verifies.
    const ds = t.app.get(DataSource);
    const p = ON_POSTGRES ? ['$1', '$2'] : ['?', '?'];
    await t.app.get(WriteQueue).run(async () => {
      await ds.query(`DELETE FROM access_event WHERE chain_id = ${p[0]} AND seq > ${p[1]}`, [customer.id, 7]);
      await ds.query(`DELETE FROM audit_entry WHERE seq > ${p[0]}`, [auditHead - 2]);
    });
    await expect(t.app.get(AccessLogService).verify(customer.id)).resolves.toMatchObject({ ok: true, headSeq: 7 });

    const history = capture();
    await expect(historyVerify(t.config, history.out, { customer: customer.id })).resolves.toBe(false);
    expect(history.lines.join('\n')).toContain(
      `history chain ${customer.id}: MISSING TAIL, the checkpoint saw seq 10, the database has head 7 (entries 8-10 gone)`,
    );
    const audit = capture();
    await expect(auditVerify(t.config, audit.out, {})).resolves.toBe(false);
    expect(audit.lines.join('\n')).toContain(`audit chain: MISSING TAIL, the checkpoint saw seq ${auditHead}, the database has head ${auditHead - 2}`);

    const auditor = await t.tokenFor('auditor');
    const chain = await t.http().get(`/customers/${customer.id}/access-events/verify`).set(bearer(auditor)).expect(200);
    expect(chain.body).toMatchObject({
      ok: false,
      headSeq: 7,
      checkpoint: { ok: false, problem: 'missing_tail', checkpointSeq: 10, databaseSeq: 7, signature: 'valid' },
    });
    expect(chain.body.firstBreak).toBeUndefined(); // the chain itself is intact: only the checkpoint sees the loss
    const trail = await t.http().get('/audit/verify').set(bearer(auditor)).expect(200);
    expect(trail.body).toMatchObject({ ok: false, checkpoint: { ok: false, problem: 'missing_tail', checkpointSeq: auditHead } });
    const api = await t.http().get('/compliance/checkpoints').set(bearer(auditor)).expect(200);
    expect(api.body.now).toMatchObject({ ok: false, databaseOlder: true, signature: 'valid' });
    expect(api.body.now.findings).toEqual(
      expect.arrayContaining([
        { chain: customer.id, problem: 'missing_tail', checkpointSeq: 10, databaseSeq: 7 },
        { chain: 'audit', problem: 'missing_tail', checkpointSeq: auditHead, databaseSeq: expect.any(Number) },
      ]),
    );
    // Accepting the state as it is (after the investigation) clears it.
    await checkpointAcceptCommand(t.config, capture().out);
    await expect(historyVerify(t.config, capture().out, { customer: customer.id })).resolves.toBe(true);
  });

  it('a purge after the checkpoint is an erasure the database records, not a loss, and is itself checkpointed', async () => {
    const customer = await createCustomer(t);
    const person = await createPerson(t, customer.id);
    await events(t, site, customer.id, person.id, 5);
    await t.app.get(CheckpointService).take('manual');
    await endService(t, customer.id);
    const eraser = t.app.get(ErasureService);
    eraser.pollMs = 50;
    const job = await eraser.startCustomerPurge(customer.id, 'manual', { actorType: 'system', actorId: null, role: null });
    await waitForErasure(eraser, job.id);
    expect(t.app.get(CheckpointService).status().lastWritten).toMatchObject({ reason: 'purge' });
    await expect(t.app.get(CheckpointService).verify()).resolves.toMatchObject({ ok: true, databaseOlder: false });
    await expect(historyVerify(t.config, capture().out, {})).resolves.toBe(true);
  });
});

(ON_POSTGRES ? describe.skip : describe)('start-up with a database older than the newest checkpoint (SQLite restore)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'acs-restore-'));
  const env = { READERS_ENABLED: 'false', PURGE_SCHEDULE_ENABLED: 'false', MASTER_KEY: randomBytes(32).toString('base64') };

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('warns loudly (log, /ready), pauses checkpoints, and resumes after checkpoint:accept', async () => {
    const backup = join(mkdtempSync(join(tmpdir(), 'acs-backup-')), 'acs.sqlite');
    let t = await startTestApp({ env, dir, keepDir: true });
    const site = await buildSite(t);
    const customer = await createCustomer(t);
    const person = await createPerson(t, customer.id);
    await events(t, site, customer.id, person.id, 4);
    // A backup through SQLite itself (never the files with fs while the server runs).
    await t.app.get(WriteQueue).run(() => t.app.get(DataSource).query(`VACUUM INTO '${backup}'`));
    await events(t, site, customer.id, person.id, 6);
    await t.app.get(CheckpointService).take('manual');
    await t.close();

    // Restore: the server is stopped, the older copy replaces the database.
    for (const f of readdirSync(dir)) if (f.startsWith('acs.sqlite')) rmSync(join(dir, f));
    copyFileSync(backup, join(dir, 'acs.sqlite'));
    // As an operator restores it: the server refuses a database others can read.
    chmodSync(join(dir, 'acs.sqlite'), 0o600);

    // The second app's pino capture stays empty in one Jest process, so the logger call itself is watched.
    const errors = jest.spyOn(Logger.prototype, 'error');
    t = await startTestApp({ env, dir, keepDir: true });
    try {
      const alarm = errors.mock.calls.map((c) => String(c[0])).find((m) => m.includes('EVIDENCE ALARM'));
      expect(alarm).toContain(`history chain ${customer.id}: MISSING TAIL, the checkpoint saw seq 10, the database has head 4 (entries 5-10 gone)`);
      const ready = await t.http().get('/ready');
      expect(ready.body.details.evidence).toMatchObject({ status: 'up', checkpoints: 'paused', databaseOlderThanCheckpoint: true, chainsBehind: 1 });
      // Paused: a new checkpoint would hide the loss.
      await expect(t.app.get(CheckpointService).take('manual')).resolves.toBeNull();
      await checkpointAcceptCommand(t.config, capture().out);
      await expect(t.app.get(CheckpointService).verify()).resolves.toMatchObject({ ok: true, checkpoint: { reason: 'rollback_accepted' } });
    } finally {
      errors.mockRestore();
      await t.close();
    }
  });
});
