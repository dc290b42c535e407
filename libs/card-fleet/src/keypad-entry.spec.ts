import { describe, expect, it } from '@jest/globals';
import { KEYPAD_IDLE_MS, KeypadEntry } from './keypad-entry.js';

describe('KeypadEntry', () => {
  it.each([
    ['one report, # enters', ['1234#'], [{ pin: '1234', cancelled: false }]],
    ['keys one by one', ['1', '2', '3', '4', '#'], [{ pin: '1234', cancelled: false }]],
    ['* cancels what was typed', ['12*'], [{ pin: '', cancelled: true }]],
    ['# with nothing typed is no entry', ['#'], []],
    [
      'two entries in one report',
      ['11#22#'],
      [
        { pin: '11', cancelled: false },
        { pin: '22', cancelled: false },
      ],
    ],
    ['other characters are ignored', ['1a2 3\u00004#'], [{ pin: '1234', cancelled: false }]],
    ['a runaway entry is cut at 16 keys', ['12345678901234567'], [{ pin: '1234567890123456', cancelled: false }]],
  ])('%s', (_what, reports, entries) => {
    const k = new KeypadEntry();
    expect(reports.flatMap((r, i) => k.push(r, i))).toEqual(entries);
  });

  it('forgets a half-typed PIN after the idle time, so the next person does not inherit it', () => {
    const k = new KeypadEntry();
    expect(k.push('12', 0)).toEqual([]);
    expect(k.push('34#', KEYPAD_IDLE_MS + 1)).toEqual([{ pin: '34', cancelled: false }]);
    expect(k.push('56', KEYPAD_IDLE_MS + 2)).toEqual([]);
    expect(k.push('78#', 2 * KEYPAD_IDLE_MS)).toEqual([{ pin: '5678', cancelled: false }]);
  });

  it('clear drops the keys typed so far (a card read, the reader went offline)', () => {
    const k = new KeypadEntry();
    k.push('99', 0);
    k.clear();
    expect(k.push('1#', 1)).toEqual([{ pin: '1', cancelled: false }]);
  });
});
