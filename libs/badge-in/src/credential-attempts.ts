import { performance } from 'node:perf_hooks';
import {
  credentialPolicyFor,
  currentAttempt,
  decideCredentials,
  DEFAULT_CREDENTIAL_WINDOW_MS,
  type CardFacts,
  type CredentialPolicy,
  type FactorKind,
  type PresentedFactor,
} from '@acs/access-rules';
import type { AccessCredential } from '@acs/access-log';
import type { Clock } from '@acs/clock';
import type { CardRead, ResolvedCard } from '@acs/credentials';
import type { AttemptRequest, BadgeAttempts, BadgeOutcome, SiteModel } from './badge-attempts.js';
import type { SearchHit } from './reader-loops.js';
import type { ReaderBinding } from './topology.js';

export interface CredentialAttemptsDeps {
  attempts: Pick<BadgeAttempts, 'decide' | 'model'>;
  credentials: {
    resolveCardRead(read: CardRead): Promise<ResolvedCard | null>;
    verifyPin(cardId: string | null, pin: string): Promise<'match' | 'mismatch' | 'locked'>;
  };
  /** Amber at the reader while the second factor is awaited. */
  awaiting: (readerId: string) => void;
  clock: Clock;
  threshold: number;
  windowMs?: number;
  onOutcome: (o: BadgeOutcome) => void;
  logger: { error(message: string): void };
}

/** One door side's factors of the attempt under way, and the timer of its deadline. */
interface Open {
  factors: PresentedFactor[];
  bindings: Map<string, ReaderBinding>;
  ownerCustomerId: string | null;
  timer?: NodeJS.Timeout;
}

/** The order factors are named in the history: the credential policies' spelling. */
export function credentialOf(kinds: Iterable<FactorKind>): AccessCredential {
  const k = new Set(kinds);
  if (k.has('card') && k.has('fingerprint')) return 'card+fingerprint';
  if (k.has('card') && k.has('pin')) return 'card+pin';
  if (k.has('card')) return 'card';
  if (k.has('fingerprint')) return 'fingerprint';
  return 'pin';
}

/**
 * Cards, PINs and fingers at doors whose policy is not a finger alone (issue 17). Each door side
 * (door and direction: an entry reader outside and an exit reader inside never combine) collects
 * the factors of one attempt; `decideCredentials` (libs/access-rules credentials.ts) says
 * whether to wait for a second one, deny, or who it is; the answer then goes through the same
 * decide-record-act path as a finger ({@link BadgeAttempts.decide}).
 *
 * Work on one door side is serialised: a PIN's Argon2id check (tens of ms) must not let the
 * timeout or the next card overtake it.
 */
export class CredentialAttempts {
  private readonly open = new Map<string, Open>();
  private readonly chains = new Map<string, Promise<unknown>>();
  private stopped = false;

  constructor(private readonly deps: CredentialAttemptsDeps) {}

  /** The policy of the door a reader serves, or null for a reader no door names. */
  static policyOf(model: SiteModel, binding: ReaderBinding): CredentialPolicy | null {
    if (!binding.doorId) return null;
    const door = model.snapshot.doors.get(binding.doorId);
    return door ? credentialPolicyFor(model.snapshot.zones.get(door.zoneId), door) : null;
  }

  card(readerId: string, read: CardRead, searchAt = performance.now()): Promise<void> {
    return this.withBinding(readerId, 'card', async (model, binding) => {
      const resolved = await this.deps.credentials.resolveCardRead(read);
      const card: CardFacts | null = resolved && {
        id: resolved.id,
        personId: resolved.personId,
        customerId: resolved.customerId,
        state: resolved.state,
        validFrom: resolved.validFrom,
        validUntil: resolved.validUntil,
      };
      await this.present(
        model,
        binding,
        { kind: 'card', readerId, direction: binding.direction, at: this.deps.clock.nowMs(), card },
        searchAt,
        card?.customerId ?? null,
      );
    });
  }

  pin(readerId: string, pin: string, cancelled: boolean, searchAt = performance.now()): Promise<void> {
    return this.withBinding(readerId, 'card', async (model, binding) => {
      const key = sideKey(binding);
      const open = this.open.get(key);
      if (cancelled) {
        // The cancel key ends an attempt under way; with none, there is nothing to record.
        if (open) await this.settle(model, key, open, { ended: true, searchAt });
        return;
      }
      const card = open?.factors.find((f): f is Extract<PresentedFactor, { kind: 'card' }> => f.kind === 'card');
      // Verified even without a card (a dummy hash inside): the timing tells nothing (credentials.ts).
      const result = await this.deps.credentials.verifyPin(card?.card?.id ?? null, pin);
      await this.present(model, binding, { kind: 'pin', readerId, direction: binding.direction, at: this.deps.clock.nowMs(), result }, searchAt, null);
    });
  }

  finger(readerId: string, hit: SearchHit, owner: { personId: string; customerId: string } | null, searchAt: number): Promise<void> {
    return this.withBinding(readerId, 'finger', async (model, binding) => {
      const factor: PresentedFactor = {
        kind: 'fingerprint',
        readerId,
        direction: binding.direction,
        at: this.deps.clock.nowMs(),
        personId: hit && owner ? owner.personId : null,
        score: hit && owner ? hit.score : null,
        threshold: this.deps.threshold,
      };
      await this.present(model, binding, factor, searchAt, owner?.customerId ?? null);
    });
  }

  /**
   * A reader went offline (or is no longer trusted): an attempt waiting for a factor there can
   * no longer complete, so it ends now as second_factor_missing instead of timing out later.
   */
  readerGone(readerId: string): Promise<void> {
    const jobs: Promise<void>[] = [];
    for (const [key, open] of this.open) {
      if (!open.factors.some((f) => f.readerId === readerId)) continue;
      jobs.push(
        this.serial(key, async () => {
          if (this.stopped || this.open.get(key) !== open) return;
          clearTimeout(open.timer);
          await this.settle(await this.deps.attempts.model(), key, open, { ended: true, searchAt: performance.now() });
        }),
      );
    }
    return Promise.all(jobs)
      .then(() => undefined)
      .catch((err: Error) => this.deps.logger.error(`ending attempts at reader ${readerId} failed: ${err.message}`));
  }

  stop(): void {
    this.stopped = true;
    for (const o of this.open.values()) clearTimeout(o.timer);
    this.open.clear();
  }

  /** Resolves the reader's binding (cards or fingers), then runs `job` in its door side's queue. */
  private withBinding(readerId: string, kind: 'card' | 'finger', job: (model: SiteModel, binding: ReaderBinding) => Promise<void>): Promise<void> {
    const run = async () => {
      const model = await this.deps.attempts.model();
      const binding = kind === 'card' ? model.topology.cardReaders.get(readerId) : model.topology.readers.get(readerId);
      if (!binding || this.stopped) return;
      await this.serial(sideKey(binding), () => job(model, binding));
    };
    return run().catch((err: Error) => this.deps.logger.error(`credential attempt at reader ${readerId} failed: ${err.message}`));
  }

  private serial(key: string, job: () => Promise<void>): Promise<void> {
    const next = (this.chains.get(key) ?? Promise.resolve()).then(job, job);
    const tail = next.catch(() => undefined);
    this.chains.set(key, tail);
    void tail.then(() => {
      if (this.chains.get(key) === tail) this.chains.delete(key);
    });
    return next;
  }

  private async present(model: SiteModel, binding: ReaderBinding, factor: PresentedFactor, searchAt: number, ownerCustomerId: string | null): Promise<void> {
    const key = sideKey(binding);
    const open: Open = this.open.get(key) ?? { factors: [], bindings: new Map(), ownerCustomerId: null };
    clearTimeout(open.timer);
    // A repeated kind or the other side starts a new attempt (credentials.ts): keep only the current one's factors.
    open.factors = currentAttempt([...open.factors, factor]);
    open.bindings.set(factor.readerId, binding);
    open.ownerCustomerId = ownerCustomerId ?? open.ownerCustomerId;
    this.open.set(key, open);
    await this.settle(model, key, open, { searchAt });
  }

  private async settle(model: SiteModel, key: string, open: Open, o: { ended?: boolean; at?: number; searchAt: number }): Promise<void> {
    const last = open.factors[open.factors.length - 1]!;
    const binding = open.bindings.get(last.readerId)!;
    const policy = CredentialAttempts.policyOf(model, binding);
    const at = o.at ?? this.deps.clock.nowMs();
    const request = (extra: Partial<AttemptRequest>): AttemptRequest => ({
      binding,
      personId: null,
      score: null,
      ownerCustomerId: open.ownerCustomerId,
      credential: credentialOf(open.factors.map((f) => f.kind)),
      readerIds: [...new Set(open.factors.map((f) => f.readerId))],
      searchAt: o.searchAt,
      at,
      ...extra,
    });
    if (policy === null) {
      // A reader no door names: recorded as unknown_door by the common path.
      this.open.delete(key);
      this.deps.onOutcome(await this.deps.attempts.decide(model, request({})));
      return;
    }
    const outcome = decideCredentials({
      policy,
      factors: open.factors,
      at,
      windowMs: this.deps.windowMs ?? DEFAULT_CREDENTIAL_WINDOW_MS,
      ...(o.ended ? { ended: true } : {}),
    });
    if (outcome.status === 'pending') {
      open.timer = setTimeout(() => void this.timeout(key, open, outcome.until, o.searchAt), Math.max(0, outcome.until - this.deps.clock.nowMs()));
      open.timer.unref?.();
      this.deps.awaiting(last.readerId);
      return;
    }
    this.open.delete(key);
    if (outcome.status === 'denied') {
      this.deps.onOutcome(await this.deps.attempts.decide(model, request({ personId: outcome.personId, credentialDenial: outcome.reason })));
      return;
    }
    this.deps.onOutcome(await this.deps.attempts.decide(model, request({ personId: outcome.personId, identifiedBy: outcome.factors })));
  }

  /** The window closed without the second factor: decided at the deadline (second_factor_timeout). */
  private async timeout(key: string, open: Open, until: number, searchAt: number): Promise<void> {
    await this.serial(key, async () => {
      if (this.stopped || this.open.get(key) !== open) return;
      const model = await this.deps.attempts.model();
      await this.settle(model, key, open, { at: Math.max(until, this.deps.clock.nowMs()), searchAt });
    }).catch((err: Error) => this.deps.logger.error(`credential timeout failed: ${err.message}`));
  }
}

const sideKey = (b: ReaderBinding) => `${b.doorId ?? `reader:${b.readerId}`}:${b.direction}`;
