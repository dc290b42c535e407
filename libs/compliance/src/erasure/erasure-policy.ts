import type { ErasureKind } from '../entities.js';

/** An unreleased legal hold on the job's customer: the whole customer (`personId` null) or one person. */
export interface ActiveHold {
  id: string;
  personId: string | null;
}

export interface ErasurePolicyInput {
  kind: ErasureKind;
  /** The erased person (`person`, `biometrics`, `visitor`: the visit's id, also its person's); null for a customer purge. */
  personId: string | null;
  /** HISTORY_RETENTION: what end of service does to a customer's access history. */
  historyRetention: 'delete' | 'pseudonymise';
  /** Every unreleased hold on the job's customer; the policy picks the ones that apply. */
  holds: readonly ActiveHold[];
}

/** A part the erasure postpones while a hold applies; it is erased after the release, under a new certificate. */
export type DeferrablePart = 'names' | 'history' | 'key';

export interface ErasurePolicy {
  /** The holds that apply to this erasure (empty: nothing is deferred). */
  holdIds: string[];
  /**
   * Template copies on the readers and on the server: always erased, a hold or not (a hold keeps
   * records for an authority; a template is never such a record).
   */
  templates: 'delete';
  /**
   * A customer whose service ended is covered by no door, so its server copies may wait for the
   * server-data step. A person's go in the same transaction that queues the readers' deletes:
   * otherwise the next reader plan would store them again.
   */
  serverTemplatesWith: 'readers' | 'server_data';
  /** A purged customer's self-service tokens stop working, hold or not: a hold keeps records, not access. */
  apiTokens: 'revoke' | 'keep';
  /** People (names, contact data, grants) and, for a customer, the contact person. */
  names: 'delete' | 'defer' | 'keep';
  /**
   * Access history: a customer's by the retention setting; one person's events leave the chain
   * (`strip_person`); consent withdrawn touches biometrics only.
   */
  history: 'delete' | 'pseudonymise' | 'strip_person' | 'defer' | 'keep';
  /**
   * The customer's data key (crypto-shredding). Only a customer purge destroys it: the key seals
   * every name of the customer, so it also stays while any of them is held.
   */
  key: { action: 'destroy' } | { action: 'defer'; reason: 'legal_hold' } | { action: 'keep'; reason: 'shared_customer_key' };
}

/**
 * What an erasure does with each kind of data, from what it erases and the holds in force (GDPR
 * Art. 17(3)(b)/(e): a legal hold defers erasure of the held records). Pure: each step asks again
 * with the holds of the moment, so a hold placed or released mid-job applies from the next step.
 */
export function erasurePolicy(input: ErasurePolicyInput): ErasurePolicy {
  const { kind } = input;
  // For a customer purge any hold (whole customer or one person) applies: the key seals every name.
  const holds = kind === 'customer' ? input.holds : input.holds.filter((h) => h.personId === null || h.personId === input.personId);
  const held = holds.length > 0;
  const names = kind === 'biometrics' ? 'keep' : held ? 'defer' : 'delete';
  // A visitor's passages stay in the customer's history (ids only, like every event) under the
  // customer's retention: the visit's erasure takes the name behind the id, not the record of entry.
  const history = kind === 'biometrics' || kind === 'visitor' ? 'keep' : held ? 'defer' : kind === 'person' ? 'strip_person' : input.historyRetention;
  const key: ErasurePolicy['key'] =
    kind !== 'customer' ? { action: 'keep', reason: 'shared_customer_key' } : held ? { action: 'defer', reason: 'legal_hold' } : { action: 'destroy' };
  return {
    holdIds: holds.map((h) => h.id),
    templates: 'delete',
    serverTemplatesWith: kind === 'customer' ? 'server_data' : 'readers',
    apiTokens: kind === 'customer' ? 'revoke' : 'keep',
    names,
    history,
    key,
  };
}
