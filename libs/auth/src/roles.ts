/**
 * Staff roles (issue 2):
 * - admin: everything, including staff accounts and tokens.
 * - security: devices, doors, enrolment, live monitoring.
 * - compliance: purges, data-subject requests, legal holds.
 * - auditor: read-only audit trail and history.
 * Customer tokens are not a staff role: they are scoped to one customer.
 */
export const STAFF_ROLES = ['admin', 'security', 'compliance', 'auditor'] as const;
export type StaffRole = (typeof STAFF_ROLES)[number];

/**
 * A customer's own administrator (issue 19): a person account in `staff_account` with a
 * `customer_id`, signing in like staff, but scoped exactly like that customer's tokens. Never a
 * staff role, so no `@Allow(...)` list can name it by accident.
 */
export const CUSTOMER_ADMIN = 'customer_admin';
export const ACCOUNT_ROLES = [...STAFF_ROLES, CUSTOMER_ADMIN] as const;
export type AccountRole = (typeof ACCOUNT_ROLES)[number];

/**
 * Who is calling. A person signed in through the browser has `sessionId` (the session row's id,
 * also in `tokenId`, which per-credential limits key on); a bearer token has neither. A customer
 * principal with `staffId` is a customer administrator's account (its row in `staff_account`);
 * without it, a customer token. Both are authorised alike: only their own customer's routes.
 */
export type Principal =
  | { kind: 'staff'; tokenId: string; staffId: string; role: StaffRole; sessionId?: string }
  | { kind: 'customer'; tokenId: string; customerId: string; staffId?: string; role?: typeof CUSTOMER_ADMIN; sessionId?: string };

/** The principal of a person's account: staff, or a customer administrator scoped to its customer. */
export function principalOfAccount(account: { id: string; role: AccountRole; customerId: string | null }, tokenId: string, sessionId?: string): Principal {
  const session = sessionId === undefined ? {} : { sessionId };
  if (account.customerId !== null || account.role === CUSTOMER_ADMIN) {
    // A customer_admin row always has its customer (CHECK in the service); a row without one is
    // given an id that matches no route parameter, so it reaches nothing rather than everything.
    return { kind: 'customer', tokenId, customerId: account.customerId ?? 'none', staffId: account.id, role: CUSTOMER_ADMIN, ...session };
  }
  return { kind: 'staff', tokenId, staffId: account.id, role: account.role, ...session };
}

/** The person account behind the principal (staff or customer administrator), or undefined for a customer token. */
export function accountIdOf(p: Principal | undefined): string | undefined {
  return p?.staffId;
}

export function actorOf(p: Principal | undefined): { actorType: string; actorId: string | null; role: string | null } {
  if (!p) return { actorType: 'anonymous', actorId: null, role: null };
  if (p.kind === 'staff') return { actorType: 'staff', actorId: p.staffId, role: p.role };
  if (p.staffId !== undefined) return { actorType: CUSTOMER_ADMIN, actorId: p.staffId, role: CUSTOMER_ADMIN };
  return { actorType: 'customer', actorId: p.customerId, role: 'customer' };
}
