import { describe, expect, it } from '@jest/globals';
import { checksum, decodePacket, encodeDataPackets, encodePacket, Pid, toHex } from './fingerprint.codec.js';
import { encodeCommand, parseIndexTable, parseSystemParameters, encodeIndexTable, encodeSystemParameters } from './fingerprint.commands.js';
import { describeConfirmation } from './confirmation-code.js';
import { R30X, R503, ZW } from './model-profile.js';

const ADDR = 0xffffffff;
const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('fingerprint codec', () => {
  // Worked examples, checksums cross-checked against the datasheet (docs/r503-protocol.md §Link and defaults).
  it.each([
    ['GenImg', encodeCommand(R503, ADDR, 'GenImg'), 'EF 01 FF FF FF FF 01 00 03 01 00 05'],
    ['Img2Tz buf1', encodeCommand(R503, ADDR, 'Img2Tz', 1), 'EF 01 FF FF FF FF 01 00 04 02 01 00 08'],
    ['RegModel', encodeCommand(R503, ADDR, 'RegModel'), 'EF 01 FF FF FF FF 01 00 03 05 00 09'],
    ['Store buf1 -> #5', encodeCommand(R503, ADDR, 'Store', 1, Buffer.from([0, 5])), 'EF 01 FF FF FF FF 01 00 06 06 01 00 05 00 13'],
    [
      'Search buf1 0..200',
      encodeCommand(R503, ADDR, 'Search', 1, Buffer.from([0, 0]), Buffer.from([0, 0xc8])),
      'EF 01 FF FF FF FF 01 00 08 04 01 00 00 00 C8 00 D6',
    ],
    ['DeletChar #5 x1', encodeCommand(R503, ADDR, 'DeletChar', Buffer.from([0, 5]), Buffer.from([0, 1])), 'EF 01 FF FF FF FF 01 00 07 0C 00 05 00 01 00 1A'],
    ['TemplateNum', encodeCommand(R503, ADDR, 'TemplateNum'), 'EF 01 FF FF FF FF 01 00 03 1D 00 21'],
    ['ReadIndexTable 0', encodeCommand(R503, ADDR, 'ReadIndexTable', 0), 'EF 01 FF FF FF FF 01 00 04 1F 00 00 24'],
    ['Empty', encodeCommand(R503, ADDR, 'Empty'), 'EF 01 FF FF FF FF 01 00 03 0D 00 11'],
    ['VfyPwd 0', encodeCommand(R503, ADDR, 'VfyPwd', Buffer.alloc(4)), 'EF 01 FF FF FF FF 01 00 07 13 00 00 00 00 00 1B'],
    ['ACK OK', encodePacket({ address: ADDR, pid: Pid.Ack, content: Buffer.from([0]) }), 'EF 01 FF FF FF FF 07 00 03 00 00 0A'],
  ])('encodes %s exactly as the datasheet', (_name, frame, golden) => {
    expect(toHex(frame)).toBe(golden);
  });

  it('decodes the datasheet ACK into address, PID and confirmation', () => {
    const result = decodePacket(hex('EF 01 FF FF FF FF 07 00 03 00 00 0A'));
    expect(result).toEqual({ kind: 'ok', consumed: 12, packet: { address: ADDR, pid: Pid.Ack, content: Buffer.from([0]) } });
  });

  it('sums PID, both length bytes and content, discarding overflow', () => {
    const content = Buffer.alloc(256, 0xff);
    expect(checksum(0x02, 258, content)).toBe((0x02 + 0x01 + 0x02 + 256 * 0xff) & 0xffff);
  });

  it('classifies a truncated frame as need-more at every split point', () => {
    const frame = encodeCommand(R503, ADDR, 'Search', 1, Buffer.from([0, 0]), Buffer.from([0, 0xc8]));
    for (let cut = 1; cut < frame.length; cut++) {
      expect(decodePacket(frame.subarray(0, cut)).kind).toBe('need-more');
    }
  });

  it('skips garbage up to the next header candidate', () => {
    const result = decodePacket(hex('00 13 55 EF 01'));
    expect(result).toEqual({ kind: 'malformed', consumed: 3, reason: 'no header' });
  });

  it('rejects an absurd length without waiting for it', () => {
    const result = decodePacket(hex('EF 01 FF FF FF FF 07 FF FF'));
    expect(result.kind).toBe('malformed');
  });

  it('rejects a length longer than the configured packet size', () => {
    const data = encodePacket({ address: ADDR, pid: Pid.Data, content: Buffer.alloc(128, 1) });
    expect(decodePacket(data, { maxContentLength: 64 }).kind).toBe('malformed');
    expect(decodePacket(data, { maxContentLength: 128 }).kind).toBe('ok');
  });

  it('reports a bad checksum and drops only the header', () => {
    const frame = hex('EF 01 FF FF FF FF 07 00 03 00 00 0B');
    expect(decodePacket(frame)).toEqual({ kind: 'bad-checksum', consumed: 2, expected: 0x0a, actual: 0x0b });
  });

  it('classifies a frame for another address as not-for-us and drops all of it', () => {
    const frame = encodePacket({ address: 0x12345678, pid: Pid.Ack, content: Buffer.from([0]) });
    expect(decodePacket(frame, { address: ADDR })).toEqual({ kind: 'not-for-us', consumed: frame.length, address: 0x12345678 });
  });

  it('rejects an unknown PID', () => {
    expect(decodePacket(hex('EF 01 FF FF FF FF 05 00 03 00 00 08')).kind).toBe('malformed');
  });

  // docs/r503-protocol.md §Data packets and template size
  describe('data packets', () => {
    it.each([
      [512, 128, 4, 139],
      [512, 256, 2, 267],
      [1536, 128, 12, 139],
      [1536, 32, 48, 43],
      [100, 64, 2, 75],
    ])('splits %i bytes at P=%i into %i packets of %i wire bytes, last one PID 08', (size, p, count, wire) => {
      const data = Buffer.from(Array.from({ length: size }, (_, i) => i & 0xff));
      const packets = encodeDataPackets(ADDR, data, p);
      expect(packets).toHaveLength(count);
      expect(packets[0]).toHaveLength(wire);
      expect(packets.map((f) => f[6])).toEqual([...Array<number>(count - 1).fill(Pid.Data), Pid.EndData]);
      const reassembled = Buffer.concat(
        packets.map((f) => {
          const r = decodePacket(f);
          if (r.kind !== 'ok') throw new Error(r.kind);
          return r.packet.content;
        }),
      );
      expect(reassembled.equals(data)).toBe(true);
    });

    it('refuses a packet size the protocol does not have', () => {
      expect(() => encodeDataPackets(ADDR, Buffer.alloc(10), 100)).toThrow(RangeError);
    });
  });

  it('round-trips ReadSysPara and reads the packet size and baud', () => {
    const p = parseSystemParameters(
      encodeSystemParameters({ statusRegister: 4, systemId: 9, capacity: 200, securityLevel: 3, address: ADDR, packetSizeCode: 2, baudRate: 57600 }),
    );
    expect(p).toMatchObject({ capacity: 200, packetSize: 128, baudRate: 57600, address: ADDR, securityLevel: 3 });
  });

  it('maps ReadIndexTable bits LSB-first to slot numbers', () => {
    expect(parseIndexTable(1, hex('05 80' + '00'.repeat(30)))).toEqual([256, 258, 271]);
    expect(parseIndexTable(0, encodeIndexTable(0, [0, 9, 255, 256]))).toEqual([0, 9, 255]);
  });

  it('resolves model-specific opcodes: 0x35 is AuraLedConfig on R503, HandShake on ZW', () => {
    expect(encodeCommand(R503, ADDR, 'AuraLedConfig', 1, 0x80, 2, 0)[9]).toBe(0x35);
    expect(encodeCommand(ZW, ADDR, 'HandShake')[9]).toBe(0x35);
    expect(encodeCommand(R503, ADDR, 'HandShake')[9]).toBe(0x40);
    expect(() => encodeCommand(R30X, ADDR, 'ReadProdInfo')).toThrow(/not supported by model r30x/);
  });

  it('describes confirmation codes for operators', () => {
    expect(describeConfirmation(0x0b)).toBe('0x0B template slot (PageID) out of range');
    expect(describeConfirmation(0x1f)).toBe('0x1F fingerprint library is full');
    expect(describeConfirmation(0x77)).toBe('0x77 unknown confirmation code');
  });
});
