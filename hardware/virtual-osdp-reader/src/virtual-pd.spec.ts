import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClock } from '@acs/clock';
import { CommandCode, crc16, NakCode, ScbType, type RandomSource } from '@acs/osdp';
import { crc16 as independentCrc } from './testing/crc-reference.js';
import { encrypted, TestAcu } from './testing/test-acu.js';
import { VirtualOsdpBus, type VirtualOsdpBusOptions } from './virtual-osdp-bus.js';
import { keyFingerprint, SC_TIMEOUT_MS } from './pd-model.js';
import { wiegand26 } from './wiegand.js';

/** Deterministic "random" bytes, so RND.A / RND.B and every reply are reproducible. */
function counterRandom(seed: number): RandomSource {
  let n = seed;
  return (length) => Buffer.from(Array.from({ length }, () => (n = (n * 73 + 41) & 0xff)));
}

function setup(pds: VirtualOsdpBusOptions['pds'], extra: Partial<VirtualOsdpBusOptions> = {}) {
  const clock = new FakeClock();
  const bus = new VirtualOsdpBus({ pds, clock, random: counterRandom(1), ...extra });
  const acu = new TestAcu(bus, counterRandom(99));
  return { clock, bus, acu };
}

const KEY = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
const NEW_KEY = Buffer.from('f0e1d2c3b4a5968778695a4b3c2d1e0f', 'hex');

/** A CRC packet with its CRC recomputed after a change (e.g. a flipped MAC bit). */
function refreshCrc(bytes: Buffer): Buffer {
  const out = Buffer.from(bytes);
  out.writeUInt16LE(crc16(out, 0, out.length - 2), out.length - 2);
  return out;
}

describe('VirtualPd at the byte level', () => {
  it('answers osdp_POLL with osdp_ACK from its address with the reply bit, same SQN, CRC (OSDP v2.2 §5, §7)', async () => {
    const { acu } = setup([{ address: 1 }]);
    const { bytes, reply } = acu.send(1, { kind: 'POLL' });
    expect(reply.kind).toBe('ACK');
    // SOM, 0x01 | 0x80, LEN 8, CTRL = CRC | SQN 0, osdp_ACK, then the CRC-16/AUG-CCITT checked by an independent implementation.
    expect([...bytes.subarray(0, 6)]).toEqual([0x53, 0x81, 0x08, 0x00, 0x04, 0x40]);
    expect(bytes.readUInt16LE(6)).toBe(independentCrc(bytes.subarray(0, 6)));
  });

  it('stays silent for other addresses and answers a broadcast from 0x7F | 0x80', async () => {
    const { acu } = setup([{ address: 1 }]);
    expect(acu.feed(acu.build(2, { kind: 'POLL' }))).toEqual([]);
    const broadcast = acu.send(0x7f, { kind: 'ID', replyType: 0 });
    expect(broadcast.bytes[1]).toBe(0xff);
    expect(broadcast.reply.kind).toBe('PDID');
  });

  it('mirrors the mark byte and answers a checksum command with a CRC reply (libosdp does both)', async () => {
    const { acu } = setup([{ address: 3 }]);
    const marked = acu.send(3, { kind: 'POLL' }, { mark: true, integrity: 'checksum' });
    expect(marked.bytes[0]).toBe(0xff);
    expect(marked.packet.integrity).toBe('crc');
    const unmarked = acu.send(3, { kind: 'POLL' });
    expect(unmarked.bytes[0]).toBe(0x53);
  });

  it('reads the mark byte and the packet across chunk boundaries, and goes offline after 8 s of silence', async () => {
    const { acu, bus, clock } = setup([{ address: 4 }]);
    const packet = acu.build(4, { kind: 'POLL' });
    expect(acu.feed(Buffer.from([0xff]))).toEqual([]);
    expect(acu.feed(packet.subarray(0, 3))).toEqual([]);
    const [reply] = acu.feed(packet.subarray(3));
    expect(reply[0]).toBe(0xff);
    expect(bus.pd(4)!.status().online).toBe(true);
    clock.advance(8001);
    expect(bus.pd(4)!.status().online).toBe(false);
  });

  it('drops a packet with a bad CRC without a word (no NAK 1: the address itself may be wrong)', async () => {
    const { acu, bus } = setup([{ address: 1 }]);
    const drops: string[] = [];
    bus.on('drop', (d: { kind: string }) => drops.push(d.kind));
    const packet = acu.build(1, { kind: 'POLL' });
    packet[packet.length - 1] ^= 0x01;
    expect(acu.feed(packet)).toEqual([]);
    // The framer drops SOM and then the rest of the bytes up to the next SOM.
    expect(drops[0]).toBe('bad-checksum');
    expect(acu.send(1, { kind: 'POLL' }, { sequence: 0 }).reply.kind).toBe('ACK');
  });

  it('reports identity and capabilities: card format, LED, buzzer, text, CRC, AES-128, 256-byte buffer, OSDP 2.2', async () => {
    const { acu } = setup([{ address: 1, serialNumber: 0x01020304 }]);
    const id = acu.send(1, { kind: 'ID', replyType: 0 }).reply;
    expect(id).toMatchObject({ kind: 'PDID', serialNumber: 0x01020304 });
    const cap = acu.send(1, { kind: 'CAP', replyType: 0 }).reply;
    if (cap.kind !== 'PDCAP') throw new Error(cap.kind);
    const byFunction = Object.fromEntries(cap.capabilities.map((c) => [c.function, [c.compliance, c.count]]));
    expect(byFunction).toMatchObject({ 3: [1, 0], 4: [1, 1], 5: [1, 1], 6: [1, 1], 8: [1, 0], 9: [1, 0], 10: [0, 1], 16: [2, 0] });
  });

  it('answers NAK 3 to an unknown command and NAK 2 to a wrong length', async () => {
    const { acu } = setup([{ address: 1 }]);
    expect(acu.send(1, { code: CommandCode.OUT, data: Buffer.from([0, 1, 0, 0]) }).reply).toMatchObject({ kind: 'NAK', error: NakCode.UnknownCommand });
    expect(acu.send(1, { code: CommandCode.POLL, data: Buffer.from([0]) }).reply).toMatchObject({ kind: 'NAK', error: NakCode.CommandLength });
  });
});

describe('sequence numbers (OSDP v2.2 §5; libosdp phy_check_packet)', () => {
  it('wants 0 first: another number gets NAK 4 under the number it expected, and the counter moves there', async () => {
    const { acu } = setup([{ address: 1 }]);
    const first = acu.send(1, { kind: 'POLL' }, { sequence: 2 });
    expect(first.reply).toMatchObject({ kind: 'NAK', error: NakCode.SequenceNumber });
    expect(first.packet.sequence).toBe(0);
    expect(acu.send(1, { kind: 'POLL' }, { sequence: 1 }).reply.kind).toBe('ACK');
  });

  it('counts 1, 2, 3, 1 after 0, and NAKs a skipped number', async () => {
    const { acu } = setup([{ address: 1 }]);
    for (const sequence of [0, 1, 2, 3, 1] as const) expect(acu.send(1, { kind: 'POLL' }, { sequence }).packet.sequence).toBe(sequence);
    expect(acu.send(1, { kind: 'POLL' }, { sequence: 3 }).reply).toMatchObject({ kind: 'NAK', error: NakCode.SequenceNumber });
  });

  it('answers a repeated number with the cached reply byte for byte: a card read is not lost nor read twice', async () => {
    const { acu, bus } = setup([{ address: 1 }]);
    acu.send(1, { kind: 'POLL' }, { sequence: 0 });
    bus.pd(1)!.presentCard(wiegand26(4, 36117), 26);
    const first = acu.send(1, { kind: 'POLL' }, { sequence: 1 });
    expect(first.reply).toMatchObject({ kind: 'RAW', bitCount: 26 });
    const retry = acu.send(1, { kind: 'POLL' }, { sequence: 1 });
    expect(retry.bytes.equals(first.bytes)).toBe(true);
    expect(acu.send(1, { kind: 'POLL' }, { sequence: 2 }).reply.kind).toBe('ACK');
  });

  it('treats the same number with another command as a new command (libosdp drops its cache then)', async () => {
    const { acu } = setup([{ address: 1 }]);
    acu.send(1, { kind: 'POLL' }, { sequence: 0 });
    acu.send(1, { kind: 'POLL' }, { sequence: 1 });
    const id = acu.send(1, { kind: 'ID', replyType: 0 }, { sequence: 1 });
    expect(id.reply.kind).toBe('PDID');
    expect(id.packet.sequence).toBe(1);
  });

  it('answers osdp_BUSY with sequence 0 while busy, and resumes where it was', async () => {
    const { acu, bus } = setup([{ address: 1 }]);
    acu.send(1, { kind: 'POLL' }, { sequence: 0 });
    bus.pd(1)!.busy = true;
    const busy = acu.send(1, { kind: 'POLL' }, { sequence: 1 });
    expect(busy.reply.kind).toBe('BUSY');
    expect(busy.packet.sequence).toBe(0);
    bus.pd(1)!.busy = false;
    expect(acu.send(1, { kind: 'POLL' }, { sequence: 1 }).reply.kind).toBe('ACK');
  });
});

describe('events and outputs', () => {
  it('reports a card (RAW), keys (KEYPAD, * as 0x7F, # as 0x0D) and a tamper change (LSTATR) at successive polls', async () => {
    const { acu, bus } = setup([{ address: 1 }]);
    const pd = bus.pd(1)!;
    pd.presentCard(Buffer.from([0xab, 0xc0]), 10, 0);
    pd.typeKeys('12*#');
    pd.setTamper(true);
    pd.setTamper(true); // no change, no second report
    expect(acu.send(1, { kind: 'POLL' }).reply).toEqual({ kind: 'RAW', reader: 0, format: 0, bitCount: 10, data: Buffer.from([0xab, 0xc0]) });
    expect(acu.send(1, { kind: 'POLL' }).reply).toEqual({ kind: 'KEYPAD', reader: 0, keys: Buffer.from([0x31, 0x32, 0x7f, 0x0d]) });
    expect(acu.send(1, { kind: 'POLL' }).reply).toEqual({ kind: 'LSTATR', tamper: 1, power: 0 });
    expect(acu.send(1, { kind: 'POLL' }).reply.kind).toBe('ACK');
    pd.setPowerFailure(true);
    expect(acu.send(1, { kind: 'LSTAT' }).reply).toEqual({ kind: 'LSTATR', tamper: 1, power: 1 });
  });

  it('keeps LED, buzzer and text state for the status view, and refuses an LED it does not have', async () => {
    const { acu, bus, clock } = setup([{ address: 1 }]);
    const off = { control: 0, onTime: 0, offTime: 0, onColour: 0, offColour: 0 };
    const led = {
      reader: 0,
      led: 0,
      temporary: { control: 2, onTime: 5, offTime: 5, onColour: 1, offColour: 0, timer: 30 },
      permanent: { ...off, control: 1, onTime: 1, onColour: 2 },
    };
    expect(acu.send(1, { kind: 'LED', records: [led] }).reply.kind).toBe('ACK');
    expect(acu.send(1, { kind: 'LED', records: [{ ...led, led: 1 }] }).reply).toMatchObject({ kind: 'NAK', error: NakCode.UnknownCommand });
    expect(acu.send(1, { kind: 'BUZ', records: [{ reader: 0, tone: 2, onTime: 2, offTime: 1, count: 3 }] }).reply.kind).toBe('ACK');
    expect(acu.send(1, { kind: 'TEXT', reader: 0, command: 1, temporarySeconds: 0, row: 1, column: 1, text: Buffer.from('Present card') }).reply.kind).toBe(
      'ACK',
    );
    let status = bus.pd(1)!.status();
    expect(status.leds[0].temporary).toMatchObject({ onColour: 1 });
    expect(status.leds[0].permanent).toMatchObject({ onColour: 2 });
    expect(status.buzzer).toEqual({ tone: 2, onTime: 2, offTime: 1, count: 3 });
    expect(status.text).toEqual({ command: 1, row: 1, column: 1, text: 'Present card' });
    clock.advance(3001);
    status = bus.pd(1)!.status();
    expect(status.leds[0].temporary).toBeNull();
  });

  it('answers osdp_COMSET with osdp_COM from the old address, then answers only at the new one', async () => {
    const { acu, bus } = setup([{ address: 1 }]);
    const com = acu.send(1, { kind: 'COMSET', address: 9, baudRate: 38400 });
    expect(com.bytes[1]).toBe(0x81);
    expect(com.reply).toEqual({ kind: 'COM', address: 9, baudRate: 38400 });
    expect(acu.feed(acu.build(1, { kind: 'POLL' }))).toEqual([]);
    expect(acu.send(9, { kind: 'POLL' }, { sequence: 0 }).reply.kind).toBe('ACK');
    expect(bus.pd(9)!.baudRate).toBe(38400);
  });

  it('with --require-secure answers only ID, CAP and the set-up outside the channel (NAK 6, as libosdp ENFORCE_SECURE)', async () => {
    const { acu } = setup([{ address: 1, scbk: KEY, requireSecure: true }]);
    expect(acu.send(1, { kind: 'POLL' }).reply).toMatchObject({ kind: 'NAK', error: NakCode.SecurityCondition });
    expect(acu.send(1, { kind: 'ID', replyType: 0 }).reply.kind).toBe('PDID');
    expect(acu.send(1, { kind: 'CAP', replyType: 0 }).reply.kind).toBe('PDCAP');
    expect(await acu.secure(1, { keyMode: 'scbk', scbk: KEY })).toMatchObject({ ok: true });
    expect(acu.send(1, { kind: 'POLL' }).reply.kind).toBe('ACK');
  });
});

describe('secure channel (OSDP v2.2 Annex D)', () => {
  it('MACs every reply and encrypts the ones with data (SCS_16 / SCS_18)', async () => {
    const { acu, bus } = setup([{ address: 1, scbk: KEY }]);
    acu.send(1, { kind: 'POLL' });
    expect(await acu.secure(1, { keyMode: 'scbk', scbk: KEY })).toMatchObject({ ok: true });
    expect(bus.pd(1)!.status().secure).toBe('scbk');
    const ack = acu.send(1, { kind: 'POLL' });
    expect(ack).toMatchObject({ macOk: true, reply: { kind: 'ACK' } });
    expect(ack.packet.security?.type).toBe(ScbType.ReplyMac);
    bus.pd(1)!.presentCard(wiegand26(4, 36117), 26);
    const card = acu.send(1, { kind: 'POLL' });
    expect(encrypted(card)).toBe(true);
    expect(card.packet.data.length).toBe(16); // 8 bytes of RAW data padded to one AES block
    expect(card.reply).toEqual({ kind: 'RAW', reader: 0, format: 1, bitCount: 26, data: wiegand26(4, 36117) });
  });

  it('refuses SCBK-D outside install mode and its own key when it has none', async () => {
    const keyed = setup([{ address: 1, scbk: KEY }]);
    keyed.acu.send(1, { kind: 'POLL' });
    expect(await keyed.acu.secure(1, { keyMode: 'scbk-d', installMode: true })).toMatchObject({ ok: false, nak: NakCode.SecurityCondition });
    const blank = setup([{ address: 1, installMode: false }]);
    blank.acu.send(1, { kind: 'POLL' });
    expect(await blank.acu.secure(1, { keyMode: 'scbk', scbk: KEY })).toMatchObject({ ok: false, nak: NakCode.SecurityCondition });
  });

  it('fails the ACU cryptogram check when the keys differ (the ACU detects it, as with libosdp)', async () => {
    const { acu } = setup([{ address: 1, scbk: KEY }]);
    acu.send(1, { kind: 'POLL' });
    expect(await acu.secure(1, { keyMode: 'scbk', scbk: NEW_KEY })).toMatchObject({ ok: false, reason: 'cryptogram_mismatch' });
  });

  it('install mode → SCBK-D → KEYSET: ACK under the old session, then the new key only, persisted in the state file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'osdp-state-'));
    const statePath = join(dir, 'state.json');
    try {
      const { acu, bus } = setup([{ address: 1 }], { statePath });
      const pd = bus.pd(1)!;
      expect(pd.status()).toMatchObject({ installMode: true, keyFingerprint: 'none' });
      acu.send(1, { kind: 'POLL' });
      expect(await acu.secure(1, { keyMode: 'scbk-d', installMode: true })).toMatchObject({ ok: true });
      expect(pd.status().secure).toBe('scbk-d');
      const ack = acu.send(1, { kind: 'KEYSET', keyType: 1, key: NEW_KEY });
      expect(ack).toMatchObject({ macOk: true, reply: { kind: 'ACK' } });
      expect(pd.status()).toMatchObject({ secure: 'off', installMode: false, keyFingerprint: keyFingerprint(NEW_KEY) });
      // The ACU's MAC'd command after the key change meets a PD without a session: NAK 6 in clear.
      expect(acu.send(1, { kind: 'POLL' }).reply).toMatchObject({ kind: 'NAK', error: NakCode.SecurityCondition });
      expect(await acu.secure(1, { keyMode: 'scbk-d', installMode: true })).toMatchObject({ ok: false });
      expect(await acu.secure(1, { keyMode: 'scbk', scbk: NEW_KEY })).toMatchObject({ ok: true });
      expect(acu.send(1, { kind: 'POLL' }).reply.kind).toBe('ACK');

      const file = readFileSync(statePath, 'utf8');
      expect(file).toContain(NEW_KEY.toString('hex'));
      expect(statSync(statePath).mode & 0o077).toBe(0);
      // Power cycle: a new bus on the same state file has the key and is out of install mode.
      const again = setup([{ address: 1 }], { statePath });
      expect(again.bus.pd(1)!.status()).toMatchObject({ installMode: false, keyFingerprint: keyFingerprint(NEW_KEY) });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses KEYSET outside a secure channel (NAK 6) and a wrong key type or length (NAK 2)', async () => {
    const { acu } = setup([{ address: 1, scbk: KEY }]);
    expect(acu.send(1, { kind: 'KEYSET', keyType: 1, key: NEW_KEY }).reply).toMatchObject({ kind: 'NAK', error: NakCode.SecurityCondition });
    await acu.secure(1, { keyMode: 'scbk', scbk: KEY });
    expect(acu.send(1, { kind: 'KEYSET', keyType: 1, key: NEW_KEY.subarray(0, 8) }).reply).toMatchObject({ kind: 'NAK', error: NakCode.CommandLength });
  });

  it("drops the session on a bad MAC: NAK 6 in clear, and later MAC'd commands get NAK 6 too", async () => {
    const { acu, bus } = setup([{ address: 1, scbk: KEY }]);
    acu.send(1, { kind: 'POLL' });
    await acu.secure(1, { keyMode: 'scbk', scbk: KEY });
    const flipMac = (bytes: Buffer) => {
      const out = Buffer.from(bytes);
      out[out.length - 3] ^= 0x80; // last MAC byte, before the two CRC bytes
      return refreshCrc(out);
    };
    const refused = acu.send(1, { kind: 'POLL' }, { tamper: flipMac });
    expect(refused.packet.security).toBeUndefined();
    expect(refused.reply).toMatchObject({ kind: 'NAK', error: NakCode.SecurityCondition });
    expect(bus.pd(1)!.status().secure).toBe('off');
    expect(acu.hasSession(1)).toBe(false);
  });

  it('refuses a plain command inside the channel and ends it', async () => {
    const { acu, bus } = setup([{ address: 1, scbk: KEY }]);
    acu.send(1, { kind: 'POLL' });
    await acu.secure(1, { keyMode: 'scbk', scbk: KEY });
    expect(acu.send(1, { kind: 'POLL' }, { plain: true }).reply).toMatchObject({ kind: 'NAK', error: NakCode.SecurityCondition });
    expect(bus.pd(1)!.status().secure).toBe('off');
  });

  it('ends the session after 8 s without a valid secure command, at SQN 0, and on line noise', async () => {
    const { acu, bus, clock } = setup([{ address: 1, scbk: KEY }]);
    const pd = bus.pd(1)!;
    acu.send(1, { kind: 'POLL' });
    await acu.secure(1, { keyMode: 'scbk', scbk: KEY });
    clock.advance(SC_TIMEOUT_MS + 1);
    expect(pd.status().secure).toBe('off');
    expect(acu.send(1, { kind: 'POLL' }).reply).toMatchObject({ kind: 'NAK', error: NakCode.SecurityCondition });

    await acu.secure(1, { keyMode: 'scbk', scbk: KEY });
    acu.dropSession(1);
    expect(acu.send(1, { kind: 'POLL' }, { sequence: 0 }).reply.kind).toBe('ACK');
    expect(pd.status().secure).toBe('off');

    await acu.secure(1, { keyMode: 'scbk', scbk: KEY });
    expect(pd.status().secure).toBe('scbk');
    const garbage = acu.build(1, { kind: 'POLL' }, { plain: true });
    garbage[garbage.length - 1] ^= 0xff;
    acu.feed(garbage);
    expect(pd.status().secure).toBe('off');
  });

  it('a retried secure command gets its cached reply, MAC chain untouched on both ends', async () => {
    const { acu, bus } = setup([{ address: 1, scbk: KEY }]);
    acu.send(1, { kind: 'POLL' });
    await acu.secure(1, { keyMode: 'scbk', scbk: KEY });
    bus.pd(1)!.typeKeys('42');
    const packet = acu.build(1, { kind: 'POLL' });
    const [first] = acu.feed(packet);
    const [retry] = acu.feed(packet);
    expect(retry.equals(first)).toBe(true);
    expect(acu.read(1, retry).reply).toEqual({ kind: 'KEYPAD', reader: 0, keys: Buffer.from('42') });
    expect(acu.send(1, { kind: 'POLL' })).toMatchObject({ macOk: true, reply: { kind: 'ACK' } });
  });
});

describe('three PDs on one line', () => {
  it('each answers only its own address, in turn, with its own sequence and session', async () => {
    const { acu, bus } = setup([{ address: 1, scbk: KEY }, { address: 2 }, { address: 3, scbk: NEW_KEY }]);
    for (const a of [1, 2, 3]) expect(acu.send(a, { kind: 'POLL' }).bytes[1]).toBe(0x80 | a);
    await acu.secure(3, { keyMode: 'scbk', scbk: NEW_KEY });
    bus.pd(2)!.typeKeys('7');
    expect(acu.send(1, { kind: 'POLL' }).reply.kind).toBe('ACK');
    expect(acu.send(2, { kind: 'POLL' }).reply.kind).toBe('KEYPAD');
    expect(acu.send(3, { kind: 'POLL' })).toMatchObject({ macOk: true, reply: { kind: 'ACK' } });
    expect(bus.pds.map((p) => p.status().secure)).toEqual(['off', 'off', 'scbk']);
    expect(() => setup([{ address: 1 }, { address: 1 }])).toThrow('share an address');
  });
});
