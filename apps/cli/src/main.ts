#!/usr/bin/env node
import 'reflect-metadata';
import { Command } from 'commander';
import { ConfigError, loadConfig, processEnv } from '@acs/config';
import { checkSqliteFiles } from '@acs/database';
import {
  auditVerify,
  checkpointAcceptCommand,
  CliError,
  keysRotate,
  migrationRevert,
  migrationRun,
  mqttAcl,
  type Out,
  seedDemoCommand,
  staffCreate,
  staffResetPassword,
} from './commands.js';
import { historyVerify } from './history-commands.js';
import { controllerResetSequence } from './controller-commands.js';
import { cardReaderInstallMode, cardReaderList, osdpBusList } from './card-reader-commands.js';
import { purgeDue, purgeReapply, purgeVerify } from './compliance-commands.js';
import { certificateVerify, keysPublic, keysRotateSigning } from './evidence-commands.js';
import { backupCommand, restoreCommand } from './backup-commands.js';

const out: Out = {
  line: (text) => console.info(text),
  json: (value) => console.info(JSON.stringify(value, null, 2)),
};

function config() {
  const c = loadConfig(processEnv());
  // Before Nest starts: its application context ends the process with exit 1 on any start error.
  if (!c.DATABASE_URL) checkSqliteFiles(c.databasePath);
  return c;
}

const program = new Command()
  .name('acsctl')
  .description('Administration of the colocation access-control server. Reads the same environment as the server.')
  .showHelpAfterError();

program
  .command('staff:create')
  .description('Create a staff account and print its first bearer token (once)')
  .requiredOption('--role <role>', 'admin, security, compliance or auditor')
  .requiredOption('--username <name>', 'login handle, e.g. desk-officer-2')
  .option('--json', 'print JSON')
  .action(async (opts: { role: string; username: string; json?: boolean }) => staffCreate(config(), out, opts));

program
  .command('staff:reset-password')
  .description('Print a one-time password-reset link for an account (staff or customer administrator); earlier unused links stop working')
  .requiredOption('--username <name>', 'the account’s login handle')
  .option('--base-url <url>', 'the console’s origin, e.g. https://acs.example.net (default: the first WEBAUTHN_ORIGINS, else http://localhost:HTTP_PORT)')
  .option('--json', 'print JSON')
  .action(async (opts: { username: string; baseUrl?: string; json?: boolean }) => staffResetPassword(config(), out, opts));

program
  .command('keys:rotate')
  .description('Create a new master key, re-wrap every data key under it and retire the old one')
  .action(async () => keysRotate(config(), out));

program
  .command('keys:public')
  .description('Print the public Ed25519 keys that verify certificates and checkpoints (PEM) with their SHA-256 fingerprints; retired keys stay listed')
  .option('--json', 'print JSON')
  .action((opts: { json?: boolean }) => keysPublic(config(), out, opts));

program
  .command('keys:rotate-signing')
  .description('New Ed25519 signing key; the old private key is dropped, its public key kept so older evidence still verifies')
  .action(() => keysRotateSigning(config(), out));

program
  .command('certificate:verify')
  .description('Verify a signed erasure certificate file without database or server; exits 1 when it does not verify')
  .argument('<file>', 'erasure-certificate-<id>.jws')
  .option('--public-key <pem>', 'PEM file with the public key(s) to trust (default: the local signing key ring)')
  .option('--json', 'print JSON')
  .action(async (file: string, opts: { publicKey?: string; json?: boolean }) => {
    if (!(await certificateVerify(config(), out, file, opts))) process.exitCode = 1;
  });

program
  .command('audit:verify')
  .description('Verify the audit hash chain and compare it with the newest signed checkpoint; exits 1 naming the first broken link or the missing tail')
  .option('--json', 'print JSON')
  .action(async (opts: { json?: boolean }) => {
    if (!(await auditVerify(config(), out, opts))) process.exitCode = 1;
  });

program
  .command('history:verify')
  .description(
    'Verify the access-history hash chains (one customer or all) and compare them with the newest signed checkpoint; exits 1 naming the first broken link or a missing tail',
  )
  .option('--customer <id>', 'only this customer')
  .option('--json', 'print JSON')
  .action(async (opts: { customer?: string; json?: boolean }) => {
    if (!(await historyVerify(config(), out, opts))) process.exitCode = 1;
  });

program
  .command('checkpoint:accept')
  .description(
    'After a restore was investigated: sign the current chain heads as the new checkpoint (reason rollback_accepted), so the server resumes checkpoints',
  )
  .action(async () => checkpointAcceptCommand(config(), out));

program
  .command('seed:demo')
  .description('Create a small demo site: customers, people, zones, doors, readers, controllers, schedules, grants')
  .option('--json', 'print the created ids as JSON')
  .action(async (opts: { json?: boolean }) => seedDemoCommand(config(), out, opts));

program
  .command('mqtt:acl')
  .description('Print (or write) Mosquitto password and ACL entries for the server and every registered controller')
  .option('--out-dir <dir>', 'write mosquitto.passwd and mosquitto.acl (mode 0600) into this folder')
  .option('--instances <ids>', 'comma-separated INSTANCE_IDs of several servers: one broker account each (<username>-<id>)')
  .action(async (opts: { outDir?: string; instances?: string }) => mqttAcl(config(), out, opts));

program
  .command('controller:reset-sequence')
  .description('Forget the stored event epoch and sequence of a controller (recovers from a bad epoch stored in the future); restart its server afterwards')
  .requiredOption('--mqtt-id <id>', "the controller's MQTT id")
  .action(async (opts: { mqttId: string }) => controllerResetSequence(config(), out, opts));

program
  .command('osdp-bus:list')
  .description('List the OSDP buses (RS-485 lines): transport, speed, the server instance that opens each, and how many card readers are on it')
  .option('--site <id>', 'only this site')
  .option('--json', 'print JSON')
  .action(async (opts: { site?: string; json?: boolean }) => {
    await osdpBusList(config(), out, opts);
  });

program
  .command('card-reader:list')
  .description('List the OSDP card readers: role, bus and address, Secure Channel mode, install mode, whether each has its own key')
  .option('--site <id>', 'only this site')
  .option('--bus <id>', 'only this OSDP bus')
  .option('--json', 'print JSON')
  .action(async (opts: { site?: string; bus?: string; json?: boolean }) => {
    await cardReaderList(config(), out, opts);
  });

program
  .command('card-reader:install-mode <id>')
  .description('Put a card reader in install mode (a new or factory-reset reader gets its own Secure Channel key), or take it out with --off')
  .option('--off', 'leave install mode instead')
  .option('--json', 'print JSON')
  .action(async (id: string, opts: { off?: boolean; json?: boolean }) => {
    await cardReaderInstallMode(config(), out, id, opts);
  });

program
  .command('demo')
  .description('Seed a fresh demo site, start server, virtual readers and controllers as processes, enrol demo fingers, play the badge-in scenario')
  .option('--data-dir <dir>', 'demo data folder (default: a fresh ./data/demo-<time>)')
  .option('--stay', 'keep everything running after the scenario until Ctrl-C')
  .action(async (opts: { dataDir?: string; stay?: boolean }) => (await import('./demo.js')).runDemo(opts));

program
  .command('purge:verify')
  .description(
    'Check every erasure certificate (hash, signature, and that a purged customer has not come back), and the signed files in CERTIFICATE_DIR against the database; exits 1 on a problem',
  )
  .option('--json', 'print JSON')
  .action(async (opts: { json?: boolean }) => {
    if (!(await purgeVerify(config(), out, opts))) process.exitCode = 1;
  });

program
  .command('purge:reapply')
  .description(
    'Erase again every customer or person whose signed certificate exists but whose data is back (a restored backup); the server runs the jobs and certifies them; idempotent',
  )
  .option('--json', 'print JSON')
  .action(async (opts: { json?: boolean }) => purgeReapply(config(), out, opts));

program
  .command('purge:due')
  .description('List customers due for the end-of-service purge (run it with POST /compliance/customers/{id}/purge)')
  .option('--json', 'print JSON')
  .action(async (opts: { json?: boolean }) => purgeDue(config(), out, opts));

program
  .command('backup')
  .description(
    'Online backup while the server runs (SQLite through its backup API, PostgreSQL with pg_dump -Fc) into a new folder, with a manifest (schema version, chain heads, SHA-256); never the key ring',
  )
  .requiredOption('--to <dir>', 'a new or empty folder for this backup')
  .option('--json', 'print JSON')
  .action(async (opts: { to: string; json?: boolean }) => backupCommand(config(), out, opts));

program
  .command('restore')
  .description(
    'Put a backup back into a stopped, empty data folder or database (checksum verified; refused while a server uses it), then report what it lacks against the checkpoint log and the certificates, and the next steps',
  )
  .requiredOption('--from <dir>', 'a backup folder (with manifest.json)')
  .option('--json', 'print JSON')
  .action(async (opts: { from: string; json?: boolean }) => {
    if (!(await restoreCommand(config(), out, opts))) process.exitCode = 1;
  });

program
  .command('migration:run')
  .description('Apply pending database migrations')
  .action(async () => migrationRun(config(), out));
program
  .command('migration:revert')
  .description('Revert the newest migration')
  .action(async () => migrationRevert(config(), out));

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof ConfigError || err instanceof CliError || (err instanceof Error && err.name === 'DatabaseFileError')) {
    console.error(err.message);
    process.exitCode = 2;
  } else {
    throw err;
  }
}
