import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';

// Every code the source can answer with is documented in docs/http-problems.md, so a client (and
// the HTTP fuzzer, which refuses undocumented codes) can rely on the list.
const root = new URL('../../../', import.meta.url).pathname;

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return name === 'node_modules' || name === 'testing' ? [] : sources(p);
    return p.endsWith('.ts') && !p.endsWith('.spec.ts') ? [p] : [];
  });
}

describe('docs/http-problems.md', () => {
  it('documents every problem code the source throws', () => {
    const doc = readFileSync(join(root, 'docs/http-problems.md'), 'utf8');
    const thrown = new Set<string>();
    for (const file of [...sources(join(root, 'libs')), ...sources(join(root, 'apps/server'))]) {
      const s = readFileSync(file, 'utf8');
      for (const m of s.matchAll(/(?:DomainError|ConflictError)\(\s*'([a-z_.]+)'/g)) thrown.add(m[1]);
      for (const m of s.matchAll(/NotFoundError\(\s*'([A-Za-z ]+)'/g)) thrown.add(`${m[1].toLowerCase().replace(/\s+/g, '_')}.not_found`);
      for (const m of s.matchAll(/code: '([a-z_]+\.[a-z_.]+)'/g)) thrown.add(m[1]);
    }
    expect(thrown.size).toBeGreaterThan(50);
    expect([...thrown].filter((c) => !doc.includes(`\`${c}\``)).sort()).toEqual([]);
  });
});
