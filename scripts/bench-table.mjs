// `npm run bench:table [-- path/to/bench.json]`: keeps the README's benchmark table generated from
// a benchmark run's figures. It copies the run's bench.json (default test-output/bench.json) to
// docs/benchmarks/last-run.json and writes the table between the bench-table markers of the
// README. `--check` renders the committed last-run.json again and fails when the README's table
// differs, so the table cannot be edited by hand or drift from its figures (npm run lint runs it).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { execFileSync } from 'node:child_process';

const root = fileURLToPath(new URL('..', import.meta.url));
export const README_FILE = `${root}README.md`;
export const LAST_RUN_FILE = `${root}docs/benchmarks/last-run.json`;
export const START = '<!-- bench-table:start (npm run bench:table writes this block from docs/benchmarks/last-run.json) -->';
export const END = '<!-- bench-table:end -->';

/** Three significant digits, whole numbers from 1000 up (as the bench runner prints them). */
function fmt(n) {
  if (n === undefined || n === null) return '–';
  return Math.abs(n) >= 1000 ? n.toFixed(0) : Number(n.toPrecision(3)).toString();
}

/** Pipes would end a cell; names are ours, but a table must not break on one. */
const cell = (s) => String(s).replace(/\|/g, '\\|');

function verdict(f) {
  if (f.meetsTarget === undefined || f.meetsTarget === null) return '';
  return f.meetsTarget ? 'met' : '**missed**';
}

/** The markdown between the markers (unformatted; {@link renderReadme} formats the whole file). */
export function renderTable(run) {
  const machine = run.machine
    ? `, ${run.machine.cpus} × ${run.machine.cpuModel}, ${Math.round(run.machine.memoryMiB / 1024)} GiB, Node ${run.machine.node}`
    : '';
  const lines = [
    `Run of ${run.at}${run.quick ? ' in quick mode (`BENCH_QUICK=1`: smaller workloads, same code paths)' : ''}${machine}. ` +
      'Ratio is value / floor, both measured in the same run; the target is the ratio an issue sets.',
    '',
    '| benchmark | figure | value | floor | ratio | target | |',
    '| --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const r of run.results) {
    // The file's stem (`npm run bench -- <stem>` runs it alone); its full name is in bench.json.
    const bench = `\`${r.file.replace(/\.bench\.js$/, '')}\``;
    if (r.error !== undefined) lines.push(`| ${bench} | **failed**${r.timedOut ? ' (deadline)' : ''}: ${cell(r.error.split('\n')[0])} | | | | | |`);
    for (const f of r.figures) {
      const target = f.target === undefined ? '' : `${f.better === 'higher' ? '≥' : '≤'} ${f.target}`;
      lines.push(
        `| ${bench} | ${cell(f.name)} | ${fmt(f.value)} ${cell(f.unit)} | ${f.baseline === undefined ? '' : fmt(f.baseline)} | ${f.ratio === undefined ? '' : fmt(f.ratio)} | ${target} | ${verdict(f)} |`,
      );
    }
  }
  return lines.join('\n');
}

/**
 * Formatted by the same Prettier command `npm run lint` checks with: its API formatted this
 * README's widest table differently from its command line (same version, same options).
 */
function prettierCli(text, filepath) {
  return execFileSync(`${root}node_modules/.bin/prettier`, ['--stdin-filepath', filepath], { input: text, cwd: root, maxBuffer: 64 * 1024 * 1024 }).toString();
}

/** The README with its table block replaced, formatted as the repository formats markdown. */
export async function renderReadme(readme, run) {
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) throw new Error(`README has no bench-table markers (${START} ... ${END})`);
  const text = `${readme.slice(0, start + START.length)}\n\n${renderTable(run)}\n\n${readme.slice(end)}`;
  return prettierCli(text, README_FILE);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const check = process.argv.includes('--check');
  const source = process.argv.slice(2).find((a) => !a.startsWith('--'));
  if (!check) {
    mkdirSync(dirname(LAST_RUN_FILE), { recursive: true });
    // Formatted as the repository formats JSON, so `prettier --check .` passes on the copy.
    const json = readFileSync(source ?? `${root}test-output/bench.json`, 'utf8');
    writeFileSync(LAST_RUN_FILE, prettierCli(json, LAST_RUN_FILE));
  }
  const readme = readFileSync(README_FILE, 'utf8');
  const next = await renderReadme(readme, JSON.parse(readFileSync(LAST_RUN_FILE, 'utf8')));
  if (check) {
    if (next !== readme) {
      console.error(
        "bench-table: the README's benchmark table differs from docs/benchmarks/last-run.json; run `npm run bench:table` (with the run's bench.json) and commit both",
      );
      process.exit(1);
    }
  } else {
    writeFileSync(README_FILE, next);
    console.error(`bench-table: README table written from ${source ?? 'test-output/bench.json'} (kept as docs/benchmarks/last-run.json)`);
  }
}
