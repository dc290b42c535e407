import { afterEach, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { fuzzSettings } from '../../../../test/support/fuzz.js';
import { FakeClock } from '@acs/clock';
import { FakeTransport } from '@acs/fingerprint/testing';
import { decodePacket, type DecodedPacket } from '../packet.js';
import { ManualTimers, ScriptedLine, type ScriptedPd, type ScriptedPdOptions } from '../testing/index.js';
import { OsdpBus } from './bus.js';
import { OsdpCommandError, type OsdpBusEvents, type OsdpBusOptions, type PdOptions, type QueuedCommand } from './types.js';

const LED: QueuedCommand = {
  kind: 'LED',
  records: [
    {
      reader: 0,
      led: 0,
      temporary: { control: 0, onTime: 0, offTime: 0, onColour: 0, offColour: 0, timer: 0 },
      permanent: { control: 1, onTime: 1, offTime: 0, onColour: 2, offColour: 0 },
    },
  ],
};
const KEY_A = Buffer.alloc(16, 0xa1);
const KEY_B = Buffer.alloc(16, 0xb2);

type Recorded = { [K in keyof OsdpBusEvents]: { name: K; args: OsdpBusEvents[K][0]; at: number } }[keyof OsdpBusEvents];

interface Rig {
  bus: OsdpBus;
  clock: FakeClock;
  timers: ManualTimers;
  transport: FakeTransport;
  line: ScriptedLine;
  pd: Record<number, ScriptedPd>;
  events: Recorded[];
  /** Packets the bus wrote, decoded, with the fake time of the write. */
  wire: { packet: DecodedPacket; at: number }[];
  of<K extends keyof OsdpBusEvents>(name: K): OsdpBusEvents[K][0][];
}

let current: Rig | undefined;

afterEach(async () => {
  const rig = current;
  current = undefined;
  if (!rig) return;
  const closing = rig.bus.close();
  await rig.timers.advance(1000);
  await closing;
});

function rig(
  pds: { address: number; bus?: Omit<PdOptions, 'address'>; pd?: ScriptedPdOptions }[],
  keys: Record<number, Buffer> = {},
  options: Pick<OsdpBusOptions, 'pollIntervalMs'> = {},
): Rig {
  const clock = new FakeClock('2026-03-01T00:00:00Z');
  const timers = new ManualTimers(clock);
  const transport = new FakeTransport();
  const line = new ScriptedLine(transport);
  const pd: Record<number, ScriptedPd> = {};
  for (const p of pds) pd[p.address] = line.add(p.address, p.pd);
  const bus = new OsdpBus({
    transport,
    clock,
    timers,
    pds: pds.map((p) => ({ address: p.address, secure: 'off', ...p.bus })),
    keys: (address) => keys[address],
    random: (n) => Buffer.alloc(n, 0x11),
    ...options,
  });
  const events: Recorded[] = [];
  const names: (keyof OsdpBusEvents)[] = ['online', 'offline', 'secure', 'alarm', 'card', 'keypad', 'status', 'drop', 'transport'];
  const emitter = bus as unknown as { on(name: string, fn: (args: unknown) => void): void };
  for (const name of names) emitter.on(name, (args) => void events.push({ name, args, at: clock.nowMs() } as Recorded));
  const wire: Rig['wire'] = [];
  const respond = transport.respond;
  transport.respond = (bytes) => {
    const decoded = decodePacket(bytes.subarray(bytes.indexOf(0x53)));
    if (decoded.kind === 'ok') wire.push({ packet: decoded.packet, at: clock.nowMs() });
    respond?.(bytes);
  };
  const of = <K extends keyof OsdpBusEvents>(name: K): OsdpBusEvents[K][0][] => events.filter((e) => e.name === name).map((e) => e.args as OsdpBusEvents[K][0]);
  current = { bus, clock, timers, transport, line, pd, events, wire, of };
  bus.start();
  return current;
}

function sentTo(r: Rig, address: number): DecodedPacket[] {
  return r.wire.filter((w) => w.packet.address === address).map((w) => w.packet);
}

describe('OsdpBus polling', () => {
  it('brings each PD up with ID and CAP at SQN 0, 1, then polls them in turn with SQN 2, 3, 1, 2', async () => {
    const r = rig([{ address: 1 }, { address: 2 }]);
    await r.timers.advance(400);
    expect(r.of('online').map((e) => e.address)).toEqual([1, 2]);
    const one = sentTo(r, 1).slice(0, 6);
    expect(one.map((p) => p.code)).toEqual([0x61, 0x62, 0x60, 0x60, 0x60, 0x60]);
    expect(one.map((p) => p.sequence)).toEqual([0, 1, 2, 3, 1, 2]);
    // Round robin: the addresses alternate on the wire.
    expect(r.wire.slice(0, 8).map((w) => w.packet.address)).toEqual([1, 2, 1, 2, 1, 2, 1, 2]);
  });

  it('keeps one command on the wire at a time, and a PD’s queued commands go one per turn', async () => {
    const r = rig([{ address: 1 }, { address: 2 }]);
    let outstanding = 0;
    let most = 0;
    const respond = r.transport.respond;
    r.transport.respond = (bytes) => {
      outstanding++;
      most = Math.max(most, outstanding);
      respond?.(bytes);
    };
    r.transport.on('data', () => (outstanding = 0));
    await r.timers.advance(200);
    const results = Promise.all([r.bus.send(1, LED), r.bus.send(1, LED), r.bus.send(1, LED)]);
    await r.timers.advance(300);
    await expect(results).resolves.toEqual([{ kind: 'ACK' }, { kind: 'ACK' }, { kind: 'ACK' }]);
    expect(most).toBe(1);
    const order = r.wire.filter((w) => w.packet.code === 0x69 || w.packet.address === 2).map((w) => `${w.packet.address}:${w.packet.code.toString(16)}`);
    const firstLed = order.indexOf('1:69');
    // PD 2 is polled between PD 1's commands: one outstanding command per PD, the others keep their turn.
    expect(order.slice(firstLed, firstLed + 5)).toEqual(['1:69', '2:60', '1:69', '2:60', '1:69']);
  });

  it('resends a command whose reply was lost after 200 ms with the same SQN and bytes, and the PD repeats its reply', async () => {
    const r = rig([{ address: 1 }]);
    await r.timers.advance(300);
    r.pd[1].loseReplies = 1;
    const before = r.wire.length;
    const led = r.bus.send(1, LED);
    await r.timers.advance(600);
    await expect(led).resolves.toEqual({ kind: 'ACK' });
    const leds = r.wire.slice(before).filter((w) => w.packet.code === 0x69);
    expect(leds).toHaveLength(2);
    expect(leds[1].packet.raw.equals(leds[0].packet.raw)).toBe(true);
    expect(leds[1].at - leds[0].at).toBe(200);
    expect(r.of('offline')).toEqual([]);
  });

  it('fails a command with "timeout" after the retries and restarts the PD at SQN 0', async () => {
    const r = rig([{ address: 1 }]);
    await r.timers.advance(300);
    r.pd[1].loseReplies = 3;
    const before = r.wire.length;
    const led = r.bus.send(1, LED);
    const outcome = led.catch((e: unknown) => e);
    await r.timers.advance(800);
    expect(await outcome).toMatchObject({ name: 'OsdpCommandError', code: 'timeout', address: 1 });
    const after = r.wire.slice(before).map((w) => w.packet);
    expect(after.filter((p) => p.code === 0x69)).toHaveLength(3);
    const next = after.find((p) => p.code !== 0x69);
    expect(next).toMatchObject({ code: 0x61, sequence: 0 });
  });

  it('declares a silent PD offline 8 s after its last valid reply, and online again (from SQN 0) when it answers', async () => {
    const r = rig([{ address: 1 }, { address: 2 }]);
    await r.timers.advance(300);
    r.pd[2].silent = true;
    const lastReply = r.clock.nowMs();
    await r.timers.until(() => r.of('offline').length > 0, 10_000);
    const offline = r.events.find((e) => e.name === 'offline');
    expect(offline?.args).toEqual({ address: 2, reason: 'no-reply' });
    // Detected on the first failed exchange at or after 8 s (an exchange takes at most 3 × 200 ms).
    expect(offline!.at - lastReply).toBeGreaterThanOrEqual(8000);
    expect(offline!.at - lastReply).toBeLessThan(8000 + 700);
    expect(r.of('offline').map((e) => e.address)).toEqual([2]);
    await expect(r.bus.send(2, LED)).rejects.toMatchObject({ code: 'offline' });

    r.pd[2].silent = false;
    const mark = r.wire.length;
    await r.timers.until(() => r.of('online').filter((e) => e.address === 2).length === 2, 2000);
    const resumed = r.wire.slice(mark).find((w) => w.packet.address === 2 && r.pd[2].received.length > 0);
    expect(resumed?.packet.sequence).toBe(0);
    expect(r.of('offline').map((e) => e.address)).toEqual([2]);
  });

  it('sends the same packet again after osdp_BUSY, later, while the other PDs keep their turn', async () => {
    const r = rig([{ address: 1 }, { address: 2 }]);
    await r.timers.advance(300);
    r.pd[1].busy = 1;
    const before = r.wire.length;
    const led = r.bus.send(1, LED);
    await r.timers.advance(1200);
    await expect(led).resolves.toEqual({ kind: 'ACK' });
    const later = r.wire.slice(before);
    const leds = later.filter((w) => w.packet.code === 0x69);
    expect(leds).toHaveLength(2);
    expect(leds[1].packet.raw.equals(leds[0].packet.raw)).toBe(true);
    expect(leds[1].at - leds[0].at).toBeGreaterThanOrEqual(800);
    const between = later.filter((w) => w.at > leds[0].at && w.at < leds[1].at);
    expect(between.every((w) => w.packet.address === 2)).toBe(true);
    expect(between.length).toBeGreaterThan(3);
  });

  it('waits at least pollIntervalMs (default 50 ms) from the start of a round to the next, and not at all with 0', async () => {
    const pollGaps = (r: Rig): number[] => {
      const polls = r.wire.filter((w) => w.packet.address === 1 && w.packet.code === 0x60);
      return polls.slice(1).map((w, i) => w.at - polls[i].at);
    };
    const paced = rig([{ address: 1 }, { address: 2 }]);
    await paced.timers.advance(400);
    expect(pollGaps(paced).length).toBeGreaterThan(3);
    expect(pollGaps(paced).every((gap) => gap >= 50)).toBe(true);
    await paced.bus.close();

    const r = rig([{ address: 1 }, { address: 2 }], {}, { pollIntervalMs: 0 });
    await r.timers.advance(0);
    await r.timers.advance(0);
    // The scripted PDs answer without fake time passing, so back-to-back rounds all happen at t = 0.
    expect(pollGaps(r).length).toBeGreaterThan(3);
    expect(pollGaps(r).every((gap) => gap === 0)).toBe(true);
    expect(() => new OsdpBus({ transport: r.transport, clock: r.clock, pds: [{ address: 1 }], pollIntervalMs: -1 })).toThrow(RangeError);
  });

  it('with pollIntervalMs 0, sleeps until a packet held after osdp_BUSY is due instead of spinning', async () => {
    const r = rig([{ address: 1 }], {}, { pollIntervalMs: 0 });
    await r.timers.advance(10);
    r.pd[1].busy = 1;
    const led = r.bus.send(1, LED);
    // Without the sleep the loop would spin on resolved promises and this advance would never return.
    await r.timers.advance(1000);
    await expect(led).resolves.toEqual({ kind: 'ACK' });
    const leds = r.wire.filter((w) => w.packet.code === 0x69);
    expect(leds).toHaveLength(2);
    expect(leds[1].at - leds[0].at).toBe(800);
    expect(r.wire.filter((w) => w.at > leds[0].at && w.at < leds[1].at)).toEqual([]);
  });

  it('rejects a command the PD NAKs with its reason, and restarts the PD at SQN 0 on NAK 4', async () => {
    const r = rig([{ address: 1 }]);
    await r.timers.advance(300);
    r.pd[1].nakNext = 3;
    const led = r.bus.send(1, LED).catch((e: unknown) => e);
    await r.timers.advance(100);
    const error = (await led) as OsdpCommandError;
    expect(error).toBeInstanceOf(OsdpCommandError);
    expect(error).toMatchObject({ code: 'nak', nak: 3 });
    expect(error.message).toBe('OSDP PD 1: LED failed: nak (NAK 3)');

    r.pd[1].nakNext = 4;
    const before = r.wire.length;
    const again = r.bus.send(1, LED);
    await r.timers.advance(200);
    await expect(again).resolves.toEqual({ kind: 'ACK' });
    const after = r.wire.slice(before).map((w) => `${w.packet.code.toString(16)}@${w.packet.sequence}`);
    // NAK 4: start over (ID at SQN 0, CAP), then the LED again.
    expect(after.slice(0, 4)).toEqual([expect.stringMatching(/^69@/), '61@0', '62@1', '69@2']);
  });

  it('reads replies through garbage on the line and counts what it dropped', async () => {
    const r = rig([{ address: 1 }]);
    await r.timers.advance(200);
    for (let i = 0; i < 5; i++) {
      r.line.garbageBeforeReply = Buffer.from([0x00, 0x53, 0x99, 0x01, 0x02, 0xfe]);
      await r.timers.advance(60);
    }
    r.pd[1].tamper = true;
    r.line.garbageBeforeReply = Buffer.from([0x53, 0x01, 0x40, 0x00, 0x07]);
    const status = r.bus.send(1, { kind: 'LSTAT' });
    await r.timers.advance(100);
    await expect(status).resolves.toEqual({ kind: 'LSTATR', tamper: 1, power: 0 });
    expect(r.of('offline')).toEqual([]);
    const drops = r.bus.drops();
    expect((drops.malformed ?? 0) + (drops['bad-checksum'] ?? 0) + (drops.truncated ?? 0)).toBeGreaterThanOrEqual(5);
    expect(r.of('status')).toEqual([{ address: 1, tamper: true, powerFailure: false }]);
    expect(r.of('alarm')).toEqual([{ address: 1, class: 'tamper', source: 'local-status', reason: 'tamper switch' }]);
  });

  it('reopens a transport that closed, with backoff, and recovers the PD', async () => {
    const r = rig([{ address: 1 }]);
    await r.timers.advance(200);
    r.transport.drop();
    await r.timers.advance(1000);
    expect(r.of('transport').map((e) => e.state)).toEqual(['open', 'closed', 'open']);
    expect(r.of('offline')).toEqual([]);
    const after = r.wire.filter((w) => w.at > 200).map((w) => w.packet);
    expect(after.length).toBeGreaterThan(3);
  });
});

describe('OsdpBus queue', () => {
  it('refuses a command that cannot be encoded at once, and fails the one on the wire with "closed" on close', async () => {
    const r = rig([{ address: 1 }]);
    await r.timers.advance(200);
    const tooLong: QueuedCommand = { kind: 'TEXT', reader: 0, command: 1, temporarySeconds: 0, row: 0, column: 0, text: Buffer.alloc(300, 0x41) };
    await expect(r.bus.send(1, tooLong)).rejects.toThrow(/TEXT|text|255|length/);
    r.pd[1].silent = true;
    const led = r.bus.send(1, LED).catch((e: unknown) => e);
    await r.timers.advance(100);
    const closing = r.bus.close();
    await r.timers.advance(100);
    await closing;
    current = undefined;
    expect(await led).toMatchObject({ code: 'closed' });
  });

  it('keeps polling the other PDs when the key provider throws for one', async () => {
    const clock = new FakeClock();
    const timers = new ManualTimers(clock);
    const transport = new FakeTransport();
    const line = new ScriptedLine(transport);
    line.add(1, { installMode: true });
    line.add(2);
    const bus = new OsdpBus({
      transport,
      clock,
      timers,
      pds: [
        { address: 1, secure: 'required' },
        { address: 2, secure: 'off' },
      ],
      keys: () => {
        throw new Error('key store unavailable');
      },
    });
    const online: number[] = [];
    bus.on('online', (e) => online.push(e.address));
    bus.start();
    await timers.advance(500);
    expect(online).toEqual([1, 2]);
    expect(bus.drops()['internal-error']).toBeGreaterThan(1);
    const led = bus.send(2, LED);
    await timers.advance(200);
    await expect(led).resolves.toEqual({ kind: 'ACK' });
    const closing = bus.close();
    await timers.advance(500);
    await closing;
  });
});

describe('OsdpBus events', () => {
  it('delivers card reads and keypad input (0x7F is *, 0x0D is #) from a poll', async () => {
    const r = rig([{ address: 1 }]);
    await r.timers.advance(200);
    r.pd[1].presentCard(Buffer.from([0x02, 0x46, 0x8a, 0xc0]), 26);
    r.pd[1].typeKeys(Buffer.from([0x31, 0x32, 0x7f, 0x0d]));
    await r.timers.advance(200);
    expect(r.of('card')).toEqual([{ address: 1, reader: 0, format: 1, bitCount: 26, data: Buffer.from([0x02, 0x46, 0x8a, 0xc0]), security: 'plain' }]);
    expect(r.of('keypad')).toEqual([{ address: 1, reader: 0, keys: '12*#', security: 'plain' }]);
  });
});

describe('OsdpBus secure channel', () => {
  it('opens the channel with SCBK-D in install mode, MACs every command, KEYSETs a new key and sets up again with it', async () => {
    const r = rig([{ address: 1, bus: { secure: 'if-capable', installMode: true }, pd: { installMode: true } }]);
    await r.timers.advance(300);
    expect(r.of('secure')).toEqual([{ address: 1, state: 'established', keyMode: 'scbk-d' }]);
    const polls = sentTo(r, 1).filter((p) => p.code === 0x60);
    expect(polls.length).toBeGreaterThan(2);
    expect(polls.every((p) => p.security?.type === 0x15 && p.mac?.length === 4)).toBe(true);

    const before = r.wire.length;
    await r.timers.advance(0);
    const keyset = r.bus.setKey(1, KEY_A);
    await r.timers.advance(300);
    await expect(keyset).resolves.toEqual({ kind: 'ACK' });
    const after = r.wire.slice(before).map((w) => w.packet);
    expect(after.find((p) => p.code === 0x75)?.security?.type).toBe(0x17);
    const chlng = after.find((p) => p.code === 0x76);
    expect(chlng?.security).toEqual({ type: 0x11, data: Buffer.from([0x01]) });
    expect(r.pd[1].scbk).toEqual(KEY_A);
    expect(r.of('secure').slice(1)).toEqual([
      { address: 1, state: 'lost', reason: 'new key' },
      { address: 1, state: 'established', keyMode: 'scbk' },
    ]);
    r.pd[1].presentCard(Buffer.from([0xde, 0xad]), 16);
    await r.timers.advance(100);
    expect(r.of('card')).toEqual([{ address: 1, reader: 0, format: 1, bitCount: 16, data: Buffer.from([0xde, 0xad]), security: 'scbk' }]);
    expect(r.pd[1].secure).toBe(true);
  });

  it('refuses a PD holding another key: tamper alarm, no card reads, no commands', async () => {
    const r = rig(
      [
        { address: 1, bus: { secure: 'required' }, pd: { scbk: KEY_B } },
        { address: 2, bus: { secure: 'required' }, pd: { scbk: KEY_A } },
      ],
      {
        1: KEY_A,
        2: KEY_A,
      },
    );
    await r.timers.advance(300);
    expect(r.of('secure')).toEqual(
      expect.arrayContaining([
        { address: 1, state: 'failed', keyMode: 'scbk', reason: 'cryptogram_mismatch' },
        { address: 2, state: 'established', keyMode: 'scbk' },
      ]),
    );
    expect(r.of('alarm')).toEqual([{ address: 1, class: 'tamper', source: 'secure-channel', reason: 'cryptogram_mismatch' }]);
    r.pd[1].presentCard(Buffer.from([0x12, 0x34]), 16);
    r.pd[2].presentCard(Buffer.from([0x56, 0x78]), 16);
    await r.timers.advance(200);
    expect(r.of('card').map((c) => c.address)).toEqual([2]);
    expect(r.bus.drops()['untrusted-card']).toBe(1);
    await expect(r.bus.send(1, LED)).rejects.toMatchObject({ code: 'untrusted' });
    expect(r.bus.status()).toEqual([
      { address: 1, online: true, phase: 'ready', secure: 'plain', trusted: false },
      { address: 2, online: true, phase: 'ready', secure: 'scbk', trusted: true },
    ]);
  });

  it('treats a PD refusing SCBK-D (not in install mode) as a failed set-up', async () => {
    const r = rig([{ address: 1, bus: { secure: 'if-capable', installMode: true }, pd: { scbk: KEY_B } }]);
    await r.timers.advance(300);
    expect(r.of('secure')).toEqual([{ address: 1, state: 'failed', keyMode: 'scbk-d', reason: 'challenge_refused', nak: 6 }]);
    expect(r.of('alarm')).toHaveLength(1);
  });

  it('ends the channel on a reply with a bad MAC and sets it up again from SQN 0, without an alarm', async () => {
    const r = rig([{ address: 1, bus: { secure: 'required' }, pd: { scbk: KEY_A } }], { 1: KEY_A });
    await r.timers.advance(300);
    expect(r.of('secure')).toEqual([{ address: 1, state: 'established', keyMode: 'scbk' }]);
    r.pd[1].corruptMac = true;
    const before = r.wire.length;
    await r.timers.advance(300);
    expect(r.bus.drops()['bad-mac']).toBe(1);
    expect(r.of('secure')).toEqual([
      { address: 1, state: 'established', keyMode: 'scbk' },
      { address: 1, state: 'lost', reason: 'bad or missing MAC' },
      { address: 1, state: 'established', keyMode: 'scbk' },
    ]);
    const restart = r.wire.slice(before).find((w) => w.packet.sequence === 0);
    expect(restart?.packet.code).toBe(0x61);
    expect(r.of('alarm')).toEqual([]);
  });

  it('refuses KEYSET without a secure channel', async () => {
    const r = rig([{ address: 1 }]);
    await r.timers.advance(200);
    const keyset = r.bus.setKey(1, KEY_A).catch((e: unknown) => e);
    await r.timers.advance(100);
    expect(await keyset).toMatchObject({ code: 'not-secure' });
    expect(r.pd[1].received.some((c) => c.code === 0x75)).toBe(false);
  });
});

describe('OsdpBus close', () => {
  it('returns at once when closed while a transport open is under way, instead of waiting out the reconnect backoff', async () => {
    const clock = new FakeClock('2026-03-01T00:00:00Z');
    const timers = new ManualTimers(clock);
    const transport = new FakeTransport();
    let failOpen!: (err: Error) => void;
    transport.open = () => new Promise<void>((_resolve, reject) => (failOpen = reject));
    const bus = new OsdpBus({ transport, clock, timers, pds: [{ address: 1, secure: 'off' }], reconnect: { initialDelayMs: 10_000 } });
    bus.start();
    await Promise.resolve();
    const closing = bus.close();
    failOpen(new Error('no such device'));
    // No timer is ever advanced: with the backoff started after close, this would never settle.
    await expect(Promise.race([closing.then(() => 'closed'), new Promise((r) => setTimeout(() => r('stuck'), 500))])).resolves.toBe('closed');
  });
});

describe('OsdpBus through noise (fast-check, seeded: test/support/fuzz.ts)', () => {
  // Random bytes, stray SOMs and fake headers between the replies of three secure PDs (the e2e's
  // "garbage on the bus", here on the fake clock so every seed replays): each PD must stay online
  // and trusted, and a card presented afterwards must be read within a few poll rounds.
  const settings = fuzzSettings();
  const chunk = fc.oneof(
    fc.uint8Array({ maxLength: 200 }),
    fc.array(fc.constantFrom(0x53, 0xff, 0x00, 0x01, 0x02, 0x80, 0x81, 0x82, 0x83, 0x20, 0x04), { maxLength: 12 }).map((b) => Uint8Array.from(b)),
    fc
      .tuple(fc.integer({ min: 0, max: 0xff }), fc.integer({ min: 0, max: 0xffff }))
      .map(([addr, len]) => Uint8Array.from([0x53, addr, len & 0xff, len >> 8, 0x04])),
  );

  it(
    'keeps every PD online and trusted and reads the next card',
    async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(chunk, { minLength: 1, maxLength: 6 }), fc.constantFrom(1, 2, 3), async (noise, reader) => {
          const r = rig(
            [1, 2, 3].map((address) => ({ address, bus: { secure: 'required' as const }, pd: { scbk: KEY_A } })),
            { 1: KEY_A, 2: KEY_A, 3: KEY_A },
            { pollIntervalMs: 30 },
          );
          try {
            await r.timers.advance(600);
            expect(r.bus.status().every((s) => s.online && s.trusted)).toBe(true);
            for (const bytes of noise) {
              r.line.garbageBeforeReply = Buffer.from(bytes);
              await r.timers.advance(30);
            }
            await r.timers.advance(300);
            r.pd[reader].presentCard(Buffer.from([0x02, 0x46, 0x8a, 0xc0]), 26);
            await r.timers.advance(3000);
            expect(r.of('card').map((c) => c.address)).toEqual([reader]);
            expect(r.of('offline')).toEqual([]);
            expect(r.bus.status()).toEqual([1, 2, 3].map((address) => expect.objectContaining({ address, online: true, trusted: true })));
          } finally {
            current = undefined;
            const closing = r.bus.close();
            await r.timers.advance(1000);
            await closing;
          }
        }),
        { seed: settings.seed, numRuns: 60 * settings.factor },
      );
    },
    30_000 * settings.factor,
  );
});
