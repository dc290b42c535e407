import { describe, expect, it } from '@jest/globals';
import { DurableStepRunner, type DurableJob, type JobPatch, type StepResult, type StepRunnerOptions, type StepTimes } from './step-runner.js';

type Step = 'a' | 'b' | 'c' | 'done';
type Job = DurableJob<Step> & { lastError: string | null };
type Data = StepTimes<Step> & { ran: string[] };

/** An in-memory job table: `saves` records every patch in order, as the database row would see them. */
function table(step: Step = 'a') {
  const row: Job = { id: 'j1', state: 'running', step, data: JSON.stringify({ steps: {}, ran: [] }), lastError: null };
  const saves: Array<JobPatch<Step>> = [];
  return {
    row,
    saves,
    data: () => JSON.parse(row.data) as Data,
    load: async (): Promise<Job> => ({ ...row }),
    save: async (_id: string, patch: JobPatch<Step>): Promise<void> => {
      saves.push(patch);
      Object.assign(row, patch);
    },
  };
}

let now = 1000;
const steps = (results: Partial<Record<Step, () => StepResult<Step>>>, t: ReturnType<typeof table>): StepRunnerOptions<Step, Job, Data>['steps'] =>
  Object.fromEntries(
    Object.entries(results).map(([name, result]) => [
      name,
      async (_job: Job, data: Data) => {
        data.ran.push(name);
        const r = result();
        if (r === 'settled') await t.save('j1', { state: 'done', step: 'done', data: JSON.stringify(data) });
        return r;
      },
    ]),
  );

function runner(t: ReturnType<typeof table>, s: StepRunnerOptions<Step, Job, Data>['steps'], extra: Partial<StepRunnerOptions<Step, Job, Data>> = {}) {
  return new DurableStepRunner<Step, Job, Data>({
    name: 'Test',
    load: t.load,
    save: t.save,
    restingStates: ['done', 'held'],
    runningState: 'running',
    waitingState: 'waiting',
    now: () => now++,
    steps: s,
    ...extra,
  });
}

const chain = (t: ReturnType<typeof table>) => steps({ a: () => ({ next: 'b' }), b: () => ({ next: 'c' }), c: () => 'settled' }, t);

describe(DurableStepRunner.name, () => {
  it('runs the steps in order, saving the next step and the step times after each', async () => {
    const t = table();
    await runner(t, chain(t)).advance('j1');
    expect(t.row).toMatchObject({ state: 'done', step: 'done' });
    expect(t.data().ran).toEqual(['a', 'b', 'c']);
    expect(t.saves.map((s) => s.step)).toEqual(['b', 'c', 'done']);
    const times = t.data().steps;
    expect(times.a!.finishedAt).toBeGreaterThan(times.a!.startedAt);
    expect(times.b!.startedAt).toBeGreaterThan(times.a!.finishedAt!);
  });

  it('a step that throws leaves the job at that step with the error; the next advance resumes there', async () => {
    const t = table();
    let fail = true;
    const s = steps(
      {
        a: () => ({ next: 'b' }),
        b: () => {
          if (fail) throw new TypeError('disk on fire');
          return { next: 'c' };
        },
        c: () => 'settled',
      },
      t,
    );
    const r = runner(t, s);
    await r.advance('j1');
    expect(t.row).toMatchObject({ state: 'running', step: 'b', lastError: 'TypeError: disk on fire' });
    fail = false;
    await r.advance('j1');
    expect(t.row).toMatchObject({ state: 'done', lastError: null });
    // a ran once: the saved step is where a new runner (a new process) starts.
    expect(t.data().ran).toEqual(['a', 'b', 'c']);
  });

  it('an exception at the probe point before the save repeats the step (as a crash after the step, before its save)', async () => {
    const t = table();
    let crashes = 0;
    const probe = (point: string) => {
      if (point === 'before-save:a' && crashes++ === 0) throw new Error('killed');
    };
    await runner(t, chain(t), { probe }).advance('j1');
    expect(t.row.step).toBe('a');
    await runner(t, chain(t), { probe }).advance('j1');
    expect(t.row.state).toBe('done');
    // The row kept the data of before the crash: the repeated step is the only trace.
    expect(t.data().ran).toEqual(['a', 'b', 'c']);
  });

  it("'wait' parks the job in the waiting state at the same step", async () => {
    const t = table();
    await runner(t, steps({ a: () => 'wait' }, t)).advance('j1');
    expect(t.row).toMatchObject({ state: 'waiting', step: 'a' });
  });

  it('leaves resting jobs alone and stops before a paused step', async () => {
    const t = table();
    t.row.state = 'held';
    await runner(t, chain(t)).advance('j1');
    expect(t.saves).toEqual([]);
    t.row.state = 'running';
    await runner(t, chain(t), { pauseBefore: () => 'b' }).advance('j1');
    expect(t.row.step).toBe('b');
    expect(t.data().ran).toEqual(['a']);
  });

  it('one run per job: a second advance while one runs joins it', async () => {
    const t = table();
    const r = runner(t, chain(t));
    const first = r.advance('j1');
    expect(r.advance('j1')).toBe(first);
    await first;
    expect(t.data().ran).toEqual(['a', 'b', 'c']);
  });

  it('does not run a step after stop(), nor without the lease', async () => {
    const t = table();
    const r = runner(t, chain(t));
    await r.stop();
    await r.advance('j1');
    expect(t.saves).toEqual([]);
    const leased = runner(t, chain(t), { leases: { acquire: async () => false, release: async () => undefined } });
    await leased.advance('j1');
    expect(t.saves).toEqual([]);
  });

  it('runs beforeStep before each step (after a restart: rebuild what only memory held)', async () => {
    const t = table();
    const seen: Step[] = [];
    await runner(t, chain(t), { beforeStep: async (job) => void seen.push(job.step) }).advance('j1');
    expect(seen).toEqual(['a', 'b', 'c']);
  });
});
