import { STAFF_ROLES, type StaffRole } from '../roles.js';

/** One `claim value=role` pair of OIDC_ROLE_MAP, in the order written (the order is the precedence). */
export interface RoleMapping {
  value: string;
  role: StaffRole;
}

/**
 * Parses OIDC_ROLE_MAP (`acs-admins=admin,acs-guards=security`). Throws on a pair that is not
 * `value=role` or names a role this product does not have: a typo must stop the start-up, not
 * silently leave people without access (or with the wrong one).
 */
export function parseRoleMap(text: string): RoleMapping[] {
  const out: RoleMapping[] = [];
  for (const raw of text.split(',')) {
    const pair = raw.trim();
    if (pair === '') continue;
    const eq = pair.lastIndexOf('=');
    const value = eq > 0 ? pair.slice(0, eq).trim() : '';
    const role = eq > 0 ? pair.slice(eq + 1).trim() : '';
    if (value === '' || !(STAFF_ROLES as readonly string[]).includes(role)) {
      throw new Error(`OIDC_ROLE_MAP: "${pair}" is not claim-value=role with role one of ${STAFF_ROLES.join(', ')}`);
    }
    out.push({ value, role: role as StaffRole });
  }
  if (out.length === 0) throw new Error('OIDC_ROLE_MAP: names no mapping');
  return out;
}

/**
 * The staff role for a role claim's value (a string, or an array of strings as most providers
 * send groups): the first mapping, in the order written, whose value the person has; null when
 * none matches (the sign-in is refused). Anything that is not a string is ignored, never coerced.
 */
export function mapRole(claim: unknown, mappings: readonly RoleMapping[]): StaffRole | null {
  const held = new Set(typeof claim === 'string' ? [claim] : Array.isArray(claim) ? claim.filter((v): v is string => typeof v === 'string') : []);
  return mappings.find((m) => held.has(m.value))?.role ?? null;
}
