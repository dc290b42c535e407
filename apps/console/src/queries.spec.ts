import { describe, expect, it } from '@jest/globals';
import { keys } from './queries';

// Invalidation works by key prefix: a change that invalidates the outer key must reach the inner.
describe('console query keys', () => {
  it.each<[string, readonly unknown[], readonly unknown[]]>([
    ["a customer's people under the customer", keys.customer('c1'), keys.people('c1')],
    ['a person under their customer’s people', keys.people('c1'), keys.person('c1', 'p1')],
    ["a person's access under the person", keys.person('c1', 'p1'), keys.access('c1', 'p1')],
    ["a customer's grants under the customer", keys.customer('c1'), keys.grants('c1')],
    ['every customer query under the customer list', keys.customers(), keys.accessEvents('c1', {})],
    ['filtered requests under all requests', keys.requests(), keys.requests({ status: 'open' })],
    ['one erasure under the erasures', keys.erasures(), keys.erasure('j1')],
  ])('%s', (_name, outer, inner) => {
    expect(inner.slice(0, outer.length)).toEqual(outer);
    expect(inner.length).toBeGreaterThan(outer.length);
  });

  it.each<[string, readonly unknown[], readonly unknown[]]>([
    ["one customer's people are not another's", keys.people('c1'), keys.people('c2')],
    ['the reasons table is not under the audit trail', ['audit'], keys.reasons()],
  ])('%s', (_name, a, b) => {
    expect(b.slice(0, a.length)).not.toEqual(a);
  });
});
