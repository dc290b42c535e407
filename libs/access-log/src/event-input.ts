import { timeOrderedId } from '@acs/crypto';
import { DomainError } from '@acs/http';
import {
  ACCESS_CREDENTIALS,
  ACCESS_DIRECTIONS,
  ACCESS_EVENT_KINDS,
  ACCESS_RESULTS,
  type AccessEvent,
  type AccessEventInput,
  type AppendFenceRef,
  chainIdFor,
  REASON_PATTERN,
} from './model.js';

/** An event checked and given its ids, not yet placed in its chain. */
export type PreparedEvent = Omit<AccessEvent, 'seq' | 'prevHash' | 'hash' | 'recordedAt'>;

/** What waits in the batcher: the event and the lease it was made under, if any. */
export type QueuedEvent = { event: PreparedEvent; fence: AppendFenceRef | null };

const ID = /^[A-Za-z0-9-]{1,36}$/;

export function invalid(field: string, message: string): DomainError {
  return new DomainError('access_log.invalid_event', message, 400, { field });
}

/** The fence an attempt carries, checked for shape (the lease table checks it for currency). */
export function fenceOf(i: AccessEventInput): AppendFenceRef | null {
  if (!i.fence) return null;
  if (typeof i.fence.lease !== 'string' || !Number.isSafeInteger(i.fence.token)) throw invalid('fence', 'fence must name a lease and its token');
  return { lease: i.fence.lease, token: i.fence.token };
}

/**
 * Checks an event from a producer (the badge-in engine, a replay) and gives it its ids and chain.
 * Refused synchronously with `access_log.invalid_event`, naming the field, never its value.
 */
export function prepareEvent(i: AccessEventInput): PreparedEvent {
  const optionalId = (field: string, v: string | null | undefined): string | null => {
    if (v === undefined || v === null) return null;
    if (!ID.test(v)) throw invalid(field, `${field} is not an id`);
    return v;
  };
  if (!ID.test(i.siteId ?? '')) throw invalid('siteId', 'siteId is required');
  const customerId = optionalId('customerId', i.customerId);
  const personId = optionalId('personId', i.personId);
  if (personId !== null && customerId === null) throw invalid('personId', 'an event with a person belongs to that person’s customer');
  if (!(ACCESS_DIRECTIONS as readonly string[]).includes(i.direction)) throw invalid('direction', 'direction must be entry or exit');
  if (!(ACCESS_RESULTS as readonly string[]).includes(i.result)) throw invalid('result', 'result must be granted or denied');
  if (!REASON_PATTERN.test(i.reason ?? '')) throw invalid('reason', 'reason must be a reason code');
  const kind = i.kind ?? 'attempt';
  if (!(ACCESS_EVENT_KINDS as readonly string[]).includes(kind)) throw invalid('kind', 'kind must be attempt or follow_up');
  if (!Number.isSafeInteger(i.occurredAt) || i.occurredAt < 0) throw invalid('occurredAt', 'occurredAt must be epoch milliseconds');
  const id = optionalId('id', i.id) ?? timeOrderedId();
  const attemptId = optionalId('attemptId', i.attemptId) ?? (kind === 'attempt' ? id : null);
  if (attemptId === null) throw invalid('attemptId', 'a follow-up names the attempt it belongs to');
  // The value is never echoed: a producer bug could pass a card number here.
  const credential = i.credential ?? null;
  if (credential !== null && !(ACCESS_CREDENTIALS as readonly string[]).includes(credential))
    throw invalid('credential', 'credential must be a credential kind');
  if (credential !== null && kind !== 'attempt') throw invalid('credential', 'a follow-up carries no credential; its attempt does');
  return {
    id,
    chainId: chainIdFor({ customerId, siteId: i.siteId }),
    customerId,
    personId,
    siteId: i.siteId,
    zoneId: optionalId('zoneId', i.zoneId),
    doorId: optionalId('doorId', i.doorId),
    readerId: optionalId('readerId', i.readerId),
    direction: i.direction,
    result: i.result,
    reason: i.reason,
    kind,
    attemptId,
    occurredAt: i.occurredAt,
    credential,
    degraded: false,
  };
}
