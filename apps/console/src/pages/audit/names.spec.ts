import { describe, expect, it } from '@jest/globals';
import { detailLabel, detailValue, typeLabel } from './names';

describe('Audit: readable fields', () => {
  it.each([
    ['readerId', 'Reader'],
    ['matchedRecord', 'Matched record'],
    ['sessionId', 'Session'],
    ['code', 'Code'],
    ['history_retention', 'History retention'],
  ])('detail key %s reads "%s"', (key, label) => {
    expect(detailLabel(key)).toBe(label);
  });

  it.each([
    ['access_level', 'Access level'],
    ['customer', 'Customer'],
    ['staff', 'Staff account'],
    ['legal_hold', 'Legal hold'],
  ])('type %s reads "%s"', (type, label) => {
    expect(typeLabel(type)).toBe(label);
  });

  const names = new Map([['r1', 'Enrolment desk']]);
  it.each<[unknown, string]>([
    ['r1', 'Enrolment desk'],
    ['unknown-id', 'unknown-id'],
    [true, 'yes'],
    [false, 'no'],
    [3, '3'],
    [null, '—'],
  ])('detail value %p reads "%s"', (value, shown) => {
    expect(detailValue(value, names)).toBe(shown);
  });
});
