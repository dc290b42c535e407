/**
 * What the retention rules say for a customer's access history. The default follows the privacy
 * statement: history lives until the customer's end of service. The compliance issue makes this
 * configurable and applies it (erasure or pseudonymisation); this library only reports it.
 */
export interface AccessLogRetentionPolicy {
  /** `until_end_of_service`: history is kept while the contract runs and `graceDays` after. */
  mode: 'until_end_of_service';
  graceDays: number;
  /** Where the policy comes from, for the status page. */
  source: 'default' | 'configuration';
}

export const DEFAULT_RETENTION_POLICY: AccessLogRetentionPolicy = { mode: 'until_end_of_service', graceDays: 0, source: 'default' };

export type RetentionState =
  /** Service has not ended (or has no end date): history is kept. */
  | 'retained'
  /** The policy's instant has passed; the compliance job has not applied it yet. */
  | 'due'
  /** The customer was purged. */
  | 'applied';

export interface RetentionStatus {
  customerId: string;
  policy: AccessLogRetentionPolicy;
  serviceEnd: number | null;
  /** When the policy would apply (null while the service has no end date). */
  appliesAt: number | null;
  state: RetentionState;
  events: number;
  oldestAt: number | null;
  newestAt: number | null;
}

const DAY_MS = 86_400_000;

export function retentionState(
  policy: AccessLogRetentionPolicy,
  customer: { serviceEnd: number | null; purgedAt: number | null },
  now: number,
): { appliesAt: number | null; state: RetentionState } {
  const appliesAt = customer.serviceEnd === null ? null : customer.serviceEnd + policy.graceDays * DAY_MS;
  if (customer.purgedAt !== null) return { appliesAt, state: 'applied' };
  return { appliesAt, state: appliesAt !== null && now >= appliesAt ? 'due' : 'retained' };
}
