import { describe, expect, it } from '@jest/globals';
import { OsdpEncodeError } from './packet.js';
import { OsdpPayloadError } from './payload.js';
import { decodeReply, encodeReply, NakCode, RawFormat, ReplyCode, replyName, type Reply } from './replies.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

// Each row: the reply, its code, and the DATA bytes in the field order of the spec section named
// in replies.ts and of libosdp's pd_build_reply (src/osdp_pd.c).
const table: Array<[string, Reply, number, string]> = [
  ['ACK', { kind: 'ACK' }, 0x40, ''],
  ['NAK', { kind: 'NAK', error: NakCode.SequenceNumber, detail: Buffer.alloc(0) }, 0x41, '04'],
  ['NAK with detail', { kind: 'NAK', error: NakCode.SecurityCondition, detail: hex('01') }, 0x41, '06 01'],
  // vendor OUI a1 a2 a3, model, version, serial LE, firmware major.minor.build (libosdp tests/unit-tests/test-cp-fsm.c fixture).
  [
    'PDID',
    { kind: 'PDID', vendorCode: hex('a1a2a3'), model: 0xb1, version: 0xc1, serialNumber: 0xd4d3d2d1, firmware: [0xe1, 0xe2, 0xe3] },
    0x45,
    'a1a2a3 b1 c1 d1d2d3d4 e1e2e3',
  ],
  [
    'PDCAP',
    {
      kind: 'PDCAP',
      capabilities: [
        { function: 4, compliance: 4, count: 1 },
        { function: 9, compliance: 1, count: 0 },
      ],
    },
    0x46,
    '040401 090100',
  ],
  ['LSTATR', { kind: 'LSTATR', tamper: 1, power: 0 }, 0x48, '01 00'],
  // 26-bit Wiegand: reader 0, format 1, 26 bits (0x001A LE), 4 bytes.
  ['RAW', { kind: 'RAW', reader: 0, format: RawFormat.Wiegand, bitCount: 26, data: hex('01020340') }, 0x50, '00 01 1A00 01020340'],
  ['RAW of whole bytes', { kind: 'RAW', reader: 1, format: RawFormat.Unspecified, bitCount: 32, data: hex('01020304') }, 0x50, '01 00 2000 01020304'],
  ['FMT', { kind: 'FMT', reader: 0, direction: 0, text: Buffer.from('1234') }, 0x51, '00 00 04 31323334'],
  ['KEYPAD', { kind: 'KEYPAD', reader: 0, keys: Buffer.from('12') }, 0x53, '00 02 3132'],
  ['COM', { kind: 'COM', address: 5, baudRate: 115200 }, 0x54, '05 00C20100'],
  ['BUSY', { kind: 'BUSY' }, 0x79, ''],
  [
    'CCRYPT',
    { kind: 'CCRYPT', clientUid: Buffer.alloc(8, 1), rndB: Buffer.alloc(8, 2), cryptogram: Buffer.alloc(16, 3) },
    0x76,
    '01'.repeat(8) + '02'.repeat(8) + '03'.repeat(16),
  ],
  ['RMAC_I', { kind: 'RMAC_I', rmac: Buffer.alloc(16, 0xa0) }, 0x78, 'a0'.repeat(16)],
];

describe('reply codecs', () => {
  it.each(table)('%s encodes to its layout and decodes back', (_name, reply, code, data) => {
    const encoded = encodeReply(reply);
    expect(encoded.code).toBe(code);
    expect(encoded.data.toString('hex')).toBe(hex(data).toString('hex'));
    expect(decodeReply(code, encoded.data)).toEqual({ ok: true, value: reply });
  });

  it.each([
    ['ACK with data', ReplyCode.ACK, '00', 'length'],
    ['BUSY with data', ReplyCode.BUSY, '00', 'length'],
    ['NAK without its code', ReplyCode.NAK, '', 'length'],
    ['PDID of 11 bytes', ReplyCode.PDID, '00'.repeat(11), 'length'],
    ['PDCAP of 4 bytes', ReplyCode.PDCAP, '04040100', 'length'],
    ['LSTATR of 1 byte', ReplyCode.LSTATR, '00', 'length'],
    ['RAW shorter than its header', ReplyCode.RAW, '000100', 'length'],
    ['RAW with fewer bytes than its bit count', ReplyCode.RAW, '00 01 1A00 010203', 'length'],
    ['RAW with more bytes than its bit count', ReplyCode.RAW, '00 01 1A00 0102030405', 'length'],
    ['RAW claiming 65535 bits', ReplyCode.RAW, '00 01 FFFF 01', 'length'],
    ['FMT whose count lies', ReplyCode.FMT, '00 00 05 31', 'length'],
    ['KEYPAD shorter than its header', ReplyCode.KEYPAD, '00', 'length'],
    ['KEYPAD whose count lies', ReplyCode.KEYPAD, '00 03 3132', 'length'],
    ['COM of 6 bytes', ReplyCode.COM, '00'.repeat(6), 'length'],
    ['CCRYPT of 31 bytes', ReplyCode.CCRYPT, '00'.repeat(31), 'length'],
    ['RMAC_I of 15 bytes', ReplyCode.RMAC_I, '00'.repeat(15), 'length'],
    ['an unknown reply', 0x42, '', 'unknown'],
  ])('refuses %s with a typed error', (_what, code, data, reason) => {
    const result = decodeReply(code, hex(data));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error).toBeInstanceOf(OsdpPayloadError);
    expect(result.error).toMatchObject({ code, reason, messageName: replyName(code) });
  });

  it('never puts card data or digits in an error message', () => {
    const card = decodeReply(ReplyCode.RAW, hex('00 01 1A00 DEADBE'));
    const keys = decodeReply(ReplyCode.KEYPAD, hex('00 09 373737'));
    expect(!card.ok && card.error.message).not.toMatch(/dead|beef|deadbe/i);
    expect(!keys.ok && keys.error.message).not.toMatch(/373737|777/);
  });

  it.each([
    ['RAW data that does not match the bit count', { kind: 'RAW', reader: 0, format: 1, bitCount: 26, data: Buffer.alloc(3) }],
    ['a PDID vendor code of 2 bytes', { kind: 'PDID', vendorCode: Buffer.alloc(2), model: 0, version: 0, serialNumber: 0, firmware: [0, 0, 0] }],
    ['a serial number above 32 bits', { kind: 'PDID', vendorCode: Buffer.alloc(3), model: 0, version: 0, serialNumber: 2 ** 32, firmware: [0, 0, 0] }],
    ['an RMAC_I of 8 bytes', { kind: 'RMAC_I', rmac: Buffer.alloc(8) }],
    ['COM from the broadcast address', { kind: 'COM', address: 0x7f, baudRate: 9600 }],
    ['256 keypad digits', { kind: 'KEYPAD', reader: 0, keys: Buffer.alloc(256) }],
  ])('refuses to encode %s', (_what, reply) => {
    expect(() => encodeReply(reply as Reply)).toThrow(OsdpEncodeError);
  });

  it('names replies, known or not', () => {
    expect(replyName(0x50)).toBe('osdp_RAW');
    expect(replyName(0x78)).toBe('osdp_RMAC_I');
    expect(replyName(0x42)).toBe('reply 0x42');
  });
});
