/**
 * `npm run demo`: the demo site end to end, each part in its own process as on a real site: the
 * server, seven virtual R503 readers on tcp://127.0.0.1:171xx (control ports 172xx), two virtual
 * door controllers on the server's embedded broker (control ports 17300/17301). It seeds the site
 * (acsctl seed:demo), enrols the demo fingers at the desk reader over the API, then plays a
 * scripted scenario and prints what the security desk's live stream shows. Names are printed
 * because the demo resolves the ids it created itself; the server's stream carries ids only.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { loadConfig, processEnv } from '@acs/config';
import { readEventStream } from '@acs/event-stream';
import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { basename, dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';

interface DemoSummary {
  siteId: string;
  customers: Record<string, string>;
  people: Record<string, string>;
  doors: Record<string, string>;
  readers: Record<string, string>;
  controllers: Record<string, { id: string; mqttId: string; mqttPassword: string; signingSecret: string }>;
}

export interface DemoOptions {
  dataDir?: string;
  httpPort?: number;
  mqttPort?: number;
  /** Keep everything running after the scenario until Ctrl-C (to watch and play by hand). */
  stay?: boolean;
  print?: (line: string) => void;
}

const here = dirname(fileURLToPath(import.meta.url));
const dist = resolve(here, '../../..');
const CLI = join(dist, 'apps/cli/src/main.js');
const SERVER = join(dist, 'apps/server/src/main.js');
const SIM_READER = join(dist, 'hardware/virtual-reader/src/main.js');
const SIM_CONTROLLER = join(dist, 'hardware/virtual-controller/src/main.js');

const READER_PORTS: Record<string, number> = { desk: 17100, lobby: 17101, lobbyExit: 17102, suiteA: 17103, cageA: 17104, suiteB: 17105, dock: 17106 };
const CONTROLLER_PORTS: Record<string, number> = { 'demo-ctl-main': 17300, 'demo-ctl-suites': 17301 };
const FINGERS: Record<string, string> = { alice: 'alice-right-index', bob: 'bob-left-index', carol: 'carol-right-thumb' };
const PERSON_NAMES: Record<string, string> = { alice: 'Alice (Acme)', bob: 'Bob (Acme contractor)', carol: 'Carol (Globex)' };
const DOOR_NAMES: Record<string, string> = {
  lobby: 'Lobby door',
  dock: 'Loading dock door',
  suiteA: 'Suite 2.14 door',
  cageA: 'Cage C3 door',
  suiteB: 'Suite 2.20 door',
};

/** One line to a control port, one answer back. */
async function control(port: number, line: string): Promise<string> {
  return new Promise((resolveLine, reject) => {
    const socket: Socket = connect(port, '127.0.0.1');
    let buf = '';
    socket.once('error', reject);
    socket.on('data', (d) => {
      buf += d.toString();
      if (buf.includes('\n')) {
        socket.end();
        resolveLine(buf.split('\n')[0]);
      }
    });
    socket.once('connect', () => socket.write(`${line}\n`));
  });
}

export async function runDemo(opts: DemoOptions = {}): Promise<void> {
  const print = opts.print ?? ((l: string) => console.info(l));
  const dataDir = resolve(opts.dataDir ?? join('data', `demo-${new Date().toISOString().replace(/[:.]/g, '-')}`));
  // The ports the server would take from this environment (HTTP_PORT, MQTT_EMBEDDED_PORT).
  const defaults = loadConfig({ ...processEnv(), DATA_DIR: dataDir });
  const httpPort = opts.httpPort ?? defaults.HTTP_PORT;
  const mqttPort = opts.mqttPort ?? defaults.MQTT_EMBEDDED_PORT;
  mkdirSync(dataDir, { recursive: true });
  if (!opts.dataDir) {
    // data/demo-latest always names the newest run, so the README's commands work after a second run.
    const latest = join(dirname(dataDir), 'demo-latest');
    rmSync(latest, { force: true });
    symlinkSync(basename(dataDir), latest);
  }
  const env = {
    ...processEnv(),
    DATA_DIR: dataDir,
    HTTP_PORT: String(httpPort),
    MQTT_EMBEDDED_PORT: String(mqttPort),
    LOG_LEVEL: 'warn',
    BADGE_POLL_INTERVAL_MS: '40',
  };
  const children: ChildProcess[] = [];
  const base = `http://127.0.0.1:${httpPort}`;

  const run = (args: string[], label: string, ready?: RegExp): Promise<{ child: ChildProcess; output: string[] }> =>
    new Promise((res, rej) => {
      const child = spawn(process.execPath, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
      children.push(child);
      const output: string[] = [];
      const onLine = (line: string) => {
        output.push(line);
        if (ready?.test(line)) res({ child, output });
      };
      createInterface({ input: child.stdout! }).on('line', onLine);
      createInterface({ input: child.stderr! }).on('line', (l) => {
        output.push(l);
        if (/error|EADDRINUSE/i.test(l) && !ready?.test(l)) print(`  [${label}] ${l}`);
      });
      child.once('exit', (code) => (ready ? rej(new Error(`${label} exited with ${code}: ${output.slice(-5).join(' | ')}`)) : res({ child, output })));
    });

  const stopAll = async () => {
    for (const c of children.reverse()) {
      if (c.exitCode === null && c.signalCode === null) {
        const exited = new Promise((r) => c.once('exit', r));
        c.kill('SIGTERM');
        await Promise.race([exited, sleep(3000)]);
        if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      }
    }
  };

  try {
    print(`Demo data folder: ${dataDir}`);
    print('1. Seeding the demo site (acsctl seed:demo)');
    const seeded = await run([CLI, 'seed:demo'], 'seed');
    if (seeded.child.exitCode !== 0) throw new Error(`seed failed: ${seeded.output.join(' | ')}`);
    const summary = JSON.parse(readFileSync(join(dataDir, 'demo.json'), 'utf8')) as DemoSummary;
    const tokenRun = await run([CLI, 'staff:create', '--role', 'admin', '--username', 'demo-desk', '--json'], 'staff');
    const token = (JSON.parse(tokenRun.output.join('\n')) as { token: string }).token;
    writeFileSync(join(dataDir, 'demo-token'), `${token}\n`, { mode: 0o600 });

    print('2. Starting 7 virtual readers, the server, 2 virtual door controllers (separate processes)');
    for (const [name, port] of Object.entries(READER_PORTS)) {
      await run(
        [
          SIM_READER,
          '--tcp',
          `127.0.0.1:${port}`,
          '--control-port',
          String(port + 100),
          '--no-stdin',
          '--flash',
          join(dataDir, `reader-${name}.json`),
          '--seed',
          String(port),
        ],
        `reader ${name}`,
        /listening|control|ready/i,
      );
    }
    const server = spawn(process.execPath, [SERVER], { env, stdio: ['ignore', 'ignore', 'inherit'] });
    children.push(server);
    await waitFor(async () => (await fetch(`${base}/health`).catch(() => null))?.ok === true, 30_000, 'server /health');
    for (const [mqttId, port] of Object.entries(CONTROLLER_PORTS)) {
      const c = summary.controllers[mqttId];
      await new Promise<void>((res, rej) => {
        const child = spawn(
          process.execPath,
          [SIM_CONTROLLER, '--url', `mqtt://127.0.0.1:${mqttPort}`, '--id', mqttId, '--doors', '3', '--control-port', String(port), '--quiet'],
          {
            env: { ...env, ACS_CONTROLLER_PASSWORD: c.mqttPassword, ACS_CONTROLLER_SECRET: c.signingSecret },
            stdio: ['pipe', 'pipe', 'inherit'],
          },
        );
        children.push(child);
        createInterface({ input: child.stdout! }).on('line', (l) => /^ready/.test(l) && res());
        child.once('exit', (code) => rej(new Error(`controller ${mqttId} exited with ${code}`)));
      });
    }
    const api = async (method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }> => {
      const res = await fetch(`${base}${path}`, {
        method,
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, body: text ? (JSON.parse(text) as unknown) : null };
    };
    await waitFor(
      async () => {
        const r = await api('GET', '/monitor/readers');
        return (
          Array.isArray(r.body) &&
          (r.body as Array<{ readerState: string }>).length === 6 &&
          (r.body as Array<{ readerState: string }>).every((x) => x.readerState === 'ready')
        );
      },
      30_000,
      'door readers ready',
    );
    await waitFor(
      async () => {
        const r = await api('GET', '/monitor/doors');
        return Array.isArray(r.body) && (r.body as Array<{ controllerStatus: string }>).every((x) => x.controllerStatus === 'online');
      },
      30_000,
      'controllers online',
    );

    print(`3. Live stream: curl -N -H "Authorization: Bearer $(cat ${join(dataDir, 'demo-token')})" ${base}/monitor/events`);
    const names = new Map<string, string>();
    for (const [k, id] of Object.entries(summary.people)) names.set(id, PERSON_NAMES[k] ?? k);
    for (const [k, id] of Object.entries(summary.doors)) names.set(id, DOOR_NAMES[k] ?? k);
    const stream = await openStream(`${base}/monitor/events`, token, (e) => {
      const at = new Date(Number(e.at)).toISOString().slice(11, 19);
      const who = e.personId ? (names.get(String(e.personId)) ?? String(e.personId)) : 'unknown finger';
      const door = e.doorId ? (names.get(String(e.doorId)) ?? String(e.doorId)) : '-';
      if (e.type === 'attempt') print(`   ${at}  ${e.result === 'granted' ? 'GRANTED' : 'DENIED '}  ${who} at ${door} (${e.direction}): ${e.reason}`);
      else if (e.type === 'follow_up') print(`   ${at}  follow-up  ${who} at ${door}: ${e.reason}`);
      else if (e.type === 'alarm') print(`   ${at}  ALARM      ${e.kind} at ${door}`);
      else if (e.type === 'door') print(`   ${at}  door       ${door}: ${e.event}`);
    });

    print('4. Enrolling the demo fingers at the enrolment desk (4 captures each)');
    for (const person of ['alice', 'bob', 'carol']) {
      const started = await api('POST', '/enrolments', { personId: summary.people[person], finger: 1, readerId: summary.readers.desk });
      if (started.status !== 201) throw new Error(`enrolment of ${person} refused: ${JSON.stringify(started.body)}`);
      const id = (started.body as { id: string }).id;
      let placed = false;
      await waitFor(
        async () => {
          const view = (await api('GET', `/enrolments/${id}`)).body as { status: string; prompt: string | null };
          if (view.status !== 'running') {
            if (placed) await control(READER_PORTS.desk + 100, 'lift');
            if (view.status !== 'enrolled') throw new Error(`enrolment of ${person}: ${view.status}`);
            return true;
          }
          if (view.prompt === 'lift_finger' && placed) {
            await control(READER_PORTS.desk + 100, 'lift');
            placed = false;
          } else if ((view.prompt === 'place_finger' || view.prompt === 'place_again') && !placed) {
            await control(READER_PORTS.desk + 100, `place ${FINGERS[person]}`);
            placed = true;
          }
          return false;
        },
        60_000,
        `enrolment of ${person}`,
      );
      print(`   ${PERSON_NAMES[person]} enrolled`);
    }
    // For scene c: Bob's dock access moves to a schedule that is closed today.
    const today = ((new Date().getDay() + 6) % 7) + 1;
    const otherDays = [1, 2, 3, 4, 5, 6, 7].filter((d) => d !== today && d !== (today % 7) + 1);
    const schedule = (
      await api('POST', '/schedules', {
        name: 'Demo: not today',
        timeZone: 'Europe/Amsterdam',
        windows: otherDays.map((day) => ({ day, start: '00:00', end: '24:00' })),
      })
    ).body as { id: string };
    const level = (
      await api('POST', '/access-levels', {
        siteId: summary.siteId,
        name: 'Demo: dock, not today',
        zoneIds: [],
        doorIds: [summary.doors.dock],
        scheduleId: schedule.id,
      })
    ).body as { id: string };
    // Bob's office-hours grant for the dock makes way for one that is closed today.
    const grants = (await api('GET', `/customers/${summary.customers.acme}/grants`)).body as { items?: Array<{ id: string; personId: string | null }> };
    for (const g of grants.items ?? []) {
      if (g.personId === summary.people.bob) await api('DELETE', `/grants/${g.id}`);
    }
    await api('POST', '/grants', { accessLevelId: level.id, customerId: summary.customers.acme, personId: summary.people.bob });
    await waitFor(
      async () => {
        const r = (await api('GET', '/reader-libraries')).body as Array<{ pendingOps: number }>;
        return Array.isArray(r) && r.every((x) => x.pendingOps === 0);
      },
      60_000,
      'door reader libraries in step',
    );
    print('   door reader libraries in step');

    const badge = async (person: string, reader: string) => {
      await control(READER_PORTS[reader] + 100, `place ${FINGERS[person] ?? person}`);
      await sleep(700);
      await control(READER_PORTS[reader] + 100, 'lift');
      await sleep(400);
    };
    print('5. Scenario');
    print(' a) Alice badges in at the lobby and walks through');
    await badge('alice', 'lobby');
    await control(CONTROLLER_PORTS['demo-ctl-main'], 'open 1');
    await sleep(500);
    await control(CONTROLLER_PORTS['demo-ctl-main'], 'close 1');
    await sleep(400);

    print(' b) A visitor nobody enrolled tries the lobby reader');
    await badge('visitor-unknown-finger', 'lobby');

    print(' c) Bob tries the loading dock outside his schedule');
    await badge('bob', 'dock');

    print(' d) Someone forces the loading dock door open');
    await control(CONTROLLER_PORTS['demo-ctl-main'], 'open 2');
    await sleep(600);
    await control(CONTROLLER_PORTS['demo-ctl-main'], 'close 2');
    await sleep(300);

    print(" e) Globex's contract ends; Carol tries her suite a moment later");
    await api('PATCH', `/customers/${summary.customers.globex}`, { serviceEnd: new Date(Date.now() + 1500).toISOString() });
    await sleep(2000);
    await badge('carol', 'suiteB');

    const alarms = (await api('GET', '/alarms?state=open')).body as unknown[];
    print(`6. Open alarms for the desk: ${alarms.length} (GET /alarms?state=open; acknowledge with POST /alarms/{id}/acknowledge)`);
    stream.close();
    if (opts.stay) {
      print(
        `Everything keeps running: watch ${base}/monitor/events, place fingers with: printf 'place alice-right-index\\n' | nc 127.0.0.1 17201. Ctrl-C ends the demo.`,
      );
      await new Promise<void>((r) => process.once('SIGINT', () => r()));
    }
  } finally {
    await stopAll();
  }
}

async function waitFor(probe: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await probe().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** The desk's live stream: each event's JSON data, until closed (exported for its test). */
export async function openStream(url: string, token: string, onEvent: (e: Record<string, unknown>) => void): Promise<{ close(): void }> {
  const ac = new AbortController();
  const res = await fetch(url, { headers: { Authorization: `Bearer ${token}` }, signal: ac.signal });
  if (!res.ok || !res.body) throw new Error(`live stream refused: ${res.status}`);
  const body = res.body;
  void (async () => {
    try {
      for await (const { event, data } of readEventStream(body)) if (event !== 'keepalive') onEvent(JSON.parse(data) as Record<string, unknown>);
    } catch {
      // closed
    }
  })();
  return { close: () => ac.abort() };
}
