import { describe, expect, it } from '@jest/globals';
import { cefSeverity, escapeCefHeader, escapeCefValue, formatCef } from './cef.js';

describe('CEF escaping', () => {
  it.each([
    ['plain', 'plain'],
    ['pipe|in header', 'pipe\\|in header'],
    ['back\\slash', 'back\\\\slash'],
    ['equals = stays in a header', 'equals = stays in a header'],
    ['line\nbreak', 'line break'],
  ])('header %j → %j', (v, out) => expect(escapeCefHeader(v)).toBe(out));

  it.each([
    ['plain value', 'plain value'],
    ['a=b', 'a\\=b'],
    ['back\\slash', 'back\\\\slash'],
    ['pipe|stays in an extension', 'pipe|stays in an extension'],
    ['two\nlines', 'two\\nlines'],
    ['cr\r\nlf', 'cr\\nlf'],
    ['lone\rcr', 'lone\\rcr'],
  ])('extension value %j → %j', (v, out) => expect(escapeCefValue(v)).toBe(out));
});

describe(formatCef.name, () => {
  it('writes the seven header fields and the extension', () => {
    expect(
      formatCef({
        vendor: 'acs',
        product: 'access|control',
        version: '1',
        signatureId: 'access:unknown_finger',
        name: 'access denied unknown_finger',
        severity: 3,
        extension: [
          ['rt', 1795000000000],
          ['act', 'unknown_finger'],
          ['cs6', 'a=b'],
        ],
      }),
    ).toBe('CEF:0|acs|access\\|control|1|access:unknown_finger|access denied unknown_finger|3|rt=1795000000000 act=unknown_finger cs6=a\\=b');
  });

  it('refuses a severity outside 0-10 and a key that is not one', () => {
    const e = { vendor: 'a', product: 'b', version: '1', signatureId: 's', name: 'n', extension: [] };
    expect(() => formatCef({ ...e, severity: 11 })).toThrow(/severity/);
    expect(() => formatCef({ ...e, severity: 1, extension: [['bad key', 'v']] })).toThrow(/key/);
  });

  it.each([
    [0, 10],
    [1, 10],
    [2, 9],
    [3, 7],
    [4, 5],
    [5, 3],
    [6, 1],
    [7, 0],
  ])('syslog severity %d → CEF %d', (s, c) => expect(cefSeverity(s)).toBe(c));
});
