import { performance } from 'node:perf_hooks';
import {
  decideBadgeIn,
  REASON_FAMILIES,
  type BadgeInDecision,
  type CredentialReason,
  type FactorKind,
  type DoorHoldMode,
  type RegistrySnapshot,
  type SnapshotIndex,
  type ZoneState,
} from '@acs/access-rules';
import type { AccessCredential, AccessEventInput, AccessLogService } from '@acs/access-log';
import { type Clock, doorsFirst } from '@acs/clock';
import type { DeviceClaim } from '@acs/cluster';
import { DoorCommandError, type DoorCommandService } from '@acs/door-control';
import { AuraColour, AuraControl } from '@acs/fingerprint';
import type { AlarmService } from './alarm.service.js';
import type { DoorEventCorrelator } from './door-event-correlator.js';
import type { FollowUps } from './follow-ups.js';
import type { MonitorBus } from './monitor.js';
import type { LoopReaders, SearchHit } from './reader-loops.js';
import type { DoorWiring, ReaderBinding, Topology } from './topology.js';

export interface BadgeOutcome {
  decision: BadgeInDecision;
  attemptId: string;
  credential: AccessCredential;
  /** performance.now() of the last factor and of the decision (metrics: finger to decision). */
  searchAt: number;
  decidedAt: number;
  /** Settles once every action of the attempt is done (unlock, follow-ups, LED). */
  done: Promise<void>;
}

/** What the decision reads: the registry snapshot, its index and the wiring, loaded together. */
export interface SiteModel {
  snapshot: RegistrySnapshot;
  index: SnapshotIndex;
  topology: Topology;
}

export interface BadgeAttemptsDeps {
  /**
   * Whether this instance may act for a reader now, and the fence its attempt carries (readers
   * that fail over between instances). Absent: every reader handed in is ours.
   */
  claim?: (readerId: string) => DeviceClaim;
  /** Who a reader slot belongs to (the reader fleet's slot directory). */
  slotOwner: (readerId: string, pageId: number) => Promise<{ personId: string; customerId: string } | null>;
  /** True when the registry changed since the model was loaded (or it never was): `refresh` first. */
  stale: () => boolean;
  refresh: () => Promise<void>;
  /** The model last loaded; not null once `refresh` resolved. */
  model: () => SiteModel | null;
  doorMode: (doorId: string) => DoorHoldMode;
  doors: Pick<DoorCommandService, 'status' | 'unlock'>;
  zoneState: ZoneState;
  accessLog: Pick<AccessLogService, 'append'>;
  bus: Pick<MonitorBus, 'publish'>;
  alarms: Pick<AlarmService, 'raise'>;
  followUps: Pick<FollowUps, 'record'>;
  correlator: Pick<DoorEventCorrelator, 'expectEntry'>;
  readers: Pick<LoopReaders, 'withReader'>;
  /** The OSDP card readers' LED and buzzer; absent where no card reader is wired. */
  cards?: { has(readerId: string): boolean; feedback(readerId: string, what: 'granted' | 'denied'): Promise<void> };
  clock: Clock;
  threshold: number;
  /** Door commands wait this long for their reply before the attempt is recorded as door_unreachable. */
  unlockMs: number;
  onUnlockSent: (e: { attemptId: string; doorId: string; searchAt: number; sentAt: number }) => void;
  /** The controller confirmed the unlock (metrics: decision to unlock acknowledged). */
  onUnlockAcked?: (e: { attemptId: string; doorId: string; decidedAt: number; ackedAt: number }) => void;
  logger: { log(message: string): void; warn(message: string): void; error(message: string): void };
}

/** One attempt whose identity is settled, for {@link BadgeAttempts.decide}. */
export interface AttemptRequest {
  /** The reader the decision is recorded against (the last factor's) and its door. */
  binding: ReaderBinding;
  personId: string | null;
  /** The finger's match score; null for a card-identified attempt. */
  score: number | null;
  identifiedBy?: readonly FactorKind[];
  credentialDenial?: CredentialReason;
  /** The customer of the slot or card that named the person, for a person no longer in the snapshot. */
  ownerCustomerId: string | null;
  credential: AccessCredential;
  /** Every reader the person used in this attempt: each shows the answer. */
  readerIds: readonly string[];
  /** performance.now() of the last factor, for the finger-to-door figures. */
  searchAt: number;
  /** The decision instant (default now; the deadline for a timed-out second factor). */
  at?: number;
}

const LED_SPEED = 0x40;

/** The reader is served by another server instance now (its failover lease passed on). */
export class NotServedHereError extends Error {
  constructor(readonly readerId: string) {
    super(`reader ${readerId} is served by another server instance now`);
    this.name = 'NotServedHereError';
  }
}

/**
 * Decide and act: a Search result from a door reader becomes a decision over the snapshot and
 * live zone state, an access event made durable, then (granted and recorded) a signed unlock, the
 * LED ring, and follow-ups (violations, door_unreachable, the expected entry).
 */
export class BadgeAttempts {
  constructor(private readonly deps: BadgeAttemptsDeps) {}

  async badge(readerId: string, hit: SearchHit, searchAt = performance.now()): Promise<BadgeOutcome> {
    // Door work from the Search result; decide() marks its own from the decision to the unlock's answer.
    const end = doorsFirst.begin();
    try {
      const d = this.deps;
      const owner = hit ? await d.slotOwner(readerId, hit.pageId) : null;
      const model = await this.model();
      const binding: ReaderBinding | undefined = model.topology.readers.get(readerId);
      if (!binding) throw new Error(`reader ${readerId} is not a door reader`);
      // A slot on its way out (access ended, erasure) still names its person: the decision says why not.
      return await this.decide(model, {
        binding,
        personId: hit && owner ? owner.personId : null,
        score: hit && owner ? hit.score : null,
        ownerCustomerId: owner?.customerId ?? null,
        credential: 'fingerprint',
        readerIds: [readerId],
        searchAt,
      });
    } finally {
      end();
    }
  }

  /** The model, reloaded first when the registry changed since it was built. */
  async model(): Promise<SiteModel> {
    const d = this.deps;
    if (d.stale()) await d.refresh();
    return d.model()!;
  }

  /**
   * Decides one attempt whose identity is settled (a finger's search, or the credential step's
   * answer), records it, and acts on it: the one path from identity to door, whatever the
   * credential, so cards get the same history, alarms, anti-passback and follow-ups as fingers.
   */
  async decide(model: SiteModel, a: AttemptRequest): Promise<BadgeOutcome> {
    const end = doorsFirst.begin();
    try {
      const outcome = this.decideNow(model, a);
      outcome.done.then(end, end);
      return outcome;
    } catch (err) {
      end();
      throw err;
    }
  }

  private decideNow(model: SiteModel, a: AttemptRequest): BadgeOutcome {
    const d = this.deps;
    const { binding } = a;
    const readerId = binding.readerId;
    const door = binding.doorId ? model.topology.doors.get(binding.doorId) : undefined;
    // A reader another instance serves now (this one was paused past its lease, say): no decision,
    // no record, no door. The finger is read again by the instance that serves the reader.
    const claim = d.claim ? d.claim(readerId) : { mine: true as const, fence: null };
    if (!claim.mine) throw new NotServedHereError(readerId);
    const at = a.at ?? d.clock.nowMs();
    const mode = binding.doorId ? d.doorMode(binding.doorId) : 'normal';
    const controllerOnline = door?.mqttId ? d.doors.status(door.mqttId) === 'online' : false;
    const decision = decideBadgeIn({
      snapshot: model.snapshot,
      index: model.index,
      attempt: {
        readerId,
        doorId: binding.doorId ?? '',
        direction: binding.direction,
        personId: a.personId,
        score: a.score,
        threshold: d.threshold,
        at,
        ...(a.identifiedBy ? { identifiedBy: a.identifiedBy } : {}),
        ...(a.credentialDenial ? { credentialDenial: a.credentialDenial } : {}),
      },
      door: { controllerOnline, mode },
      state: d.zoneState,
    });
    const decidedAt = performance.now();
    d.zoneState.applyDecision(decision);

    const siteId = decision.siteId ?? binding.siteId;
    // The event's customer: the person's (from the snapshot), or the slot owner's for a person no longer in it.
    const customerId = decision.personId !== null ? (decision.customerId ?? a.ownerCustomerId ?? null) : null;
    const event: AccessEventInput = {
      customerId,
      personId: customerId !== null ? decision.personId : null,
      siteId,
      zoneId: decision.zoneId,
      doorId: binding.doorId,
      readerId,
      direction: decision.direction,
      result: decision.granted ? 'granted' : 'denied',
      reason: decision.reason,
      occurredAt: at,
      credential: a.credential,
      ...(claim.fence ? { fence: claim.fence } : {}),
    };
    const [receipt] = d.accessLog.append([event]);
    const attemptId = receipt.attemptId;
    d.bus.publish({
      type: 'attempt',
      id: receipt.id,
      attemptId,
      at,
      siteId,
      zoneId: decision.zoneId,
      doorId: binding.doorId,
      readerId,
      direction: decision.direction,
      result: event.result,
      reason: decision.reason,
      family: REASON_FAMILIES[decision.reason],
      violations: decision.violations,
      customerId,
      personId: event.personId ?? null,
      credential: a.credential,
    });
    d.logger.log(`badge-in reader=${readerId} door=${binding.doorId ?? '-'} attempt=${attemptId} ${a.credential} ${event.result} ${decision.reason}`);

    const done = this.act(decision, event, receipt, door, a.searchAt, a.readerIds, decidedAt);
    return { decision, attemptId, credential: a.credential, searchAt: a.searchAt, decidedAt, done };
  }

  private async act(
    decision: BadgeInDecision,
    event: AccessEventInput,
    receipt: { attemptId: string; durable: Promise<unknown> },
    door: DoorWiring | undefined,
    searchAt: number,
    readerIds: readonly string[],
    decidedAt: number,
  ): Promise<void> {
    const d = this.deps;
    const attemptId = receipt.attemptId;
    const signal = (granted: boolean) => Promise.all(readerIds.map((r) => this.feedback(r, granted))).then(() => undefined);
    if (decision.violations.length > 0) {
      // Soft anti-passback: the grant stands, and the violation is on record against the same attempt.
      for (const v of decision.violations) d.followUps.record(event, attemptId, v, event.result);
    }
    if (!decision.granted || !door?.mqttId) {
      // Nothing opens either way, but a hole in the history must be on the error log, never silent.
      await receipt.durable.catch((err: Error) => d.logger.error(`attempt ${attemptId} (${event.result}) could not be recorded: ${err.message}`));
      await signal(false);
      return;
    }
    try {
      await receipt.durable;
    } catch (err) {
      // Not on record means not opened: the history must never miss an entry.
      d.logger.error(`attempt ${attemptId} could not be recorded, door stays shut: ${(err as Error).message}`);
      await signal(false);
      return;
    }
    const unlock = d.doors.unlock(door.mqttId, door.relayChannel, d.unlockMs, { owned: true });
    d.onUnlockSent({ attemptId, doorId: door.doorId, searchAt, sentAt: performance.now() });
    try {
      await unlock;
    } catch (err) {
      const code = err instanceof DoorCommandError ? err.code : 'error';
      d.logger.warn(`unlock for attempt ${attemptId} failed: ${code}`);
      d.followUps.record(event, attemptId, 'door_unreachable', 'denied');
      void d.alarms
        .raise({
          kind: 'door_unreachable',
          siteId: door.siteId,
          zoneId: door.zoneId,
          doorId: door.doorId,
          controllerId: door.controllerId,
          attemptId,
          detail: code,
        })
        .catch((e: Error) => d.logger.error(`alarm not recorded: ${e.message}`));
      await signal(false);
      return;
    }
    d.onUnlockAcked?.({ attemptId, doorId: door.doorId, decidedAt, ackedAt: performance.now() });
    d.correlator.expectEntry(door, attemptId, event);
    await signal(true);
  }

  private async feedback(readerId: string, granted: boolean): Promise<void> {
    try {
      if (this.deps.cards?.has(readerId)) await this.deps.cards.feedback(readerId, granted ? 'granted' : 'denied');
      else await this.deps.readers.withReader(readerId, (r) => r.auraLed(AuraControl.Flashing, granted ? AuraColour.Green : AuraColour.Red, LED_SPEED, 2));
    } catch {
      // The LED is a courtesy: an unplugged reader or a module without a ring must not fail the attempt.
    }
  }
}
