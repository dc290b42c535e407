import type { CustomerStatus } from './customer.dto.js';

/** Derived, never stored: the dates and the purge decide it. */
export function customerStatus(c: { serviceStart: number; serviceEnd: number | null; purgedAt: number | null }, now: number): CustomerStatus {
  if (c.purgedAt !== null) return 'purged';
  if (c.serviceEnd !== null && now >= c.serviceEnd) return 'ended';
  if (now < c.serviceStart) return 'upcoming';
  return 'active';
}
