import { describe, expect, it } from '@jest/globals';
import { checksum8, crc16 } from './crc.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('crc16 (CRC-16/AUG-CCITT)', () => {
  it('gives the catalogue check value 0xE5CC for "123456789"', () => {
    expect(crc16(Buffer.from('123456789', 'ascii'))).toBe(0xe5cc);
  });

  it('is the initial value 0x1D0F over no bytes', () => {
    expect(crc16(Buffer.alloc(0))).toBe(0x1d0f);
  });

  // OSDP v2.2 Annex E CRC examples, as carried in libosdp tests/unit-tests/test-sc-sia-vectors.c
  // (test_crc_vectors); the packet stores the CRC least significant byte first.
  it.each([
    ['53 7F 0D 00 04 6E 00 80 25 00 00', '6E 38'],
    ['53 00 09 00 04 61 00', 'C0 66'],
    // libosdp tests/unit-tests/test-cp-phy.c test_cp_build_packet_poll: osdp_POLL to PD 0x65.
    ['53 65 08 00 04 60', '60 90'],
    // libosdp tests/unit-tests/test-cp-phy.c: a NAK(1) reply with CRC.
    ['53 E5 09 00 05 41 01', '0E 8F'],
  ])('matches the CRC of %s', (body, trailer) => {
    const crc = crc16(hex(body));
    expect(Buffer.from([crc & 0xff, crc >> 8]).equals(hex(trailer))).toBe(true);
  });

  it('covers only [start, end)', () => {
    const packet = hex('FF 53 65 08 00 04 60 60 90');
    expect(crc16(packet, 1, 7)).toBe(0x9060);
  });
});

describe('checksum8', () => {
  // Annex E checksum examples (libosdp tests/unit-tests/test-sc-sia-vectors.c, test_crc_vectors).
  it.each([
    ['53 7F 0C 00 00 6E 00 80 25 00 00', 0x0f],
    ['53 00 08 00 00 61 00', 0x44],
    // libosdp tests/unit-tests/test-cp-phy.c: a plain ACK with checksum and an osdp_POLL with checksum.
    ['53 E5 07 00 01 40', 0x80],
    ['53 65 07 00 00 60', 0xe1],
  ])('of %s is %i', (body, expected) => {
    expect(checksum8(hex(body))).toBe(expected);
  });

  it('makes the byte sum of the covered bytes plus itself zero mod 256', () => {
    const bytes = Buffer.from([0xff, 0xfe, 0x01, 0x80, 0x7f]);
    const sum = [...bytes].reduce((a, b) => a + b, 0) + checksum8(bytes);
    expect(sum & 0xff).toBe(0);
    expect(checksum8(Buffer.alloc(0))).toBe(0);
  });
});
