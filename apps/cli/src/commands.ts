import { NestFactory } from '@nestjs/core';
import type { INestApplicationContext } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AuditService } from '@acs/audit';
import { STAFF_ROLES, StaffService, type StaffRole } from '@acs/auth';
import type { AppConfig } from '@acs/config';
import { KeyService } from '@acs/crypto';
import { checkSqliteFiles, dataSourceOptions, runMigrations } from '@acs/database';
import { SCHEMA } from '@acs/schema';
import { Clock } from '@acs/clock';
import { SiteEntity } from '@acs/registry';
import { CliModule } from './cli.module.js';
import { DEMO_SITE, seedDemo } from './seed-demo.js';
import { mosquittoFiles, writeMosquittoFiles } from './mqtt-acl.js';
import { checkpointAccept, checkpointCheck } from './checkpoint-commands.js';
import { CliError, type Out } from './out.js';

export { CliError, type Out } from './out.js';

const CLI_ACTOR = { actorType: 'cli', actorId: 'acsctl', role: 'admin' } as const;

async function withApp<T>(config: AppConfig, fn: (app: INestApplicationContext) => Promise<T>): Promise<T> {
  const app = await NestFactory.createApplicationContext(CliModule.register(config), { logger: ['error', 'warn'] });
  try {
    return await fn(app);
  } finally {
    await app.close();
  }
}

async function withDataSource<T>(config: AppConfig, fn: (ds: DataSource) => Promise<T>): Promise<T> {
  if (!config.DATABASE_URL) checkSqliteFiles(config.databasePath);
  const ds = new DataSource(dataSourceOptions(config, SCHEMA));
  await ds.initialize();
  try {
    return await fn(ds);
  } finally {
    await ds.destroy();
  }
}

export async function staffCreate(config: AppConfig, out: Out, opts: { username: string; role: string; json?: boolean }): Promise<void> {
  if (!(STAFF_ROLES as readonly string[]).includes(opts.role)) {
    throw new CliError(`--role must be one of ${STAFF_ROLES.join(', ')}`);
  }
  if (!/^[a-z0-9][a-z0-9._-]{1,63}$/.test(opts.username)) {
    throw new CliError('--username must be 2-64 characters of a-z, 0-9, dot, dash or underscore');
  }
  await withApp(config, async (app) => {
    const { staff, token } = await app.get(StaffService).create(opts.username, opts.role as StaffRole, 'created by acsctl');
    await app.get(AuditService).record({ actor: CLI_ACTOR, action: 'staff.create', targetType: 'staff', targetId: staff.id, outcome: 'success' });
    if (opts.json) {
      out.json({ id: staff.id, role: staff.role, token: token.token, expiresAt: new Date(token.expiresAt).toISOString() });
    } else {
      out.line(`Created ${staff.role} account ${staff.id}.`);
      out.line('Bearer token (shown once, store it now):');
      out.line(token.token);
    }
  });
}

/**
 * A one-time password-reset link for an account, for the operator locked out of the console (or
 * with no administrator left who can issue one there). Earlier unused links stop working. The
 * second factor stays: an account that lost it too needs an administrator's TOTP reset.
 */
export async function staffResetPassword(config: AppConfig, out: Out, opts: { username: string; baseUrl?: string; json?: boolean }): Promise<void> {
  const base = (opts.baseUrl ?? defaultBaseUrl(config)).replace(/\/+$/, '');
  if (!/^https?:\/\/[^\s/]+$/.test(base)) throw new CliError('--base-url must be the server origin, e.g. https://acs.example.net');
  await withApp(config, async (app) => {
    const staff = app.get(StaffService);
    const account = await staff.byUsername(opts.username);
    // The username is not echoed back: it may be a person's name, and terminals keep scrollback.
    if (!account) throw new CliError('no account has this username');
    if (account.disabledAt !== null) throw new CliError(`account ${account.id} is disabled; enable it first (POST /staff/${account.id}/enable)`);
    const reset = await staff.issueReset(account.id);
    await app
      .get(AuditService)
      .record({ actor: CLI_ACTOR, action: 'staff.password_reset_issue', targetType: 'staff', targetId: account.id, outcome: 'success' });
    // The token goes after '#': a fragment never reaches the server's or a proxy's logs.
    const link = `${base}/console/password-reset#${reset.token}`;
    const expiresAt = new Date(reset.expiresAt).toISOString();
    if (opts.json) out.json({ id: account.id, role: account.role, link, expiresAt });
    else {
      out.line(`Password-reset link for ${account.role} account ${account.id} (shown once, valid until ${expiresAt}):`);
      out.line(link);
    }
  });
}

/** The console's origin when none is given: the first WebAuthn origin if set (it is the console's), else this host's port. */
function defaultBaseUrl(config: AppConfig): string {
  const first = config.WEBAUTHN_ORIGINS?.split(',')[0]?.trim();
  return first ? first : `http://localhost:${config.HTTP_PORT}`;
}

export async function keysRotate(config: AppConfig, out: Out): Promise<void> {
  if (config.MASTER_KEY) throw new CliError('MASTER_KEY is set in the environment: rotate it there and restart; keys:rotate works on the key file');
  await withApp(config, async (app) => {
    const result = await app.get(KeyService).rotateMasterKey();
    await app.get(AuditService).record({
      actor: CLI_ACTOR,
      action: 'keys.rotate',
      targetType: 'master_key',
      targetId: result.newMasterKeyId,
      outcome: 'success',
      details: { rewrapped: result.rewrapped, retired: result.retired.length },
    });
    out.line(`New master key ${result.newMasterKeyId}; ${result.rewrapped} data key(s) re-wrapped; retired ${result.retired.join(', ') || 'none'}.`);
  });
}

export async function auditVerify(config: AppConfig, out: Out, opts: { json?: boolean }): Promise<boolean> {
  return withApp(config, async (app) => {
    const verdict = await app.get(AuditService).verify();
    // The chain alone cannot tell that its newest entries are gone: the signed checkpoint can.
    const cp = await checkpointCheck(app, config, (chain) => chain === 'audit');
    if (opts.json) out.json({ ...verdict, checkpoint: cp.json });
    else {
      if (verdict.ok) out.line(`Audit chain intact: ${verdict.checked} entries, head ${verdict.headSeq ?? '-'} ${verdict.headHash}.`);
      else out.line(`Audit chain BROKEN at entry ${verdict.firstBreak!.seq} (${verdict.firstBreak!.reason}); ${verdict.checked} entries before it verified.`);
      for (const l of cp.lines) out.line(l);
    }
    return verdict.ok && cp.ok;
  });
}

export async function checkpointAcceptCommand(config: AppConfig, out: Out): Promise<void> {
  await withApp(config, async (app) => {
    await checkpointAccept(app, config, out);
    await app
      .get(AuditService)
      .record({ actor: CLI_ACTOR, action: 'evidence.checkpoint.accept', targetType: 'checkpoint', targetId: null, outcome: 'success' });
  });
}

export async function migrationRun(config: AppConfig, out: Out): Promise<void> {
  await withDataSource(config, async (ds) => {
    const ran = await runMigrations(ds);
    out.line(ran.length ? `Applied: ${ran.map((m) => m.name).join(', ')}` : 'No pending migrations.');
  });
}

export async function migrationRevert(config: AppConfig, out: Out): Promise<void> {
  await withDataSource(config, async (ds) => {
    const before = (await ds.query('SELECT name FROM migrations ORDER BY id DESC LIMIT 1')) as Array<{ name: string }>;
    if (before.length === 0) {
      out.line('Nothing to revert.');
      return;
    }
    await ds.undoLastMigration({ transaction: 'each' });
    out.line(`Reverted: ${before[0].name}`);
  });
}

export async function seedDemoCommand(config: AppConfig, out: Out, opts: { json?: boolean }): Promise<void> {
  await withApp(config, async (app) => {
    const ds = app.get(DataSource);
    if (await ds.getRepository(SiteEntity).exists({ where: { name: DEMO_SITE } })) {
      throw new CliError(`the demo site "${DEMO_SITE}" exists already; use a fresh DATA_DIR to seed again`);
    }
    const summary = await seedDemo(app, config.DATA_DIR, app.get(Clock).nowMs());
    await app.get(AuditService).record({ actor: CLI_ACTOR, action: 'demo.seed', targetType: 'site', targetId: summary.siteId, outcome: 'success' });
    if (opts.json) {
      out.json(summary);
      return;
    }
    out.line(
      `Demo site ${DEMO_SITE} (${summary.siteId}): 2 customers, ${Object.keys(summary.people).length} people, ${Object.keys(summary.doors).length} doors, ${Object.keys(summary.readers).length} readers, 2 controllers.`,
    );
    out.line(`Controller credentials were written to ${config.DATA_DIR}/demo.json (mode 0600); they are not shown again.`);
  });
}

export async function mqttAcl(config: AppConfig, out: Out, opts: { outDir?: string; instances?: string }): Promise<void> {
  const instances = (opts.instances ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  await withDataSource(config, async (ds) => {
    let files;
    try {
      files = await mosquittoFiles(config, ds, instances);
    } catch (err) {
      throw new CliError((err as Error).message);
    }
    if (files.skipped.length > 0) {
      console.error(
        `Left out controller(s) ${files.skipped.join(', ')}: their MQTT ids are reserved for the server's broker accounts. Delete them and register them again under another id.`,
      );
    }
    if (opts.outDir) {
      const paths = writeMosquittoFiles(opts.outDir, files);
      out.line(`Wrote ${paths.join(' and ')} (mode 0600) for ${files.controllers} controller(s).`);
      out.line('mosquitto.conf: allow_anonymous false, password_file, acl_file, use_username_as_clientid true, set_tcp_nodelay true');
      return;
    }
    out.line('# --- password_file ---');
    out.line(files.passwordFile.trimEnd());
    out.line('# --- acl_file ---');
    out.line(files.aclFile.trimEnd());
  });
}
