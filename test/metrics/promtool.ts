import { spawnSync } from 'node:child_process';

/** Whether Prometheus's promtool is installed; when not, says so LOUDLY once per suite (never a silent skip). */
export function havePromtool(what: string): boolean {
  const ok = spawnSync('promtool', ['--version'], { encoding: 'utf8' }).status === 0;
  if (!ok)
    console.warn(
      `\n${'!'.repeat(100)}\n!!! SKIPPED: promtool is not installed, so ${what} is NOT checked by Prometheus here.\n` +
        `!!! Install the Debian package \`prometheus\` (apt-get install prometheus; .ci/run does) to run that check.\n${'!'.repeat(100)}\n`,
    );
  return ok;
}

/** Runs promtool with `args`, the text on stdin; status and everything it printed. */
export function promtool(args: string[], input?: string): { status: number | null; output: string } {
  const r = spawnSync('promtool', args, { encoding: 'utf8', input });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The samples and declared metric families of a Prometheus text exposition (enough for these tests). */
export function parseExposition(text: string): { samples: Sample[]; types: Map<string, string> } {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) types.set(type[1], type[2]);
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not an exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2];
    samples.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return { samples, types };
}

/** Metric family names a PromQL text refers to (ours and the process/Node defaults). */
export function referencedMetrics(promql: string): string[] {
  return [...new Set([...promql.matchAll(/\b((?:acs|nodejs|process)_[a-z0-9_]+)\b/g)].map((m) => m[1]))];
}

/** Whether an exposition exports `name`, directly or as a histogram/summary series (_bucket, _sum, _count). */
export function exports(types: Map<string, string>, name: string): boolean {
  if (types.has(name)) return true;
  const base = name.replace(/_(bucket|sum|count)$/, '');
  return base !== name && ['histogram', 'summary'].includes(types.get(base) ?? '');
}
