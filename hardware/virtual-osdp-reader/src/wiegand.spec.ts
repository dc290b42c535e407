import { describe, expect, it } from '@jest/globals';
import { parseWiegand26, wiegand26 } from './wiegand.js';

// H10301 (HID tech tip "The Standard 26 Bit Format"): E + 8 facility bits + 16 number bits + O;
// E even parity over the first 13 bits, O odd parity over the last 13. Expected frames written
// out by hand, bit by bit, then packed left-justified (synthetic numbers, not real cards).
const TABLE: Array<[number, number, string]> = [
  //  fc     number  E facility  number           O
  [0, 0, '0' + '00000000' + '0000000000000000' + '1'],
  [255, 65535, '0' + '11111111' + '1111111111111111' + '1'],
  [1, 1, '1' + '00000001' + '0000000000000001' + '0'],
  [4, 36117, '0' + '00000100' + '1000110100010101' + '1'],
  [128, 2, '1' + '10000000' + '0000000000000010' + '0'],
  [7, 32768, '0' + '00000111' + '1000000000000000' + '1'],
];

function pack(bits: string): Buffer {
  return Buffer.from((bits + '000000').match(/.{8}/g)!.map((b) => parseInt(b, 2)));
}

describe('wiegand26 (H10301)', () => {
  it.each(TABLE)('facility %i, number %i → %s', (fc, number, bits) => {
    expect(bits).toHaveLength(26);
    expect(wiegand26(fc, number)).toEqual(pack(bits));
    expect(parseWiegand26(pack(bits))).toEqual({ facilityCode: fc, cardNumber: number });
  });

  it('matches the frame the libosdp peer spec presents (02 46 8A C0)', () => {
    expect(wiegand26(4, 36117)).toEqual(Buffer.from([0x02, 0x46, 0x8a, 0xc0]));
  });

  it('any single flipped bit breaks a parity check', () => {
    const frame = wiegand26(93, 4711);
    for (let bit = 0; bit < 26; bit++) {
      const flipped = Buffer.from(frame);
      flipped[bit >> 3] ^= 0x80 >> (bit & 7);
      expect(parseWiegand26(flipped)).toBeUndefined();
    }
  });

  it('refuses values outside the format without naming them', () => {
    expect(() => wiegand26(256, 1)).toThrow('facility code must be 0..255');
    expect(() => wiegand26(1, 70000)).toThrow(/^card number must be 0\.\.65535$/);
  });
});
