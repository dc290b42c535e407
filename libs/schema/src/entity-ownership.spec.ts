import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';

// Each lib owns its tables: other libs call its operations, never its entity classes
// (docs/architecture.md). dependency-cruiser cannot check this: `@acs/<lib>` resolves to the lib's
// index.ts, so it sees which lib is imported, not which names. This reads the import lists instead.
// It lives with @acs/schema because that is the one place allowed to gather every lib's entities.

const root = new URL('../../../', import.meta.url).pathname;

/**
 * Known violations: none left. An exception added here must say why the owner cannot offer an
 * operation instead.
 */
const KNOWN = new Set<string>([]);

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
