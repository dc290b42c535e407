/**
 * What the retention rules say for a customer's access history. The default follows the privacy
 * statement: history lives until the customer's end of service. `HISTORY_RETENTION=pseudonymise`
 * (libs/compliance applies it) strips the person from every event at end of service and keeps the
 * rest for a number of days. This library only reports the policy; compliance applies it.
 */
export interface AccessLogRetentionPolicy {
  /**
   * `until_end_of_service`: history is kept while the contract runs and `graceDays` after, then deleted.
   * `pseudonymise`: at that moment person ids are stripped; the events are deleted `keepDays` after service end.
   */
  mode: 'until_end_of_service' | 'pseudonymise';
  graceDays: number;
  /** `pseudonymise` only: days the pseudonymised history is kept after the end of service. */
  keepDays?: number;
  /** Where the policy comes from, for the status page. */
  source: 'default' | 'configuration';
}

export const DEFAULT_RETENTION_POLICY: AccessLogRetentionPolicy = { mode: 'until_end_of_service', graceDays: 0, source: 'default' };

export type RetentionState =
  /** Service has not ended (or has no end date): history is kept. */
  | 'retained'
  /** The policy's instant has passed (or the keeping period ended); the compliance job has not applied it yet. */
  | 'due'
  /** Purged under `pseudonymise`: history without persons, kept until `keepUntil`. */
  | 'pseudonymised'
  /** The customer was purged and no history is left to keep. */
  | 'applied';

export interface RetentionStatus {
  customerId: string;
  policy: AccessLogRetentionPolicy;
  serviceEnd: number | null;
  /** When the policy would apply (null while the service has no end date). */
  appliesAt: number | null;
  /** The last day any of the history is kept: `appliesAt` when deleted then, service end + keepDays when pseudonymised. */
  keepUntil: number | null;
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
  events = 0,
): { appliesAt: number | null; keepUntil: number | null; state: RetentionState } {
  const appliesAt = customer.serviceEnd === null ? null : customer.serviceEnd + policy.graceDays * DAY_MS;
  const keepUntil = policy.mode === 'pseudonymise' ? (customer.serviceEnd === null ? null : customer.serviceEnd + (policy.keepDays ?? 0) * DAY_MS) : appliesAt;
  if (customer.purgedAt !== null) {
    if (policy.mode !== 'pseudonymise' || events === 0) return { appliesAt, keepUntil, state: 'applied' };
    return { appliesAt, keepUntil, state: keepUntil !== null && now >= keepUntil ? 'due' : 'pseudonymised' };
  }
  return { appliesAt, keepUntil, state: appliesAt !== null && now >= appliesAt ? 'due' : 'retained' };
}
