// Writes the module graph in docs/architecture.md from the code's imports, as dependency-cruiser
// reads them (production code only: no specs, testing folders, tests or generated files), between
// the module-graph markers. `--check` fails when the document no longer matches the code, so the
// picture cannot drift (npm run lint runs it).
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const doc = `${root}docs/architecture.md`;
const START = '<!-- module-graph:start (npm run docs:graph writes this block) -->';
const END = '<!-- module-graph:end -->';
// Every lib uses these; drawn, they would hide the edges that say something about the design.
const EVERYWHERE = new Set(['libs/clock', 'libs/config', 'libs/http', 'libs/database']);

const json = execFileSync(
  `${root}node_modules/.bin/depcruise`,
  [
    '--config',
    '.dependency-cruiser.mjs',
    '--collapse',
    '^(libs|apps|hardware)/[^/]+',
    '--exclude',
    '(\\.spec\\.ts$|/testing/|^test/|\\.e2e-spec\\.ts$|/generated/)',
    '--output-type',
    'json',
    'apps',
    'libs',
    'hardware',
  ],
  { cwd: root, maxBuffer: 64 * 1024 * 1024 },
).toString();

const inTree = (p) => /^(libs|apps|hardware)\/[^/]+$/.test(p);
const edges = new Map();
for (const m of JSON.parse(json).modules) {
  if (!inTree(m.source)) continue;
  const to = [...new Set(m.dependencies.map((d) => d.resolved).filter((r) => inTree(r) && r !== m.source))].sort();
  edges.set(m.source, to);
}
const nodes = [...edges.keys()].sort();
const id = (p) => p.replace(/[/-]/g, '_');
const label = (p) => p.replace(/^libs\//, '');

const lines = ['```mermaid', 'flowchart TD'];
for (const n of nodes) lines.push(`  ${id(n)}["${label(n)}"]`);
for (const n of nodes) for (const t of edges.get(n)) if (!EVERYWHERE.has(t) && n !== 'libs/schema') lines.push(`  ${id(n)} --> ${id(t)}`);
lines.push('```', '');
lines.push(
  `Not drawn: the edges to ${[...EVERYWHERE].map((e) => `\`${label(e)}\``).join(', ')} (used nearly everywhere), and \`schema\`'s (it gathers every lib's entities for the apps). Every edge, as a table:`,
  '',
  '| module | imports |',
  '| --- | --- |',
);
for (const n of nodes)
  lines.push(
    `| \`${n}\` | ${
      edges
        .get(n)
        .map((t) => `\`${label(t)}\``)
        .join(', ') || '(nothing of ours)'
    } |`,
  );
const block = `${START}\n${lines.join('\n')}\n${END}`;

const text = readFileSync(doc, 'utf8');
const a = text.indexOf(START);
const b = text.indexOf(END);
if (a < 0 || b < a) throw new Error(`${doc}: the module-graph markers are missing`);
const next = text.slice(0, a) + block + text.slice(b + END.length);
if (process.argv.includes('--check')) {
  if (next !== text) {
    console.error('docs/architecture.md: the module graph differs from the code; run npm run docs:graph');
    process.exit(1);
  }
} else {
  writeFileSync(doc, next);
  console.log('docs:graph: wrote the module graph into docs/architecture.md');
}
