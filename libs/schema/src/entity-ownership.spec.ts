import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';

// Each lib owns its tables: other libs call its operations, never its entity classes nor raw SQL
// on its tables (docs/architecture.md). dependency-cruiser cannot check this: `@acs/<lib>`
// resolves to the lib's index.ts, so it sees which lib is imported, not which names or tables.
// This reads the import lists and the SQL text instead.
// It lives with @acs/schema because that is the one place allowed to gather every lib's entities.

const root = new URL('../../../', import.meta.url).pathname;

/**
 * Known violations: none left. An exception added here must say why the owner cannot offer an
 * operation instead.
 */
const KNOWN = new Set<string>([]);

/** Known raw SQL on another lib's tables: none left (compliance's checkpoints read through the owners' operations). Same rule for additions. */
const KNOWN_SQL = new Set<string>([]);

/** Entity classes (`*Entity`) a file of lib `lib` imports or re-exports from another lib, type-only ones included. */
function foreignEntityImports(lib: string, source: string): Array<{ name: string; from: string }> {
  const found: Array<{ name: string; from: string }> = [];
  for (const m of source.matchAll(/\b(?:import|export)\s+(?:type\s+)?(?:[\w$]+\s*,\s*)?\{([^}]*)\}\s*from\s*['"]@acs\/([a-z0-9-]+)['"]/g)) {
    if (m[2] === lib) continue;
    for (const spec of m[1].split(',')) {
      const name = spec
        .trim()
        .replace(/^type\s+/, '')
        .split(/\s+as\s+/)[0];
      if (/Entity$/.test(name)) found.push({ name, from: `@acs/${m[2]}` });
    }
  }
  // A namespace import hides the names in the import list: look for `ns.SomethingEntity` instead.
  for (const m of source.matchAll(/\bimport\s+(?:type\s+)?\*\s+as\s+([\w$]+)\s+from\s*['"]@acs\/([a-z0-9-]+)['"]/g)) {
    if (m[2] === lib) continue;
    for (const u of source.matchAll(new RegExp(`\\b${m[1].replace(/\$/g, '\\$')}\\.([\\w$]*Entity)\\b`, 'g'))) found.push({ name: u[1], from: `@acs/${m[2]}` });
  }
  return found;
}

/** Table name → owning lib, from the `@Entity('table')` decorators in each lib's production sources. */
function tableOwners(libs: string[]): Map<string, string> {
  const owners = new Map<string, string>();
  for (const lib of libs)
    for (const file of productionSources(join(root, 'libs', lib, 'src')))
      for (const m of readFileSync(file, 'utf8').matchAll(/@Entity\(\s*['"]([a-z0-9_]+)['"]/g)) owners.set(m[1], lib);
  return owners;
}

/**
 * Another lib's tables that a file of lib `lib` names in raw SQL (an upper-case FROM, JOIN, INTO,
 * UPDATE or TABLE before the name, as this code base writes its SQL). A table name built at run
 * time is not seen; such code goes through the owner's `tables()`-style operations instead.
 */
function foreignTablesInSql(lib: string, source: string, owners: Map<string, string>): Array<{ table: string; owner: string }> {
  const found: Array<{ table: string; owner: string }> = [];
  for (const m of source.matchAll(/\b(?:FROM|JOIN|INTO|UPDATE|TABLE)\s+["`]?([a-z_][a-z0-9_]*)/g)) {
    const owner = owners.get(m[1]);
    if (owner !== undefined && owner !== lib) found.push({ table: m[1], owner });
  }
  return found;
}

/** Production sources of a lib: no specs, no testing folder (test doubles may build other libs' rows). */
function productionSources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return name === 'testing' ? [] : productionSources(p);
    return p.endsWith('.ts') && !/\.(e2e-)?spec\.ts$/.test(p) ? [p] : [];
  });
}

describe('entity ownership', () => {
  it.each([
    [
      'registry entity in an import list',
      'compliance',
      "import { CustomerEntity, customerScope } from '@acs/registry';",
      ['CustomerEntity from @acs/registry'],
    ],
    ['type-only and renamed', 'compliance', "import type { DataKeyEntity as Key } from '@acs/crypto';", ['DataKeyEntity from @acs/crypto']],
    [
      'inline type modifier, across lines',
      'badge-in',
      "import {\n  AuditService,\n  type AuditEntryEntity,\n} from '@acs/audit';",
      ['AuditEntryEntity from @acs/audit'],
    ],
    ['re-exported', 'compliance', "export { ApiTokenEntity } from '@acs/auth';", ['ApiTokenEntity from @acs/auth']],
    [
      'through a namespace import',
      'compliance',
      "import * as registry from '@acs/registry';\nm.count(registry.PersonEntity);",
      ['PersonEntity from @acs/registry'],
    ],
    ["the lib's own entity", 'registry', "import { CustomerEntity } from '@acs/registry';", []],
    ['a relative import of its own', 'compliance', "import { ErasureJobEntity } from '../entities.js';", []],
    ['operations and arrays of entities', 'schema', "import { READER_FLEET_ENTITIES, TemplateVault } from '@acs/reader-fleet';", []],
    ['a TypeORM type', 'compliance', "import type { EntityManager } from 'typeorm';", []],
  ])('%s', (_case, lib, source, expected) => {
    expect(foreignEntityImports(lib, source).map((f) => `${f.name} from ${f.from}`)).toEqual(expected);
  });

  const OWNERS = new Map([
    ['access_event', 'access-log'],
    ['audit_entry', 'audit'],
    ['customer', 'registry'],
    ['site', 'registry'],
  ]);
  it.each([
    [
      'the checkpoints reading three libs in one statement',
      'compliance',
      "ds.query(`SELECT k.id FROM (SELECT id FROM customer UNION ALL SELECT 'site:' || id FROM site) k JOIN access_event e ON e.chain_id = k.id`)",
      ['customer of registry', 'site of registry', 'access_event of access-log'],
    ],
    ['quoted, on PostgreSQL', 'compliance', 'm.query(\'DELETE FROM "audit_entry" WHERE seq = $1\')', ['audit_entry of audit']],
    ['its own table', 'access-log', "m.query('SELECT hash FROM access_event WHERE chain_id = ?')", []],
    ['prose in a comment', 'compliance', '// the heads come from the customer and site tables', []],
    ['a table nobody owns', 'compliance', "ds.query('SELECT 1 FROM pg_class')", []],
  ])('raw SQL: %s', (_case, lib, source, expected) => {
    expect(foreignTablesInSql(lib, source, OWNERS).map((f) => `${f.table} of ${f.owner}`)).toEqual(expected);
  });

  it("no production file of a lib names another lib's table in raw SQL", () => {
    const libs = readdirSync(join(root, 'libs')).filter((lib) => lib !== 'schema');
    const owners = tableOwners(libs);
    expect(owners.get('access_event')).toBe('access-log'); // the decorators were found at all
    expect(owners.size).toBeGreaterThan(20);
    const found: string[] = [];
    for (const lib of libs)
      for (const file of productionSources(join(root, 'libs', lib, 'src')))
        for (const f of foreignTablesInSql(lib, readFileSync(file, 'utf8'), owners)) found.push(`${file.slice(root.length)}: ${f.table} of ${f.owner}`);
    expect(found.filter((v) => !KNOWN_SQL.has(v)).sort()).toEqual([]);
  });

  it("no production file of a lib uses another lib's entity class", () => {
    const found: string[] = [];
    let files = 0;
    for (const lib of readdirSync(join(root, 'libs'))) {
      if (lib === 'schema') continue; // gathers every lib's entities for the apps, by design
      for (const file of productionSources(join(root, 'libs', lib, 'src'))) {
        files += 1;
        for (const f of foreignEntityImports(lib, readFileSync(file, 'utf8'))) found.push(`${file.slice(root.length)}: ${f.name} from ${f.from}`);
      }
    }
    expect(files).toBeGreaterThan(100);
    expect(found.filter((v) => !KNOWN.has(v)).sort()).toEqual([]);
  });
});
