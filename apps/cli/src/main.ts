#!/usr/bin/env node
import 'reflect-metadata';
import { Command } from 'commander';
import { ConfigError, loadConfig, processEnv } from '@acs/config';
import { auditVerify, CliError, keysRotate, migrationRevert, migrationRun, mqttAcl, type Out, seedDemoCommand, staffCreate } from './commands.js';
import { historyVerify } from './history-commands.js';
import { controllerResetSequence } from './controller-commands.js';
import { purgeDue, purgeVerify } from './compliance-commands.js';

const out: Out = {
  line: (text) => console.info(text),
  json: (value) => console.info(JSON.stringify(value, null, 2)),
};

function config() {
  return loadConfig(processEnv());
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
  .command('keys:rotate')
  .description('Create a new master key, re-wrap every data key under it and retire the old one')
  .action(async () => keysRotate(config(), out));

program
  .command('audit:verify')
  .description('Verify the audit hash chain; exits 1 and names the first broken link if it is broken')
  .option('--json', 'print JSON')
  .action(async (opts: { json?: boolean }) => {
    if (!(await auditVerify(config(), out, opts))) process.exitCode = 1;
  });

program
  .command('history:verify')
  .description('Verify the access-history hash chains (one customer or all); exits 1 and names the first broken link')
  .option('--customer <id>', 'only this customer')
  .option('--json', 'print JSON')
  .action(async (opts: { customer?: string; json?: boolean }) => {
    if (!(await historyVerify(config(), out, opts))) process.exitCode = 1;
  });

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
  .requiredOption('--mqtt-id <id>', 'the controller\'s MQTT id')
  .action(async (opts: { mqttId: string }) => controllerResetSequence(config(), out, opts));

program
  .command('demo')
  .description('Seed a fresh demo site, start server, virtual readers and controllers as processes, enrol demo fingers, play the badge-in scenario')
  .option('--data-dir <dir>', 'demo data folder (default: a fresh ./data/demo-<time>)')
  .option('--stay', 'keep everything running after the scenario until Ctrl-C')
  .action(async (opts: { dataDir?: string; stay?: boolean }) => (await import('./demo.js')).runDemo(opts));

program
  .command('purge:verify')
  .description('Check every erasure certificate (its hash, and that a purged customer has not come back); exits 1 on a problem')
  .option('--json', 'print JSON')
  .action(async (opts: { json?: boolean }) => {
    if (!(await purgeVerify(config(), out, opts))) process.exitCode = 1;
  });

program
  .command('purge:due')
  .description('List customers due for the end-of-service purge (run it with POST /compliance/customers/{id}/purge)')
  .option('--json', 'print JSON')
  .action(async (opts: { json?: boolean }) => purgeDue(config(), out, opts));

program.command('migration:run').description('Apply pending database migrations').action(async () => migrationRun(config(), out));
program.command('migration:revert').description('Revert the newest migration').action(async () => migrationRevert(config(), out));

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof ConfigError || err instanceof CliError) {
    console.error(err.message);
    process.exitCode = 2;
  } else {
    throw err;
  }
}
