import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import ts from 'typescript';

/**
 * Static check (issue 15): no code that may run in a process holding the SQLite database opens a
 * file descriptor with node:fs, except the modules listed below, each for a file that is not the
 * database. Closing any descriptor of acs.sqlite, -wal or -shm drops every POSIX lock the process
 * holds on it, SQLite's included (sqlite.org/howtocorrupt.html, section 2.2); the next other
 * process to open the database then deletes the live WAL and acknowledged writes are lost. Only
 * SQLite itself, or another process, may read the database files (docs/sqlite-posix-locks.md).
 *
 * Specs are outside the check (they read fixtures and downloads); the helpers and benchmarks that
 * host a server in their process are inside it.
 */

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');
const SCANNED = ['apps', 'libs', 'hardware', 'migrations', 'test'];

/** node:fs functions that open (and later close) a descriptor. stat, chmod, rename, mkdir, unlink do not. */
const OPENERS = new Set([
  'open',
  'openSync',
  'openAsBlob',
  'readFile',
  'readFileSync',
  'writeFile',
  'writeFileSync',
  'appendFile',
  'appendFileSync',
  'createReadStream',
  'createWriteStream',
  'copyFile',
  'copyFileSync',
  'cp',
  'cpSync',
  'truncate',
  'truncateSync',
  // fs.promises: every file function of the promise API, handles included.
  'promises',
]);
const FS_MODULES = new Set(['fs', 'node:fs', 'fs/promises', 'node:fs/promises']);

/** Modules allowed to open files, and why that is never the database. */
const ALLOWED: Record<string, string> = {
  'libs/compliance/src/scan.ts': 'the byte scan; loaded only by the scan child process (scan-child.ts), checked below',
  'libs/crypto/src/master-key-ring.ts': 'the master key file',
  'libs/crypto/src/signing-key-ring.ts': 'the signing key file (beside the master key, never the database)',
  'libs/crypto/src/durable-file.ts': 'durable replacement of the key files (temporary file, fsync, rename, fsync of the folder)',
  'libs/compliance/src/certificates/evidence-files.ts': 'signed certificate files in CERTIFICATE_DIR',
  'libs/compliance/src/checkpoints/checkpoint-log.ts': 'the checkpoint log in CHECKPOINT_DIR',
  'libs/backup/src/manifest.ts': "a backup's manifest and the checksum of its dump (a copy SQLite or pg_dump wrote, never the live database)",
  'apps/cli/src/evidence-commands.ts': 'a certificate file and a public key file named on the command line',
  'test/support/problem-codes.ts': 'docs/http-problems.md',
  'libs/mqtt/src/embedded-broker.ts': 'TLS certificate and key files of the embedded broker',
  'libs/siem/src/syslog-sender.ts': "the SIEM collector's CA and the client certificate and key (SIEM_CA_FILE, SIEM_CLIENT_*_FILE)",
  'libs/notifications/src/mailer.ts': "the SMTP server's CA certificate (SMTP_TLS_CA_FILE)",
  'libs/database/src/wal-sync.ts':
    "the database's -wal file, the one exception: opened once for fdatasync and closed only after SQLite's connection is closed (SQLite takes no POSIX lock on -wal; docs/sqlite-durability.md)",
  'test/siem/rsyslog.ts': "a private rsyslogd's configuration and the file it writes received messages to",
  'libs/mqtt/src/testing/mosquitto.ts': 'configuration of private Mosquitto instances for tests',
  'apps/cli/src/demo.ts': "the demo's token and credential files",
  'apps/cli/src/seed-demo.ts': 'demo.json (controller credentials)',
  'apps/cli/src/mqtt-acl.ts': 'Mosquitto password and ACL files',
  'hardware/virtual-controller/src/main.ts': 'TLS files of the virtual controller (its own process, no database)',
  'hardware/virtual-reader/src/flash.store.ts': "the virtual reader's flash file",
  'hardware/virtual-osdp-reader/src/pd-state.store.ts': "the virtual OSDP readers' state file (address, baud, installed key)",
  'test/bench/main.ts': 'test-output/bench.json',
  'test/bench/scale-run.ts': '/proc/<pid>/status of the server process it started (its resident memory), never the database files',
  'test/bench/purge.bench.ts': "virtual readers' flash files (the raw read of the database runs in a child process)",
  'test/enrolment/enrolment-support.ts': "virtual readers' flash files",
  'test/support/test-database.ts': 'the PostgreSQL database name marker in a test folder',
  'test/osdp/support/libosdp-peer.ts': 'the harness source and the libosdp library it is compiled against (hashed for the build cache)',
  'test/console/axe.ts': 'the axe-core script the browser tests inject into console pages',
};

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'node_modules' || e.name === 'dist' || e.name.startsWith('.')) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...sources(p));
    else if (/\.tsx?$/.test(e.name) && !/\.(e2e-)?spec\.tsx?$/.test(e.name) && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** The fs functions a file can reach that open a descriptor; `*` for a namespace, default or dynamic import. */
function fsOpeners(text: string, fileName = 'x.ts'): string[] {
  const sf = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true);
  const found = new Set<string>();
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier) && FS_MODULES.has(node.moduleSpecifier.text)) {
      const clause = node.importClause;
      if (clause && !clause.isTypeOnly) {
        if (clause.name) found.add('*');
        const b = clause.namedBindings;
        if (b && ts.isNamespaceImport(b)) found.add('*');
        if (b && ts.isNamedImports(b)) {
          for (const el of b.elements) {
            const name = (el.propertyName ?? el.name).text;
            if (!el.isTypeOnly && OPENERS.has(name)) found.add(name);
          }
        }
      }
    }
    if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const [arg] = node.arguments;
      if (arg && ts.isStringLiteral(arg) && FS_MODULES.has(arg.text)) found.add('*');
    }
    if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'require') {
      const [arg] = node.arguments;
      if (arg && ts.isStringLiteral(arg) && FS_MODULES.has(arg.text)) found.add('*');
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return [...found].sort();
}

describe('no descriptor of the database files in a process that has them open', () => {
  const files = SCANNED.flatMap((d) => sources(join(ROOT, d)));

  it('finds the fs calls that open a descriptor (named, namespace, dynamic import)', () => {
    expect(fsOpeners("import { readFileSync, statSync } from 'node:fs';")).toEqual(['readFileSync']);
    expect(fsOpeners("import { statSync, chmodSync } from 'node:fs';")).toEqual([]);
    expect(fsOpeners("import * as fs from 'fs';")).toEqual(['*']);
    expect(fsOpeners("import fs from 'node:fs/promises';")).toEqual(['*']);
    expect(fsOpeners("const { openSync } = await import('node:fs');")).toEqual(['*']);
    expect(fsOpeners("import { open as o } from 'node:fs/promises';")).toEqual(['open']);
    expect(fsOpeners("import type { Stats } from 'node:fs';")).toEqual([]);
    expect(fsOpeners("import { promises } from 'fs';")).toEqual(['promises']);
  });

  it('only the listed modules open files, and every listed module still does', () => {
    expect(files.length).toBeGreaterThan(100);
    const offenders: string[] = [];
    const used = new Set<string>();
    for (const f of files) {
      const rel = relative(ROOT, f).split('\\').join('/');
      const openers = fsOpeners(readFileSync(f, 'utf8'), f);
      if (openers.length === 0) continue;
      if (ALLOWED[rel]) used.add(rel);
      else offenders.push(`${rel}: ${openers.join(', ')}`);
    }
    expect(offenders).toEqual([]);
    expect(Object.keys(ALLOWED).filter((f) => !used.has(f))).toEqual([]);
  });

  it('the byte scan is loaded by the scan child process only', () => {
    const importers = files
      .filter((f) => /from '(\.\/|\.\.\/.*compliance\/src\/)scan\.js'/.test(readFileSync(f, 'utf8')))
      .map((f) => relative(ROOT, f).split('\\').join('/'));
    expect(importers).toEqual(['libs/compliance/src/scan-child.ts']);
    expect(readFileSync(join(ROOT, 'libs/compliance/src/index.ts'), 'utf8')).not.toMatch(/from '\.\/scan\.js'/);
  });
});
