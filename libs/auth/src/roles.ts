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
 * Who is calling. A staff member signed in through the browser has `sessionId` (the session row's
 * id, also in `tokenId`, which per-credential limits key on); a bearer token has neither.
 */
export type Principal =
  { kind: 'staff'; tokenId: string; staffId: string; role: StaffRole; sessionId?: string } | { kind: 'customer'; tokenId: string; customerId: string };

export function actorOf(p: Principal | undefined): { actorType: string; actorId: string | null; role: string | null } {
  if (!p) return { actorType: 'anonymous', actorId: null, role: null };
  return p.kind === 'staff' ? { actorType: 'staff', actorId: p.staffId, role: p.role } : { actorType: 'customer', actorId: p.customerId, role: 'customer' };
}
