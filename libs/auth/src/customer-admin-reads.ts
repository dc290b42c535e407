import { type EntityManager, In, IsNull } from 'typeorm';
import { CUSTOMER_ADMIN } from './roles.js';
import { StaffAccountEntity } from './staff-account.entity.js';

// Reads of auth's account table for libs that address customer administrators (notifications).
// Plain functions over an EntityManager so a caller can read inside its own transaction.

/** Of the given accounts, those that are enabled customer administrators of `customerId`. */
export async function activeCustomerAdmins(m: EntityManager, customerId: string, staffIds: readonly string[]): Promise<Set<string>> {
  if (staffIds.length === 0) return new Set();
  const rows = await m.getRepository(StaffAccountEntity).find({
    where: { id: In([...staffIds]), customerId, role: CUSTOMER_ADMIN, disabledAt: IsNull() },
    select: { id: true },
  });
  return new Set(rows.map((r) => r.id));
}
