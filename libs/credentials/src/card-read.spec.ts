import { describe, expect, it } from '@jest/globals';
import { canonicalCardBytes, cardHint, credentialScope, type CardRead } from '@acs/credentials';
import { customerScope } from '@acs/registry';

const read = (bitCount: number, hex: string, format: CardRead['format'] = 'unspecified'): CardRead => ({ format, bitCount, data: Buffer.from(hex, 'hex') });

describe('card reads', () => {
  it.each([
    // 26-bit H10301: P FFFFFFFF NNNNNNNNNNNNNNNN P, left-justified in 4 bytes.
    ['26-bit: the 16-bit card number (51347 -> 47), not the whole read', read(26, '3de44980'), '47'],
    ['26-bit: card number 5 -> 05', read(26, '3d800280'), '05'],
    ['32-bit: the whole value (0x01020304 = 16909060 -> 60)', read(32, '01020304'), '60'],
    ['40-bit whole value', read(40, '0000000064'), '00'],
  ])('hint: %s', (_name, r, hint) => {
    expect(cardHint(r)).toBe(hint);
  });

  it('canonical bytes: bit count first, padding bits cleared, format ignored', () => {
    expect(canonicalCardBytes(read(26, '3de449bf')).toString('hex')).toBe('001a3de44980');
    expect(canonicalCardBytes(read(26, '3de44980', 'wiegand'))).toEqual(canonicalCardBytes(read(26, '3de44980')));
    expect(canonicalCardBytes(read(32, '3de44980'))).not.toEqual(canonicalCardBytes(read(26, '3de44980')));
  });

  it('hashes under the same data-key scope as the registry’s personal data, so shredding a customer takes both', () => {
    expect(credentialScope('c-1')).toBe(customerScope('c-1'));
  });
});
