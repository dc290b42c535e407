import { spawn } from 'node:child_process';
import { chmodSync } from 'node:fs';
import pg from 'pg';
import { processEnv } from '@acs/config';
import { BackupError } from './manifest.js';

/**
 * libpq's connection settings for the PostgreSQL client tools, with the password moved out of the
 * URL into PGPASSWORD for the child alone. A command line is readable by every local user
 * (`ps`, /proc/<pid>/cmdline); on Linux a process's environment only by its owner
 * (proc(5), /proc/<pid>/environ). The PostgreSQL manual (libpq, "Environment Variables")
 * discourages PGPASSWORD because some other systems show environments to everyone; an operator
 * there can use a password file (~/.pgpass) and a URL without a password.
 */
export function pgConnection(url: string): { dbname: string; env: NodeJS.ProcessEnv; redact: (text: string) => string } {
  const u = new URL(url);
  const password = decodeURIComponent(u.password);
  u.password = '';
  // The child inherits the environment (PATH, HOME for ~/.pgpass, PGSSL* settings) through the config lib's one accessor.
  const env: NodeJS.ProcessEnv = { ...processEnv(), PGAPPNAME: 'acs-backup', PGCONNECT_TIMEOUT: '10' };
  if (password) env.PGPASSWORD = password;
  const redact = (text: string) => (password ? text.split(password).join('***') : text).split(url).join(u.toString());
  return { dbname: u.toString(), env, redact };
}

function run(tool: string, args: string[], env: NodeJS.ProcessEnv, redact: (t: string) => string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(tool, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err = (err + d).slice(-2000)));
    child.once('error', (e) =>
      reject(new BackupError(`${tool} could not be started (${(e as NodeJS.ErrnoException).code ?? e.message}); install the PostgreSQL client tools`)),
    );
    child.once('exit', (code, signal) => {
      if (code === 0) resolve();
      else reject(new BackupError(`${tool} failed (${signal ?? `exit ${code}`}): ${redact(err.trim()).slice(-500)}`));
    });
  });
}

/**
 * `pg_dump -Fc`: PostgreSQL's custom-format archive of one consistent snapshot (pg_dump takes it
 * in one repeatable-read transaction; it blocks no writer). pg_dump syncs its output before it
 * exits unless told not to (PostgreSQL 15 manual, pg_dump, `--no-sync`).
 */
export async function pgDump(url: string, file: string): Promise<void> {
  const c = pgConnection(url);
  await run('pg_dump', ['--format=custom', '--no-password', `--file=${file}`, `--dbname=${c.dbname}`], c.env, c.redact);
  chmodSync(file, 0o600);
}

/**
 * `pg_restore` into an empty database, all or nothing (`--single-transaction`, `--exit-on-error`);
 * owners and grants are those of the account restoring, not of the one the dump was taken from.
 */
export async function pgRestore(url: string, file: string): Promise<void> {
  const c = pgConnection(url);
  await run(
    'pg_restore',
    ['--no-password', '--no-owner', '--no-privileges', '--exit-on-error', '--single-transaction', `--dbname=${c.dbname}`, file],
    c.env,
    c.redact,
  );
}

/** Who else is connected to the database, and whether it holds any table: a restore needs neither. */
export async function pgTargetState(url: string): Promise<{ otherSessions: string[]; tables: number }> {
  const client = new pg.Client({ connectionString: url, application_name: 'acs-restore' });
  await client.connect();
  try {
    const sessions = await client.query<{ app: string }>(
      `SELECT coalesce(nullif(application_name, ''), 'unnamed') AS app FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`,
    );
    const tables = await client.query<{ n: string }>(`SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = 'public'`);
    return { otherSessions: sessions.rows.map((r) => r.app), tables: Number(tables.rows[0].n) };
  } finally {
    await client.end();
  }
}
