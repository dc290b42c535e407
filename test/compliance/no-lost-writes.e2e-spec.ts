import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import Database from 'better-sqlite3';
import { bearer } from '../support/registry-fixture.js';
import { SpawnedServer } from '../support/spawned-server.js';
import { dropDatabaseFor, ON_POSTGRES } from '../support/test-database.js';

jest.setTimeout(180_000);

/**
 * Issue 15, part 1: a purge must not cost acknowledged writes. The scan of the database files
 * used to open and close them inside the server, which drops every POSIX lock the process holds on
 * them, SQLite's included (sqlite.org/howtocorrupt.html, 2.2); the next other process to open the
 * database (acsctl, a backup) then believed it was alone, checkpointed and deleted the live WAL,
 * and the server went on writing into a deleted file. The built server runs as a child process,
 * every path that opens the database from another process while it runs is taken after an
 * erasure, and SIGKILL plus a restart must find every write that was answered 2xx.
 */
describe('acknowledged writes survive an erasure, other processes and SIGKILL', () => {
  let dir: string;
  let srv: SpawnedServer;
  let admin: string;
  let compliance: string;
  const dbFile = () => join(dir, 'acs.sqlite');
  const start = () => srv.start();
  const kill = () => srv.kill();
  /** acsctl as the README runs it: another process opening the same database. */
  const acsctl = (...args: string[]) => srv.acsctl(...args);
  const http = () => srv.http();

  const writeSite = async (tag: string): Promise<string> => {
    const res = await http()
      .post('/sites')
      .set(bearer(admin))
      .send({ name: `LOST-${tag}`, timeZone: 'Europe/Amsterdam' });
    expect(res.status).toBe(201);
    return res.body.id as string;
  };

  /**
   * POSIX locks the server process holds on a file, from /proc/locks (Linux): SQLite in WAL mode
   * keeps a shared lock on the -shm file for as long as its connection is open.
   */
  const serverLocksOn = (file: string): number => {
    const inode = statSync(file).ino;
    return readFileSync('/proc/locks', 'utf8')
      .split('\n')
      .filter((l) => l.includes('POSIX'))
      .map((l) => l.trim().split(/\s+/))
      .filter((f) => Number(f[4]) === srv.pid && Number(f[5].split(':')[2]) === inode).length;
  };

  async function personToErase(tag: string): Promise<{ customerId: string; personId: string }> {
    const c = await http()
      .post('/customers')
      .set(bearer(admin))
      .send({
        companyName: `Lost ${tag} B.V.`,
        contractRef: `LOST-${tag}`,
        serviceStart: '2026-01-01T00:00:00Z',
        contact: { name: `Contact ${tag}`, email: `${tag.toLowerCase()}@voorbeeld-klant.nl` },
      })
      .expect(201);
    const p = await http()
      .post(`/customers/${c.body.id}/people`)
      .set(bearer(admin))
      .send({ fullName: `Wilhelmina Verloren-${tag}`, email: `w.${tag.toLowerCase()}@voorbeeld-klant.nl`, phone: '+31 6 48201234' })
      .expect(201);
    return { customerId: c.body.id as string, personId: p.body.id as string };
  }

  async function waitDone(jobId: string) {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const j = (await http().get(`/compliance/erasures/${jobId}`).set(bearer(compliance)).expect(200)).body as {
        state: string;
        step: string;
        lastError: string | null;
      };
      if (j.state === 'done') return;
      if (Date.now() > deadline) throw new Error(`job ${jobId} is ${j.state} at ${j.step} (${j.lastError})`);
      await sleep(100);
    }
  }

  /** After an erasure: the server still holds its SQLite locks and the WAL and shared-memory files are in place. */
  function expectSqliteIntact(when: string) {
    if (ON_POSTGRES) return;
    expect({ when, wal: existsSync(`${dbFile()}-wal`), shm: existsSync(`${dbFile()}-shm`) }).toEqual({ when, wal: true, shm: true });
    expect({ when, serverLocksOnShm: serverLocksOn(`${dbFile()}-shm`) > 0 }).toEqual({ when, serverLocksOnShm: true });
  }

  /**
   * Takes a backup as the README says, from another process (SQLite: the online backup API that
   * `sqlite3 .backup` uses; PostgreSQL: pg_dump), and returns which of the sites it holds.
   */
  async function backupHolds(sites: string[]): Promise<string[]> {
    let dump: string;
    if (ON_POSTGRES) {
      dump = execFileSync('pg_dump', ['--data-only', '--table=site', srv.env.DATABASE_URL!]).toString();
    } else {
      const backupFile = join(dir, 'backup.sqlite');
      rmSync(backupFile, { force: true });
      const live = new Database(dbFile(), { readonly: true });
      await live.backup(backupFile);
      live.close();
      const copy = new Database(backupFile, { readonly: true });
      dump = (copy.prepare('SELECT id FROM site').all() as Array<{ id: string }>).map((r) => r.id).join('\n');
      copy.close();
    }
    return sites.filter((id) => dump.includes(id));
  }

  beforeAll(async () => {
    // dist/ is fresh: the e2e global setup (test/support/build-dist.mjs) built server and CLI.
    dir = mkdtempSync(join(tmpdir(), 'acs-lost-writes-'));
    srv = await SpawnedServer.over(dir, { READERS_ENABLED: 'false' });
    await start();
    const cli = (...args: string[]) => srv.acsctlJson<{ token: string }>(...args);
    admin = cli('staff:create', '--role', 'admin', '--username', 'lost-admin').token;
    compliance = cli('staff:create', '--role', 'compliance', '--username', 'lost-compliance').token;
  });

  afterAll(async () => {
    await srv?.kill();
    await dropDatabaseFor(dir);
    rmSync(dir, { recursive: true, force: true });
  });

  it('customer purge, then acsctl purge:verify, audit:verify, history:verify and a backup, then SIGKILL: nothing acknowledged is lost', async () => {
    const { customerId } = await personToErase('CUST');
    await http()
      .patch(`/customers/${customerId}`)
      .set(bearer(admin))
      .send({ serviceEnd: new Date(Date.now() + 500).toISOString() })
      .expect(200);
    while ((await http().get(`/customers/${customerId}`).set(bearer(admin))).body.status !== 'ended') await sleep(100);
    const job = await http().post(`/compliance/customers/${customerId}/purge`).set(bearer(compliance)).expect(202);
    await waitDone(job.body.id);
    expectSqliteIntact('after the purge');

    // The reproduction: the README's check after a purge, from another process.
    expect(acsctl('purge:verify')).toMatchObject({ status: 0 });
    expectSqliteIntact('after acsctl purge:verify');
    const sites = [await writeSite('A')];
    expect(acsctl('audit:verify')).toMatchObject({ status: 0 });
    sites.push(await writeSite('B'));
    expect(acsctl('history:verify')).toMatchObject({ status: 0 });
    sites.push(await writeSite('C'));
    expectSqliteIntact('after acsctl audit:verify and history:verify');

    expect((await backupHolds(sites)).sort()).toEqual([...sites].sort());
    expectSqliteIntact('after the backup');
    sites.push(await writeSite('D'));

    await kill();
    await start();
    for (const id of sites) expect({ id, status: (await http().get(`/sites/${id}`).set(bearer(admin))).status }).toEqual({ id, status: 200 });
    expect(acsctl('audit:verify')).toMatchObject({ status: 0 });
  });

  it('person erasure, then acsctl staff:create and purge:verify, then SIGKILL: nothing acknowledged is lost', async () => {
    const { personId } = await personToErase('PERS');
    const job = await http().post(`/compliance/people/${personId}/erase`).set(bearer(compliance)).send({}).expect(202);
    await waitDone(job.body.id);
    expectSqliteIntact('after the person erasure');
    expect(acsctl('staff:create', '--role', 'auditor', '--username', 'lost-auditor', '--json')).toMatchObject({ status: 0 });
    const sites = [await writeSite('E')];
    expect(acsctl('purge:verify')).toMatchObject({ status: 0 });
    sites.push(await writeSite('F'));
    expectSqliteIntact('after acsctl staff:create and purge:verify');

    await kill();
    await start();
    for (const id of sites) expect({ id, status: (await http().get(`/sites/${id}`).set(bearer(admin))).status }).toEqual({ id, status: 200 });
    const staff = await http().get('/staff').set(bearer(admin));
    expect(staff.status).toBe(200);
    expect((staff.body as Array<{ username: string }>).map((s) => s.username)).toContain('lost-auditor');
  });
});
