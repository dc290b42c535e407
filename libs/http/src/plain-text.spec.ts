import { describe, expect, it } from '@jest/globals';
import { normalisePlainText, plainTextProblem } from './plain-text.js';

describe('plain text fields', () => {
  it.each([
    ['Jan de Vries', null],
    ['Zoë Ångström-Øster', null],
    ['José (e + combining acute)'.replace('é', 'e\u0301'), null],
    ['李小龍', null],
    ['O\u2019Brien', null],
    ['Name with emoji 🙂', null],
    ['A\u0000B', 'forbidden_character'],
    ['\u001b[31mred\u001b[0m', 'forbidden_character'],
    ['line\nbreak', 'forbidden_character'],
    ['tab\there', 'forbidden_character'],
    ['DEL\u007f', 'forbidden_character'],
    ['C1\u0085', 'forbidden_character'],
    ['Eve\u202Egnp.exe', 'forbidden_character'],
    ['isolate\u2067x\u2069', 'forbidden_character'],
    ['separator\u2028', 'forbidden_character'],
    ['lone \ud800 surrogate', 'forbidden_character'],
    ['', 'blank'],
    ['   ', 'blank'],
    ['\u00a0\u3000', 'blank'],
    ['\u200b', 'blank'],
    [42, 'not_string'],
  ] as const)('%j -> %s', (value, problem) => {
    expect(plainTextProblem(value)).toBe(problem);
  });

  it('normalises to NFC', () => {
    expect(normalisePlainText('Zoe\u0308')).toBe('Zo\u00eb');
    expect(normalisePlainText(7)).toBe(7);
  });
});
