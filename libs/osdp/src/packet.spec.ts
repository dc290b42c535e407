import { createHash } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { crc16 } from './crc.js';
import {
  decodePacket,
  encodePacket,
  openPacket,
  OsdpEncodeError,
  ScbType,
  withMark,
  type DecodedPacket,
  type Direction,
  type PacketSecurity,
} from './packet.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

/** Appends a valid CRC, to build packets whose inner fields are wrong but whose check bytes are right. */
function withCrc(body: string): Buffer {
  const b = hex(body);
  const crc = crc16(b);
  return Buffer.concat([b, Buffer.from([crc & 0xff, crc >> 8])]);
}

function decodeOk(bytes: Buffer): DecodedPacket {
  const r = decodePacket(bytes);
  if (r.kind !== 'ok') throw new Error(`expected ok, got ${JSON.stringify(r)}`);
  return r.packet;
}

/**
 * A stand-in for the secure-channel module (src/secure/, another branch): not AES, only the
 * PacketSecurity contract (pad to 16, MAC chained per direction, verify advances only on success).
 */
class FakeSecurity implements PacketSecurity {
  private chain: Record<Direction, Buffer> = { command: Buffer.alloc(16), reply: Buffer.alloc(16, 1) };
  encrypt(_d: Direction, plain: Uint8Array): Uint8Array {
    const padded = Buffer.alloc(Math.ceil((plain.length + 1) / 16) * 16);
    padded.set(plain);
    padded[plain.length] = 0x80;
    return padded.map((b) => b ^ 0x5a);
  }
  decrypt(_d: Direction, cipher: Uint8Array): Uint8Array | undefined {
    const plain = Buffer.from(cipher).map((b) => b ^ 0x5a);
    const end = plain.lastIndexOf(0x80);
    return end < 0 || plain.subarray(end + 1).some((b) => b !== 0) ? undefined : plain.subarray(0, end);
  }
  private compute(d: Direction, input: Uint8Array): Buffer {
    return createHash('sha256').update(this.chain[d]).update(input).digest().subarray(0, 16);
  }
  sign(d: Direction, input: Uint8Array): Uint8Array {
    this.chain[d] = this.compute(d, input);
    return this.chain[d];
  }
  verify(d: Direction, input: Uint8Array, mac: Uint8Array): boolean {
    const next = this.compute(d, input);
    if (!next.subarray(0, 4).equals(Buffer.from(mac))) return false;
    this.chain[d] = next;
    return true;
  }
}

describe('encodePacket', () => {
  // Expected bytes from libosdp tests/unit-tests/test-cp-phy.c (test_cp_build_packet_poll, _id,
  // and the checksum-trailer test), without the leading mark byte.
  it.each([
    [{ code: 0x60 }, '53 65 08 00 04 60 60 90'],
    [{ code: 0x61, data: Buffer.from([0]) }, '53 65 09 00 04 61 00 D9 7A'],
    [{ code: 0x60, integrity: 'checksum' as const }, '53 65 07 00 00 60 E1'],
  ])('builds %j to PD 0x65 as libosdp does', (fields, expected) => {
    expect(encodePacket({ direction: 'command', address: 0x65, sequence: 0, ...fields }).toString('hex')).toBe(hex(expected).toString('hex'));
  });

  it('sets the reply bit, the sequence number and the SCB flag', () => {
    const p = encodePacket({
      direction: 'reply',
      address: 0x65,
      sequence: 1,
      integrity: 'checksum',
      security: { type: ScbType.Ccrypt, data: Buffer.from([1]) },
      code: 0x76,
      data: hex('10111213141516171819 1a1b1c1d1e1f 2021222324252627 28292a2b2c2d2e2f'),
    });
    // libosdp tests/unit-tests/test-cp-phy.c, test_phy_parse_hardcoded_sc_scs12_checksum_ccrypt.
    expect(p.toString('hex')).toBe(hex('53 E5 2A 00 09 03 12 01 76 101112131415161718191A1B1C1D1E1F202122232425262728292A2B2C2D2E2F 19').toString('hex'));
  });

  it('prefixes the mark byte on request', () => {
    expect(withMark(encodePacket({ direction: 'command', address: 0x65, sequence: 0, code: 0x60 }))[0]).toBe(0xff);
  });

  it.each([
    ['an address above 0x7F', { address: 0x80 }],
    ['a sequence number above 3', { sequence: 4 as 0 }],
    ['a code above 0xFF', { code: 0x100 }],
    ['a MAC-carrying block without MAC bytes or security', { security: { type: ScbType.CommandMac, data: Buffer.alloc(0) } }],
    ['an encrypted block without data', { security: { type: ScbType.CommandMacEncrypted, data: Buffer.alloc(0) } }],
    ['MAC bytes without a security block', { mac: Buffer.alloc(4) }],
  ])('refuses %s with OsdpEncodeError', (_what, fields) => {
    expect(() => encodePacket({ direction: 'command', address: 1, sequence: 1, code: 0x60, ...fields })).toThrow(OsdpEncodeError);
  });

  it('carries given MAC bytes as they are', () => {
    const p = encodePacket({
      direction: 'reply',
      address: 0x65,
      sequence: 1,
      integrity: 'checksum',
      security: { type: ScbType.ReplyMac, data: Buffer.alloc(0) },
      code: 0x40,
      mac: Buffer.alloc(4),
    });
    // libosdp tests/unit-tests/test-cp-phy.c, "active SC invalid MAC reject" fixture.
    expect(p.toString('hex')).toBe(hex('53 E5 0D 00 09 02 16 40 00 00 00 00 5A').toString('hex'));
  });
});

describe('decodePacket', () => {
  it('decodes a reply with a security block and checksum', () => {
    const p = decodeOk(hex('53 E5 1B 00 0D 03 14 01 78 A0A1A2A3A4A5A6A7A8A9AAABACADAEAF CA BA'));
    expect(p).toMatchObject({ direction: 'reply', address: 0x65, sequence: 1, integrity: 'crc', code: 0x78, security: { type: ScbType.RmacI } });
    expect(p.security?.data.toString('hex')).toBe('01');
    expect(p.data.toString('hex')).toBe('a0a1a2a3a4a5a6a7a8a9aaabacadaeaf');
    expect(p.mac).toBeUndefined();
  });

  it('separates the MAC from the data for types 0x15–0x18', () => {
    const p = decodeOk(hex('53 E5 0D 00 09 02 16 40 00 00 00 00 5A'));
    expect(p.code).toBe(0x40);
    expect(p.data.length).toBe(0);
    expect(p.mac?.toString('hex')).toBe('00000000');
  });

  it.each([
    ['garbage before a SOM', hex('01 02 03 53'), { kind: 'malformed', consumed: 3, reason: 'no SOM' }],
    ['garbage without a SOM', hex('01 02 03'), { kind: 'malformed', consumed: 3 }],
    ['mark bytes before a SOM', hex('FF FF 53'), { kind: 'mark', consumed: 2 }],
    ['a LEN below the minimum', hex('53 01 05 00 04'), { kind: 'malformed', consumed: 1 }],
    ['a LEN below the minimum with a security block', hex('53 01 08 00 0C'), { kind: 'malformed', consumed: 1 }],
    ['a LEN above the maximum', hex('53 01 A1 05 04'), { kind: 'too-long', consumed: 1, length: 1441, max: 1440 }],
    ['a bad CRC', hex('53 65 08 00 04 60 60 91'), { kind: 'bad-checksum', consumed: 1, check: 'crc', expected: 0x9060, actual: 0x9160 }],
    ['a bad checksum', hex('53 65 07 00 00 60 E2'), { kind: 'bad-checksum', consumed: 1, check: 'checksum', expected: 0xe1, actual: 0xe2 }],
    ['a security block longer than the packet', withCrc('53 01 0A 00 0C 05 15 60'), { kind: 'malformed', consumed: 10 }],
    ['a security block length below 2', withCrc('53 01 0A 00 0C 01 15 60'), { kind: 'malformed', consumed: 10 }],
    ['a MAC type without room for the MAC', withCrc('53 01 0A 00 0C 02 15 60'), { kind: 'malformed', consumed: 10, reason: 'no room for the MAC' }],
  ])('classifies %s', (_what, bytes, expected) => {
    expect(decodePacket(bytes)).toMatchObject(expected);
  });

  it('waits for a complete header and a complete packet', () => {
    const full = hex('53 65 08 00 04 60 60 90');
    for (let n = 1; n < full.length; n++) expect(decodePacket(full.subarray(0, n))).toEqual({ kind: 'need-more' });
  });

  it('drops packets in the other direction or for other addresses, whole', () => {
    const poll = hex('53 65 08 00 04 60 60 90');
    expect(decodePacket(poll, { direction: 'reply' })).toEqual({ kind: 'not-for-us', consumed: 8, address: 0x65, reason: 'wrong direction' });
    expect(decodePacket(poll, { direction: 'command', addresses: new Set([1]) })).toEqual({
      kind: 'not-for-us',
      consumed: 8,
      address: 0x65,
      reason: 'other address',
    });
    expect(decodePacket(poll, { direction: 'command', addresses: new Set([0x65]) }).kind).toBe('ok');
  });

  it('lets broadcast through the address filter', () => {
    const broadcast = encodePacket({ direction: 'command', address: 0x7f, sequence: 1, code: 0x6e, data: hex('00 80 25 00 00') });
    expect(decodePacket(broadcast, { addresses: new Set([3]) }).kind).toBe('ok');
  });

  it('honours a smaller maximum', () => {
    expect(decodePacket(hex('53 65 08 00 04 60 60 90'), { maxPacketLength: 7 })).toMatchObject({ kind: 'too-long', length: 8, max: 7 });
  });
});

describe('secure packets through PacketSecurity', () => {
  it('round-trips an encrypted, MACed command and refuses a tampered one', () => {
    const acu = new FakeSecurity();
    const pd = new FakeSecurity();
    const data = hex('00 01 02 01 02 01 02 00 00 00 01 00 00 01 00');
    const wire = encodePacket(
      { direction: 'command', address: 2, sequence: 2, security: { type: ScbType.CommandMacEncrypted, data: Buffer.alloc(0) }, code: 0x69, data },
      acu,
    );
    const p = decodeOk(wire);
    expect(p.data.length).toBe(16);
    expect(p.data.equals(data)).toBe(false);
    const opened = openPacket(p, pd);
    expect(opened.ok && opened.data.toString('hex')).toBe(data.toString('hex'));

    const next = encodePacket(
      { direction: 'command', address: 2, sequence: 3, security: { type: ScbType.CommandMac, data: Buffer.alloc(0) }, code: 0x60 },
      acu,
    );
    const tampered = decodeOk(next);
    const bad = { ...tampered, mac: Buffer.from(tampered.mac!.map((b) => b ^ 1)) };
    expect(openPacket(bad, pd)).toEqual({ ok: false, reason: 'bad MAC' });
    // A failed verification does not advance the chain: the genuine packet still opens.
    expect(openPacket(tampered, pd)).toEqual({ ok: true, data: Buffer.alloc(0) });
  });

  it('refuses a packet without a MAC, and bad padding', () => {
    const pd = new FakeSecurity();
    expect(openPacket(decodeOk(hex('53 65 08 00 04 60 60 90')), pd)).toEqual({ ok: false, reason: 'no MAC' });
    const acu = new FakeSecurity();
    const wire = encodePacket(
      { direction: 'reply', address: 2, sequence: 1, security: { type: ScbType.ReplyMacEncrypted, data: Buffer.alloc(0) }, code: 0x50, data: Buffer.from([1]) },
      {
        ...bind(acu),
        encrypt: () => Buffer.alloc(16, 0x5a), // decrypts to all zeros: no 0x80 marker
      },
    );
    expect(openPacket(decodeOk(wire), pd)).toEqual({ ok: false, reason: 'bad padding' });
  });
});

function bind(s: FakeSecurity): PacketSecurity {
  return { encrypt: s.encrypt.bind(s), decrypt: s.decrypt.bind(s), sign: s.sign.bind(s), verify: s.verify.bind(s) };
}
