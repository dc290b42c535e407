import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { SystemClock } from '@acs/clock';
import { OsdpBus, type OsdpBusEvents, type OsdpBusOptions, type PdOptions } from '@acs/osdp';
import { findLibosdpToolchain, LibosdpPeer, type LibosdpToolchain } from './support/libosdp-peer.js';

/*
 * libs/osdp's bus (the ACU) against libosdp PDs (github.com/goToMain/libosdp, driven by
 * test/osdp/libosdp-pd/pd-harness.c) over a socat pty and the serialport binding, in real time:
 * two PDs on one line, plain polling, the secure channel from install mode (SCBK-D) to a random
 * per-PD SCBK set with osdp_KEYSET, card and keypad events under it, a PD holding another key,
 * and the PDs dying mid-poll and coming back. OSDP v2.2 (IEC 60839-11-5) §5–7, Annex D.
 */

const found = findLibosdpToolchain();
if (typeof found === 'string') {
  console.warn(`bus-libosdp.e2e: SKIPPED, the libosdp interoperability peer cannot run: ${found}`);
}
const describeWithLibosdp = typeof found === 'string' ? describe.skip : describe;
const toolchain = found as LibosdpToolchain;
const BAUD = 115200;

type EventName = keyof OsdpBusEvents;
type Payload<K extends EventName> = OsdpBusEvents[K][0];

/** Every event the bus emitted, and waits on past or future ones (each event satisfies one wait). */
class Recorder {
  private readonly seen: { name: EventName; args: unknown; claimed: boolean }[] = [];
  private waiters: { name: EventName; test: (args: unknown) => boolean; resolve: (args: unknown) => void }[] = [];

  constructor(bus: OsdpBus) {
    const emitter = bus as unknown as { on(name: string, fn: (args: unknown) => void): void };
    for (const name of ['online', 'offline', 'secure', 'alarm', 'card', 'keypad', 'status', 'transport'] as EventName[]) {
      emitter.on(name, (args) => this.record(name, args));
    }
  }

  all<K extends EventName>(name: K): Payload<K>[] {
    return this.seen.filter((e) => e.name === name).map((e) => e.args as Payload<K>);
  }

  private record(name: EventName, args: unknown): void {
    const waiter = this.waiters.find((w) => w.name === name && w.test(args));
    this.seen.push({ name, args, claimed: waiter !== undefined });
    if (!waiter) return;
    this.waiters = this.waiters.filter((w) => w !== waiter);
    waiter.resolve(args);
  }

  wait<K extends EventName>(name: K, test: (args: Payload<K>) => boolean = () => true, timeoutMs = 5000): Promise<Payload<K>> {
    const past = this.seen.find((e) => !e.claimed && e.name === name && test(e.args as Payload<K>));
    if (past) {
      past.claimed = true;
      return Promise.resolve(past.args as Payload<K>);
    }
    return new Promise((resolve, reject) => {
      const waiter = { name, test: test as (args: unknown) => boolean, resolve: (args: unknown) => (clearTimeout(timer), resolve(args as Payload<K>)) };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`no "${name}" event within ${timeoutMs} ms; saw ${JSON.stringify(this.seen.map((e) => e.name))}`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }
}

function startBus(peer: LibosdpPeer, pds: PdOptions[], extra: Partial<OsdpBusOptions> = {}): { bus: OsdpBus; events: Recorder } {
  const bus = new OsdpBus({ path: peer.acuPath, baudRate: BAUD, pds, clock: new SystemClock(), ...extra });
  const events = new Recorder(bus);
  bus.start();
  return { bus, events };
}

describeWithLibosdp('OsdpBus against two libosdp PDs on one pty', () => {
  let peer: LibosdpPeer;
  let bus: OsdpBus | undefined;
  const keys = new Map<number, Buffer>();

  beforeAll(async () => {
    // No key: libosdp starts the PDs in install mode, accepting SCBK-D (docs/osdp-secure-channel.md §Keys).
    peer = await LibosdpPeer.start(toolchain, {
      pds: [
        { address: 1, installMode: true },
        { address: 2, installMode: true },
      ],
      baudRate: BAUD,
    });
  });

  afterEach(async () => {
    await bus?.close();
    bus = undefined;
  });

  afterAll(async () => {
    await peer?.stop();
  });

  it('polls both PDs in plain and reads their identity and capabilities', async () => {
    const started = startBus(peer, [
      { address: 1, secure: 'off' },
      { address: 2, secure: 'off' },
    ]);
    bus = started.bus;
    await started.events.wait('online', (e) => e.address === 1);
    await started.events.wait('online', (e) => e.address === 2);
    const id = await bus.send(2, { kind: 'ID', replyType: 0 });
    // The harness's identity: serial 0x10000000 + address.
    expect(id).toMatchObject({ kind: 'PDID', serialNumber: 0x10000002 });
    const cap = await bus.send(1, { kind: 'CAP', replyType: 0 });
    expect(cap.kind).toBe('PDCAP');
    const functions = cap.kind === 'PDCAP' ? cap.capabilities.map((c) => c.function) : [];
    expect(functions).toEqual(expect.arrayContaining([8, 9]));
    await expect(bus.send(1, { kind: 'LSTAT' })).resolves.toEqual({ kind: 'LSTATR', tamper: 0, power: 0 });
    expect(bus.status().map((s) => s.secure)).toEqual(['plain', 'plain']);
    expect(started.events.all('secure')).toEqual([]);
  });

  it('opens the secure channel with SCBK-D, KEYSETs a random key per PD and sets up again with it; card and keypad under it', async () => {
    const started = startBus(
      peer,
      [
        { address: 1, secure: 'required', installMode: true },
        { address: 2, secure: 'required', installMode: true },
      ],
      { keys: (address) => keys.get(address) },
    );
    bus = started.bus;
    const { events } = started;
    await events.wait('secure', (e) => e.address === 1 && e.state === 'established' && e.keyMode === 'scbk-d');
    await events.wait('secure', (e) => e.address === 2 && e.state === 'established' && e.keyMode === 'scbk-d');
    await peer.waitForLine('sc 1 active scbk-d');

    for (const address of [1, 2]) {
      const key = randomBytes(16);
      await expect(bus.setKey(address, key)).resolves.toEqual({ kind: 'ACK' });
      keys.set(address, key);
      await peer.waitForLine(`keyset ${address} type=1 length=16`);
      await events.wait('secure', (e) => e.address === address && e.state === 'established' && e.keyMode === 'scbk');
      await peer.waitForLine(`sc ${address} active scbk`);
    }

    // Synthetic card bits, not a real card number.
    await peer.presentCard(1, 'raw', Buffer.from([0xa5, 0x5a, 0xc0]), 18);
    const card = await events.wait('card');
    expect(card).toEqual({ address: 1, reader: 0, format: 0, bitCount: 18, data: Buffer.from([0xa5, 0x5a, 0xc0]), security: 'scbk' });
    await peer.typeKeys(2, '12*#');
    const keypad = await events.wait('keypad');
    expect(keypad).toEqual({ address: 2, reader: 0, keys: '12*#', security: 'scbk' });
    await expect(bus.send(2, { kind: 'LSTAT' })).resolves.toMatchObject({ kind: 'LSTATR' });
    expect(events.all('alarm')).toEqual([]);
  });

  it('sees both PDs go offline when the harness dies mid-poll, and online (secure again) when it is back', async () => {
    expect(keys.size).toBe(2);
    const started = startBus(
      peer,
      [
        { address: 1, secure: 'required' },
        { address: 2, secure: 'required' },
      ],
      { keys: (address) => keys.get(address) },
    );
    bus = started.bus;
    const { events } = started;
    // The PDs kept the keys KEYSET gave them only in memory; the restarted harness below is given them.
    await events.wait('secure', (e) => e.address === 2 && e.state === 'established' && e.keyMode === 'scbk');
    const killedAt = Date.now();
    await peer.killHarness();
    const offline = await events.wait('offline', (e) => e.address === 1, 12_000);
    await events.wait('offline', (e) => e.address === 2, 2000);
    // 8 s without a valid reply (OSDP v2.2 §5; libosdp OSDP_PD_ONLINE_TOUT_MS), a little less if
    // the kill landed late in a poll.
    expect(Date.now() - killedAt).toBeGreaterThanOrEqual(7500);
    // socat keeps the pty's ACU end open when the harness dies: the PDs fall silent, no port closes.
    expect(offline.reason).toBe('no-reply');
    expect(started.events.all('transport')).toEqual([{ state: 'open' }]);

    await peer.restartHarness({ pds: [1, 2].map((address) => ({ address, scbk: keys.get(address) })), baudRate: BAUD });
    await events.wait('online', (e) => e.address === 1, 15_000);
    await events.wait('secure', (e) => e.address === 1 && e.state === 'established' && e.keyMode === 'scbk', 5000);
    await events.wait('secure', (e) => e.address === 2 && e.state === 'established' && e.keyMode === 'scbk', 5000);
    expect(events.all('alarm')).toEqual([]);
  }, 40_000);
});

describeWithLibosdp('OsdpBus against a libosdp PD holding another key', () => {
  let peer: LibosdpPeer;
  let bus: OsdpBus | undefined;

  beforeAll(async () => {
    peer = await LibosdpPeer.start(toolchain, { pds: [{ address: 3, scbk: Buffer.alloc(16, 0x3c) }], baudRate: BAUD });
  });

  afterAll(async () => {
    await bus?.close();
    await peer?.stop();
  });

  it('refuses it: tamper-class alarm, and no card reads from it', async () => {
    const started = startBus(peer, [{ address: 3, secure: 'required' }], { keys: () => randomBytes(16) });
    bus = started.bus;
    const alarm = await started.events.wait('alarm');
    expect(alarm).toEqual({ address: 3, class: 'tamper', source: 'secure-channel', reason: 'cryptogram_mismatch' });
    expect(started.events.all('secure')).toEqual([{ address: 3, state: 'failed', keyMode: 'scbk', reason: 'cryptogram_mismatch' }]);
    await peer.presentCard(3, 'raw', Buffer.from([0x11, 0x22]), 16);
    await peer.waitForLine('delivered 3 card');
    await new Promise((r) => setTimeout(r, 300));
    expect(started.events.all('card')).toEqual([]);
    expect(bus.drops()['untrusted-card']).toBe(1);
    await expect(bus.send(3, { kind: 'LSTAT' })).rejects.toMatchObject({ code: 'untrusted' });
  });
});
