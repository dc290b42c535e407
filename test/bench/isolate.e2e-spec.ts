import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { DEFAULT_DEADLINE_MS, deadlineFor, figureProblems } from './harness.js';
import { runIsolated, summariseResources } from './isolate.js';

/**
 * The benchmark runner's deadline, with stand-in children that speak the runner's IPC protocol
 * (the real child, child.ts, only exists compiled): one that hangs idle on a promise with a TCP
 * server open, as the purge benchmark did; one that blocks its event loop; one that crashes;
 * one that finishes.
 */
const dir = mkdtempSync(join(tmpdir(), 'acs-bench-isolate-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function child(name: string, body: string): string {
  const file = join(dir, `${name}.mjs`);
  writeFileSync(
    file,
    `import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
writeFileSync(${JSON.stringify(join(dir, `${name}.pid`))}, String(process.pid));
const send = (m) => new Promise((r) => process.send(m, undefined, {}, r));
process.on('message', (m) => { if (m.type === 'deadline') void send({ type: 'resources', resources: process.getActiveResourcesInfo() }); });
${body}
`,
  );
  return file;
}

function alive(name: string): boolean {
  const pid = Number(readFileSync(join(dir, `${name}.pid`), 'utf8'));
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('benchmark runner deadline', () => {
  it('fails a benchmark that hangs idle on a promise, naming the deadline, the last step and the live handles, and kills it', async () => {
    const entry = child(
      'idle',
      `await send({ type: 'start', name: 'idle bench', deadlineMs: 500 });
await send({ type: 'log', message: 'set-up done; closing the set-up application' });
await new Promise((r) => createServer().listen(0, '127.0.0.1', r));
await new Promise(() => undefined);`,
    );
    const started = Date.now();
    const run = await runIsolated({ entry, args: [], label: 'idle.bench.js' });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(run).toMatchObject({ name: 'idle bench', timedOut: true });
    expect(run.figures).toBeUndefined();
    expect(run.error).toContain('did not finish within its deadline of 1 s');
    expect(run.error).toContain('after "set-up done; closing the set-up application"');
    expect(run.error).toContain('TCPServerWrap');
    expect(run.error).toContain('no timer');
    expect(alive('idle')).toBe(false);
  });

  it('says so when the benchmark blocks its event loop and cannot answer', async () => {
    const entry = child('blocked', `await send({ type: 'start', name: 'blocked bench', deadlineMs: 300 });\nfor (;;);`);
    const run = await runIsolated({ entry, args: [], label: 'blocked.bench.js', answerMs: 300 });
    expect(run.timedOut).toBe(true);
    expect(run.error).toContain('before its first progress line');
    expect(run.error).toContain('event loop is blocked');
    expect(alive('blocked')).toBe(false);
  });

  it('applies a start deadline to a child that never reports its benchmark', async () => {
    const entry = child('silent', `await new Promise(() => setInterval(() => undefined, 1000));`);
    const run = await runIsolated({ entry, args: [], label: 'silent.bench.js', startDeadlineMs: 300, answerMs: 1000 });
    expect(run).toMatchObject({ name: 'silent.bench.js', timedOut: true });
    expect(run.error).toContain('Timeout');
    expect(run.error).not.toContain('no timer');
  });

  it('reports a crash without figures as a failure, not a hang', async () => {
    const entry = child('crash', `await send({ type: 'start', name: 'crash bench', deadlineMs: 60_000 });\nprocess.exit(3);`);
    const run = await runIsolated({ entry, args: [], label: 'crash.bench.js' });
    expect(run).toMatchObject({ name: 'crash bench', timedOut: false });
    expect(run.error).toContain('exit code 3');
  });

  it('returns the figures of a benchmark that finishes in time', async () => {
    const entry = child(
      'done',
      `await send({ type: 'start', name: 'done bench', deadlineMs: 60_000 });
await send({ type: 'done', figures: [{ name: 'x', value: 1, unit: 'ms' }] });
process.exit(0);`,
    );
    const run = await runIsolated({ entry, args: [], label: 'done.bench.js' });
    expect(run).toMatchObject({ name: 'done bench', timedOut: false, figures: [{ name: 'x', value: 1, unit: 'ms' }] });
    expect(run.error).toBeUndefined();
  });
});

describe('deadlineFor', () => {
  it.each([
    [{}, false, undefined, DEFAULT_DEADLINE_MS.full],
    [{}, true, undefined, DEFAULT_DEADLINE_MS.quick],
    [{ deadlineMs: { full: 40_000 } }, false, undefined, 40_000],
    [{ deadlineMs: { full: 40_000 } }, true, undefined, DEFAULT_DEADLINE_MS.quick],
    [{ deadlineMs: { quick: 7_000 } }, true, '', 7_000],
    [{ deadlineMs: { full: 40_000 } }, false, '90', 90_000],
    [{}, true, '0.5', 500],
  ])('%j quick=%s override=%s → %d ms', (bench, quick, override, expected) => {
    expect(deadlineFor(bench, quick, override)).toBe(expected);
  });

  it.each(['0', '-1', 'ten', 'Infinity'])('refuses BENCH_DEADLINE_S=%s', (override) => {
    expect(() => deadlineFor({}, false, override)).toThrow(/BENCH_DEADLINE_S must be a positive number of seconds/);
  });

  it('summarises live handles by kind', () => {
    expect(summariseResources(['TCPServerWrap', 'TCPServerWrap', 'Timeout'])).toBe('TCPServerWrap ×2, Timeout');
    expect(summariseResources([])).toBe('none');
  });
});

describe('figureProblems', () => {
  const floor = { name: 'p99', value: 2, unit: 'ms', baseline: 1, better: 'lower' as const };
  it.each([
    [[floor], []],
    [[floor, { name: 'total', value: 5, unit: 'ms' }], []],
    [[], ['no figures']],
    [[{ name: 'total', value: 5, unit: 'ms' }], ['no figure has a floor (baseline) measured in the same run']],
    [[floor, { name: 'step 1', value: NaN, unit: 'ms' }], ['"step 1" is NaN']],
    [[{ ...floor, baseline: 0 }], ['"p99" has floor 0']],
    [[floor, { name: 'x', value: 1, unit: 'ms', target: 2 }], ['"x" has a target ratio but no floor']],
  ])('%j → %j', (figures, problems) => {
    expect(figureProblems(figures)).toEqual(problems);
  });
});
