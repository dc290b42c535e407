import { describe, expect, it } from '@jest/globals';
import { mapRole, parseRoleMap } from './role-map.js';

describe('OIDC role mapping', () => {
  const map = parseRoleMap(' acs-admins=admin, acs-guards = security ,dpo=compliance,,team=a=b=auditor');

  it('parses pairs in order; the last = splits value from role', () => {
    expect(map).toEqual([
      { value: 'acs-admins', role: 'admin' },
      { value: 'acs-guards', role: 'security' },
      { value: 'dpo', role: 'compliance' },
      { value: 'team=a=b', role: 'auditor' },
    ]);
  });

  it.each([['acs-admins=root'], ['=admin'], ['acs-admins'], [''], [' , ']])('refuses %j', (text) => {
    expect(() => parseRoleMap(text)).toThrow(/OIDC_ROLE_MAP/);
  });

  it.each<[string, unknown, string | null]>([
    ['one string', 'acs-guards', 'security'],
    ['an array, first mapping wins whatever the claim order', ['dpo', 'acs-guards', 'acs-admins'], 'admin'],
    ['an array without a mapped value', ['visitors', 'staff'], null],
    ['case matters', ['ACS-ADMINS'], null],
    ['no claim', undefined, null],
    ['a number is not coerced', 42, null],
    ['non-strings in the array are ignored', [1, null, { value: 'dpo' }, 'dpo'], 'compliance'],
    ['an object', { 'acs-admins': true }, null],
  ])('%s', (_name, claim, role) => {
    expect(mapRole(claim, map)).toBe(role);
  });
});
