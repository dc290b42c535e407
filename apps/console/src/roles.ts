import type { StaffRole } from './session';

/**
 * Which pages each role sees. Mirrors the API's route policies (the controllers under libs/) so
 * nobody is shown a page whose every request would be refused.
 */
export const PAGES = [
  { path: 'live', label: 'Live', roles: ['admin', 'security'] },
  { path: 'people', label: 'People', roles: ['admin', 'security', 'compliance', 'auditor'] },
  { path: 'enrol', label: 'Enrolment', roles: ['admin', 'security'] },
  { path: 'zones', label: 'Zones', roles: ['admin', 'security'] },
  { path: 'history', label: 'History', roles: ['admin', 'security', 'compliance', 'auditor'] },
  { path: 'compliance', label: 'Compliance', roles: ['admin', 'compliance', 'auditor'] },
  { path: 'audit', label: 'Audit', roles: ['admin', 'compliance', 'auditor'] },
  { path: 'requests', label: 'Access requests', roles: ['admin', 'security', 'compliance', 'auditor'] },
  { path: 'visitors', label: 'Visitors today', roles: ['admin', 'security'] },
  { path: 'accounts', label: 'Accounts', roles: ['admin'] },
  // A customer administrator reaches only its own customer's routes (AllowStaffOrOwnCustomer).
  { path: 'customer', label: 'Our people', roles: ['customer_admin'] },
  { path: 'portal-requests', label: 'Requests', roles: ['customer_admin'] },
  { path: 'portal-visitors', label: 'Visitors', roles: ['customer_admin'] },
  { path: 'portal-history', label: 'History', roles: ['customer_admin'] },
] as const satisfies ReadonlyArray<{ path: string; label: string; roles: readonly StaffRole[] }>;

export type PagePath = (typeof PAGES)[number]['path'];

export function pagesFor(role: StaffRole): Array<(typeof PAGES)[number]> {
  return PAGES.filter((p) => (p.roles as readonly StaffRole[]).includes(role));
}
