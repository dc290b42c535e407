import { describe, expect, it } from '@jest/globals';
import { CommandCode, commandName, decodeCommand, encodeCommand, LedColour, TextCommand, type Command, type LedRecord } from './commands.js';
import { OsdpEncodeError } from './packet.js';
import { OsdpPayloadError } from './payload.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

const ledRecord: LedRecord = {
  reader: 0,
  led: 1,
  temporary: { control: 2, onTime: 3, offTime: 4, onColour: LedColour.Green, offColour: LedColour.Black, timer: 0x0102 },
  permanent: { control: 1, onTime: 5, offTime: 0, onColour: LedColour.Red, offColour: LedColour.Black },
};
const led: Command = { kind: 'LED', records: [ledRecord] };

// Each row: the command, its code, and the DATA bytes in the field order of the spec section named
// in commands.ts and of libosdp's cp_build_command (src/osdp_cp.c).
const table: Array<[string, Command, number, string]> = [
  ['POLL', { kind: 'POLL' }, 0x60, ''],
  ['ID', { kind: 'ID', replyType: 0 }, 0x61, '00'],
  ['CAP', { kind: 'CAP', replyType: 0 }, 0x62, '00'],
  ['LSTAT', { kind: 'LSTAT' }, 0x64, ''],
  // reader, led, temporary (control, on, off, on colour, off colour, timer LE), permanent (control, on, off, colours).
  ['LED', led, 0x69, '00 01 02 03 04 02 00 0201 01 05 00 01 00'],
  ['BUZ', { kind: 'BUZ', records: [{ reader: 0, tone: 2, onTime: 1, offTime: 1, count: 3 }] }, 0x6a, '00 02 01 01 03'],
  [
    'TEXT',
    { kind: 'TEXT', reader: 0, command: TextCommand.TemporaryNoWrap, temporarySeconds: 5, row: 1, column: 2, text: Buffer.from('OK') },
    0x6b,
    '00 03 05 01 02 02 4F4B',
  ],
  // OSDP v2.2 Annex E example: COMSET to address 0 at 9600 baud.
  ['COMSET', { kind: 'COMSET', address: 0, baudRate: 9600 }, 0x6e, '00 80250000'],
  ['KEYSET', { kind: 'KEYSET', keyType: 1, key: Buffer.alloc(16, 0xab) }, 0x75, '01 10' + 'ab'.repeat(16)],
  ['CHLNG', { kind: 'CHLNG', rndA: hex('0102030405060708') }, 0x76, '0102030405060708'],
  ['SCRYPT', { kind: 'SCRYPT', cryptogram: Buffer.alloc(16, 0x11) }, 0x77, '11'.repeat(16)],
];

describe('command codecs', () => {
  it.each(table)('%s encodes to its layout and decodes back', (_name, command, code, data) => {
    const encoded = encodeCommand(command);
    expect(encoded.code).toBe(code);
    expect(encoded.data.toString('hex')).toBe(hex(data).toString('hex'));
    expect(decodeCommand(code, encoded.data)).toEqual({ ok: true, value: command });
  });

  it('carries several LED and buzzer records in one command', () => {
    const two: Command = { kind: 'LED', records: [ledRecord, { ...ledRecord, led: 2 }] };
    const { code, data } = encodeCommand(two);
    expect(data.length).toBe(28);
    expect(decodeCommand(code, data)).toEqual({ ok: true, value: two });
  });

  it.each([
    ['POLL with data', CommandCode.POLL, '00', 'length'],
    ['ID without its byte', CommandCode.ID, '', 'length'],
    ['CAP with two bytes', CommandCode.CAP, '0000', 'length'],
    ['LED of 13 bytes', CommandCode.LED, '00'.repeat(13), 'length'],
    ['LED of 15 bytes', CommandCode.LED, '00'.repeat(15), 'length'],
    ['LED without records', CommandCode.LED, '', 'length'],
    ['BUZ of 4 bytes', CommandCode.BUZ, '00000000', 'length'],
    ['TEXT shorter than its header', CommandCode.TEXT, '0001020304', 'length'],
    ['TEXT whose length says more than it has', CommandCode.TEXT, '00 01 00 00 00 05 41', 'length'],
    ['TEXT whose length says less than it has', CommandCode.TEXT, '00 01 00 00 00 00 41', 'length'],
    ['TEXT with command 5', CommandCode.TEXT, '00 05 00 00 00 00', 'value'],
    ['COMSET of 4 bytes', CommandCode.COMSET, '00802500', 'length'],
    ['COMSET to the broadcast address', CommandCode.COMSET, '7F 80250000', 'value'],
    ['KEYSET without its header', CommandCode.KEYSET, '01', 'length'],
    ['KEYSET whose key length lies', CommandCode.KEYSET, '01 10 ' + 'ab'.repeat(15), 'length'],
    ['CHLNG of 7 bytes', CommandCode.CHLNG, '01'.repeat(7), 'length'],
    ['SCRYPT of 17 bytes', CommandCode.SCRYPT, '01'.repeat(17), 'length'],
    ['an unknown command', 0x7e, '', 'unknown'],
    ['a command without a codec here', CommandCode.OUT, '00000000', 'unknown'],
  ])('refuses %s with a typed error', (_what, code, data, reason) => {
    const result = decodeCommand(code, hex(data));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error).toBeInstanceOf(OsdpPayloadError);
    expect(result.error).toMatchObject({ code, reason, messageName: commandName(code) });
  });

  it('never puts key bytes in an error message', () => {
    const result = decodeCommand(CommandCode.KEYSET, hex('01 10 ' + 'c3'.repeat(15)));
    expect(!result.ok && result.error.message).not.toMatch(/c3/i);
  });

  it.each([
    ['an LED command without records', { kind: 'LED', records: [] }],
    [
      'a colour above 255',
      {
        kind: 'LED',
        records: [{ ...ledRecord, permanent: { control: 1, onTime: 0, offTime: 0, onColour: 256, offColour: 0 } }],
      },
    ],
    ['a TEXT command 0', { kind: 'TEXT', reader: 0, command: 0, temporarySeconds: 0, row: 0, column: 0, text: Buffer.alloc(0) }],
    ['a TEXT of 256 characters', { kind: 'TEXT', reader: 0, command: 1, temporarySeconds: 0, row: 0, column: 0, text: Buffer.alloc(256) }],
    ['COMSET to 0x7F', { kind: 'COMSET', address: 0x7f, baudRate: 9600 }],
    ['COMSET at 12345 baud', { kind: 'COMSET', address: 1, baudRate: 12345 }],
    ['an empty key', { kind: 'KEYSET', keyType: 1, key: Buffer.alloc(0) }],
    ['a 7-byte challenge', { kind: 'CHLNG', rndA: Buffer.alloc(7) }],
  ])('refuses to encode %s', (_what, command) => {
    expect(() => encodeCommand(command as Command)).toThrow(OsdpEncodeError);
  });

  it('names commands, known or not', () => {
    expect(commandName(0x69)).toBe('osdp_LED');
    expect(commandName(0xa7)).toBe('osdp_KEEPACTIVE');
    expect(commandName(0x01)).toBe('command 0x01');
  });
});
