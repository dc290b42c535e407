import { ACCESS_REASONS, BADGE_IN_ONLY_REASONS } from '@acs/access-rules';

export const ACCESS_DIRECTIONS = ['entry', 'exit'] as const;
export type AccessDirection = (typeof ACCESS_DIRECTIONS)[number];

export const ACCESS_RESULTS = ['granted', 'denied'] as const;
export type AccessResult = (typeof ACCESS_RESULTS)[number];

/**
 * `attempt`: a finger on a reader and the decision. `follow_up`: something learnt later about an
 * attempt (the door really opened, the controller never confirmed), linked by `attemptId`.
 * Totals count attempts only, so a follow-up never counts an entry twice.
 */
export const ACCESS_EVENT_KINDS = ['attempt', 'follow_up'] as const;
export type AccessEventKind = (typeof ACCESS_EVENT_KINDS)[number];

/**
 * Codes of follow-up events (`kind: 'follow_up'`): what happened after an attempt. The decision
 * codes themselves come from the access rules (`ACCESS_REASONS`, `BADGE_IN_ONLY_REASONS`).
 */
export const FOLLOW_UP_REASONS = ['entered', 'door_unreachable', 'not_entered'] as const;

/**
 * Every documented reason code of an access event. The column is a free string so a new code
 * needs no migration; this list is the documentation, and a spec checks every decision reason
 * of the badge-in engine is in it and fits the column.
 */
export const ACCESS_EVENT_REASONS: readonly string[] = [...new Set<string>([...ACCESS_REASONS, ...BADGE_IN_ONLY_REASONS, ...FOLLOW_UP_REASONS])];

/**
 * What an attempt was made with (issue 17): the factor kinds presented, card first, then PIN,
 * then finger, joined with `+` (the credential policies' spelling). `pin` alone is a PIN typed
 * with no card before it.
 */
export const ACCESS_CREDENTIALS = ['fingerprint', 'card', 'card+pin', 'card+fingerprint', 'pin'] as const;
export type AccessCredential = (typeof ACCESS_CREDENTIALS)[number];

/** Shape of a reason code: new ones must look like the documented ones. */
export const REASON_PATTERN = /^[a-z][a-z0-9_]{0,47}$/;

/** What a producer (the badge-in engine) hands to {@link AccessLogService.append}. Ids only. */
export interface AccessEventInput {
  /** Assigned (UUIDv7) when absent; give one to know it before the event is durable. */
  id?: string;
  /** Null for an attempt that belongs to no customer (an unknown finger): site-level chain. */
  customerId: string | null;
  personId?: string | null;
  siteId: string;
  zoneId?: string | null;
  doorId?: string | null;
  readerId?: string | null;
  direction: AccessDirection;
  result: AccessResult;
  /** One of {@link ACCESS_EVENT_REASONS}: the decision's reason, or a follow-up code. */
  reason: string;
  kind?: AccessEventKind;
  /** Required for a follow-up (the attempt it belongs to); an attempt is its own attempt. */
  attemptId?: string;
  /** When the device saw it or the decision was taken (epoch ms). */
  occurredAt: number;
  /** The credentials presented in an attempt (never a card number); absent on a follow-up. */
  credential?: AccessCredential | null;
  /**
   * The device lease the attempt was made under (a reader or controller that may fail over):
   * checked in the write's transaction and refused with `access_log.stale_fence` when the lease
   * has passed to another instance since. Not stored.
   */
  fence?: AppendFenceRef | null;
}

/** A device lease and the fencing token its holder had. */
export interface AppendFenceRef {
  lease: string;
  token: number;
}

/** A stored event: the input plus what the log adds (chain position, hashes, record time). */
export interface AccessEvent {
  id: string;
  chainId: string;
  seq: number;
  customerId: string | null;
  personId: string | null;
  siteId: string;
  zoneId: string | null;
  doorId: string | null;
  readerId: string | null;
  direction: AccessDirection;
  result: AccessResult;
  reason: string;
  kind: AccessEventKind;
  attemptId: string;
  occurredAt: number;
  recordedAt: number;
  prevHash: string;
  hash: string;
  /** What the attempt was made with; null on follow-ups and on attempts recorded before issue 17. */
  credential: AccessCredential | null;
  /**
   * Decided while the database was unreachable (degraded mode): committed to this instance's
   * spool before the door opened and replayed into the history when the database was back.
   */
  degraded: boolean;
}

/**
 * The chain an event belongs to: its customer's, or its site's for attempts without a customer.
 * Per-customer chains let the compliance issue erase one customer without breaking any other.
 */
export function chainIdFor(e: { customerId: string | null; siteId: string }): string {
  return e.customerId ?? `site:${e.siteId}`;
}
