/**
 * Finger placed → signed unlock received by the door controller (issue 24), through everything a
 * real door has on the way: the identification loop's poll period, a paced virtual R503 at
 * 57,600 baud with the datasheet's module times (image capture 200 ms, extraction 500 ms, search
 * 10 ms per stored template: docs/r503-protocol.md §Timing) and a full library of 200 templates,
 * the driver with its production deadlines over a TCP device server, the Search hit mapped to a
 * person, the decision, the access event made durable, the unlock signed and sent at QoS 1, and
 * the virtual controller verifying it (finger-rig.ts builds the site).
 *
 * A finger is placed at a random moment (uniform over two poll periods after the loop has seen the
 * previous finger lifted, so its phase against the polls is random) and each sample runs from
 * `place()` to the unlock arriving at that door's controller. Runs: 1 reader alone; 50 readers
 * (5 controllers × 10 doors) each badging in its own random rhythm, all at once.
 *
 * Floor, measured in the same run (issue 24): the wire time of one identifying poll (GenImg,
 * Img2Tz and Search with their acknowledges, 82 bytes at 57,600 baud) + the module times of
 * GenImg, Img2Tz and Search over 200 templates + a bare QoS 1 round trip through the same broker
 * (mqtt-floor.ts) + one durable commit (commit-floor.ts). p50 against the floor from p50s, p99
 * against the floor from p99s. Targets: p99 ≤ 1.25× the floor alone, ≤ 1.5× with 50 readers.
 *
 * Also reported: what idle polling costs (bytes on the line per reader and second, share of the
 * 57,600 baud line, event-loop utilisation of the process with 50 readers idle), and where the
 * time above the floor goes (waiting for the poll, the loop and driver, the server, MQTT).
 */
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { encodeCommand, encodePacket, Pid, R503 } from '@acs/fingerprint';
import { idlePollCost, DEFAULT_READER_BAUD, lineMs } from '@acs/badge-in';
import { identificationModuleMs, R503_TIMING } from '../../hardware/virtual-reader/src/index.js';
import { bareRoundTrips } from './mqtt-floor.js';
import { durableCommits } from './commit-floor.js';
import { buildFingerRig, LIBRARY, type FingerDoor, type FingerRig } from './finger-rig.js';
import { type Benchmark, type Figure, summarise } from './harness.js';

const SERVER_PASSWORD = randomUUID();
const ADDR = 0xffffffff;
const ack = (resultBytes: number) => encodePacket({ address: ADDR, pid: Pid.Ack, content: Buffer.alloc(1 + resultBytes) }).length;
/** GenImg, Img2Tz and Search as the loop sends them, with their acknowledges (Search answers page id and score). */
const IDENTIFY_BYTES =
  encodeCommand(R503, ADDR, 'GenImg').length +
  ack(0) +
  encodeCommand(R503, ADDR, 'Img2Tz', 1).length +
  ack(0) +
  encodeCommand(R503, ADDR, 'Search', 1, Buffer.from([0, 0]), Buffer.from([0, LIBRARY])).length +
  ack(4);
const GEN_IMG = 0x01;

interface Sample {
  /** place() → unlock at the controller. */
  ms: number;
  /** place() → the GenImg that saw the finger reached the module. */
  detectMs: number;
  /** That GenImg → the Search reply parsed by the driver (module and wire time, the reader lock). */
  readerMs: number;
  /** Search reply → unlock published (slot owner, decision, durable commit, signing). */
  serverMs: number;
  /** Published → at the controller. */
  mqttMs: number;
}

/** Unlock arrivals and unlock-sent events, by door. */
function watch(rig: FingerRig) {
  const arrivals = new Map<string, (at: number) => void>();
  const sent = new Map<string, (e: { searchAt: number; sentAt: number }) => void>();
  for (const c of rig.controllers) {
    c.on('command', (cmd: { cmd: string; door?: number }) => {
      if (cmd.cmd !== 'unlock') return;
      const at = performance.now();
      const key = `${c.controllerId}:${cmd.door}`;
      arrivals.get(key)?.(at);
      arrivals.delete(key);
    });
  }
  rig.service.on('unlock-sent', (e) => {
    sent.get(e.doorId)?.(e);
    sent.delete(e.doorId);
  });
  return {
    arrival: (key: string) => new Promise<number>((resolve) => arrivals.set(key, resolve)),
    sent: (doorId: string) => new Promise<{ searchAt: number; sentAt: number }>((resolve) => sent.set(doorId, resolve)),
  };
}

/** Resolves when the module has received `n` more GenImg commands. */
function genImgs(device: FingerDoor['device'], n: number): Promise<number> {
  return new Promise((resolve) => {
    let seen = 0;
    const on = (op: number) => {
      if (op !== GEN_IMG || ++seen < n) return;
      device.off('command', on);
      resolve(performance.now());
    };
    device.on('command', on);
  });
}

async function badgeOnce(rig: FingerRig, w: ReturnType<typeof watch>, door: FingerDoor, periodMs: number): Promise<Sample> {
  await sleep(Math.random() * 2 * periodMs);
  const finger = rig.fingers[Math.floor(Math.random() * rig.fingers.length)];
  const arrived = w.arrival(door.key);
  const sent = w.sent(door.doorId);
  const detected = genImgs(door.device, 1);
  const t0 = performance.now();
  door.device.place(finger);
  const timeout = sleep(15_000).then(() => {
    throw new Error(`no unlock within 15 s of a finger on reader ${door.readerId}`);
  });
  const [at, s, seenAt] = await Promise.race([Promise.all([arrived, sent, detected]), timeout]);
  // Lift, and wait until the loop has looked at the empty sensor twice, so the next finger is a new badge-in.
  const looked = genImgs(door.device, 2);
  door.device.lift();
  await looked;
  return { ms: at - t0, detectMs: seenAt - t0, readerMs: s.searchAt - seenAt, serverMs: s.sentAt - s.searchAt, mqttMs: at - s.sentAt };
}

const fixed = (n: number): string => n.toFixed(1);

function breakdown(label: string, samples: Sample[], log: (m: string) => void): void {
  const part = (k: keyof Sample) => {
    const s = summarise(samples.map((x) => x[k]));
    return `${fixed(s.p50)}/${fixed(s.p99)}`;
  };
  log(
    `${label} p50/p99 ms: total ${part('ms')}; waiting for the poll ${part('detectMs')}; ` +
      `GenImg seen → Search reply ${part('readerMs')}; → unlock published ${part('serverMs')}; → at the controller ${part('mqttMs')}`,
  );
}

interface Floor {
  p50: number;
  p99: number;
  parts: string;
}

async function floorOf(rig: FingerRig, quick: boolean): Promise<Floor> {
  const bare = summarise(await bareRoundTrips(rig.t, SERVER_PASSWORD, rig.echo, quick ? 200 : 1000));
  const commit = summarise(durableCommits(rig.t.dir, quick ? 100 : 300));
  const wire = lineMs(IDENTIFY_BYTES, DEFAULT_READER_BAUD);
  const module = identificationModuleMs(R503_TIMING, LIBRARY);
  return {
    p50: wire + module + bare.p50 + commit.p50,
    p99: wire + module + bare.p99 + commit.p99,
    parts:
      `wire ${fixed(wire)} ms (${IDENTIFY_BYTES} bytes) + module ${module} ms + bare QoS 1 p50/p99 ${bare.p50.toFixed(2)}/${bare.p99.toFixed(2)} ms` +
      ` + durable commit p50/p99 ${commit.p50.toFixed(2)}/${commit.p99.toFixed(2)} ms`,
  };
}

/** What idle polling costs: bytes each module saw over `ms`, and the process's event-loop utilisation meanwhile. */
async function idleCost(rig: FingerRig, ms: number) {
  const before = rig.doors.map((d) => d.device.lineBytes());
  const elu0 = performance.eventLoopUtilization();
  await sleep(ms);
  const elu = performance.eventLoopUtilization(elu0).utilization;
  const bytes = rig.doors.reduce((sum, d, i) => {
    const now = d.device.lineBytes();
    return sum + now.received - before[i].received + now.sent - before[i].sent;
  }, 0);
  const perReader = (bytes / rig.doors.length / ms) * 1000;
  return { bytesPerSecond: perReader, lineShare: (perReader * 10) / DEFAULT_READER_BAUD, elu };
}

const bench: Benchmark = {
  name: 'finger placed -> signed unlock at the controller (paced virtual R503s with module times, 200-template library)',
  deadlineMs: { full: 15 * 60_000, quick: 6 * 60_000 },
  async run(ctx) {
    const figures: Figure[] = [];
    const alone = ctx.quick ? 12 : 60;
    const rounds = ctx.quick ? 1 : 4;

    // ---- 1 reader
    let rig = await buildFingerRig(1, SERVER_PASSWORD);
    let period = rig.service.pollPeriodMs;
    try {
      const w = watch(rig);
      const door = rig.doors[0];
      const expected = idlePollCost(period, DEFAULT_READER_BAUD);
      const idle = await idleCost(rig, ctx.quick ? 2000 : 5000);
      ctx.log(
        `poll period ${period} ms: idle polling ${fixed(idle.bytesPerSecond)} B/s per reader, ${(idle.lineShare * 100).toFixed(1)} % of the ` +
          `${DEFAULT_READER_BAUD} baud line (expected ${fixed(expected.bytesPerSecond)} B/s, ${(expected.lineShare * 100).toFixed(1)} %)`,
      );
      figures.push({
        name: `idle polling, line share per reader (${period} ms period)`,
        value: idle.lineShare * 100,
        unit: '%',
        baseline: expected.lineShare * 100,
        better: 'lower',
      });
      for (let i = 0; i < 2; i++) await badgeOnce(rig, w, door, period);
      const samples: Sample[] = [];
      for (let i = 0; i < alone; i++) samples.push(await badgeOnce(rig, w, door, period));
      const floor = await floorOf(rig, ctx.quick);
      ctx.log(`1 reader floor: ${floor.parts}`);
      breakdown('1 reader', samples, ctx.log);
      const s = summarise(samples.map((x) => x.ms));
      figures.push(
        { name: 'finger → unlock p50 (1 reader)', value: s.p50, unit: 'ms', baseline: floor.p50, better: 'lower' },
        { name: 'finger → unlock p99 (1 reader)', value: s.p99, unit: 'ms', baseline: floor.p99, better: 'lower', target: 1.25 },
        { name: 'finger → unlock p99 above its floor (1 reader)', value: s.p99 - floor.p99, unit: 'ms' },
      );
    } finally {
      await rig.close();
    }

    // ---- 50 readers at once
    rig = await buildFingerRig(50, SERVER_PASSWORD);
    period = rig.service.pollPeriodMs;
    try {
      const w = watch(rig);
      const idle = await idleCost(rig, ctx.quick ? 2000 : 5000);
      ctx.log(
        `50 readers idle: ${fixed(idle.bytesPerSecond)} B/s per reader (${(idle.lineShare * 100).toFixed(1)} % of each line); ` +
          `event-loop utilisation ${(idle.elu * 100).toFixed(1)} % (server, 50 virtual modules and their pacing together)`,
      );
      figures.push({ name: 'event-loop utilisation, 50 readers polling idle (server + virtual modules)', value: idle.elu * 100, unit: '%' });
      await Promise.all(rig.doors.map((d) => badgeOnce(rig, w, d, period)));
      const lag = monitorEventLoopDelay({ resolution: 10 });
      lag.enable();
      const elu0 = performance.eventLoopUtilization();
      const samples: Sample[] = [];
      await Promise.all(
        rig.doors.map(async (d) => {
          for (let i = 0; i < rounds; i++) samples.push(await badgeOnce(rig, w, d, period));
        }),
      );
      lag.disable();
      const elu = performance.eventLoopUtilization(elu0).utilization;
      ctx.log(
        `50 readers badging: event-loop delay p50/p99/max ${fixed(lag.percentile(50) / 1e6)}/${fixed(lag.percentile(99) / 1e6)}/${fixed(lag.max / 1e6)} ms, ` +
          `utilisation ${(elu * 100).toFixed(1)} %`,
      );
      const floor = await floorOf(rig, ctx.quick);
      ctx.log(`50 readers floor: ${floor.parts}`);
      breakdown('50 readers', samples, ctx.log);
      const s = summarise(samples.map((x) => x.ms));
      figures.push(
        { name: `finger → unlock p50 (50 readers, ${s.n})`, value: s.p50, unit: 'ms', baseline: floor.p50, better: 'lower' },
        { name: `finger → unlock p99 (50 readers, ${s.n})`, value: s.p99, unit: 'ms', baseline: floor.p99, better: 'lower', target: 1.5 },
        { name: 'finger → unlock p99 above its floor (50 readers)', value: s.p99 - floor.p99, unit: 'ms' },
      );
    } finally {
      await rig.close();
    }
    return figures;
  },
};

export default bench;
