/**
 * Child side of {@link runIsolated}: `node child.js <bench file> <tmp dir>` runs that one
 * benchmark and reports its name, progress lines and figures over the IPC channel. Forked by
 * main.ts; not meant to be started by hand.
 */
import { pathToFileURL } from 'node:url';
import { type Benchmark, deadlineFor } from './harness.js';
import type { ChildMessage, ParentMessage } from './isolate.js';

const [file, tmpDir] = process.argv.slice(2);
const quick = process.env.BENCH_QUICK === '1';

function send(m: ChildMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send) throw new Error('bench child started without an IPC channel (run it through main.js)');
    process.send(m, undefined, {}, () => resolve());
  });
}

process.on('message', (m: ParentMessage) => {
  // At the deadline: what keeps this process alive, so the report can say where it hangs.
  if (m.type === 'deadline') void send({ type: 'resources', resources: process.getActiveResourcesInfo() });
});

try {
  const bench = ((await import(pathToFileURL(file).href)) as { default: Benchmark }).default;
  await send({ type: 'start', name: bench.name, deadlineMs: deadlineFor(bench, quick, process.env.BENCH_DEADLINE_S) });
  const figures = await bench.run({
    tmpDir,
    quick,
    log: (message) => {
      console.log(`  ${message}`);
      void send({ type: 'log', message });
    },
  });
  await send({ type: 'done', figures });
} catch (err) {
  await send({ type: 'failed', error: (err as Error).stack ?? String(err) });
}
// Handles a benchmark left open must not keep its process, and the parent, waiting.
process.exit(0);
