import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import { Injectable, Logger, Optional, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, IsNull, MoreThanOrEqual, Not } from 'typeorm';
import { ClusterBus } from '@acs/cluster';
import {
  decideBadgeIn,
  indexSnapshot,
  REASON_FAMILIES,
  ZoneState,
  type BadgeInDecision,
  type DoorMode,
  type RegistrySnapshot,
  type SnapshotIndex,
} from '@acs/access-rules';
import { AccessEventEntity, AccessLogService, type AccessEventInput } from '@acs/access-log';
import { Clock } from '@acs/clock';
import { AppConfig } from '@acs/config';
import { WriteQueue } from '@acs/database';
import { ReaderLibraryService, ReaderManager } from '@acs/reader-fleet';
import { AuraColour, AuraControl, FingerprintError, FingerprintErrorCode, type FingerprintReader } from '@acs/fingerprint';
import { ReadinessRegistry } from '@acs/health';
import { DoorCommandError, DoorCommandService, type DoorEventRecord } from '@acs/mqtt';
import { aheadOfClock } from '@acs/door-protocol';
import { RegistryChanges, RegistrySnapshotService } from '@acs/registry';
import { AlarmService } from './alarm.service.js';
import { ControllerSequenceEntity, DoorOverrideEntity, type DoorOverrideMode } from './entities.js';
import { MonitorBus } from './monitor.js';
import { channelKey, loadTopology, type DoorWiring, type ReaderBinding, type Topology } from './topology.js';

/** What one identification poll saw. */
type PollResult =
  | { kind: 'idle' }
  | { kind: 'still-placed' }
  | { kind: 'lifted' }
  | { kind: 'bad-image' }
  | { kind: 'search'; hit: { pageId: number; score: number } | null; searchAt: number };

interface Loop {
  readerId: string;
  timer?: NodeJS.Timeout;
  delayMs: number;
  awaitingLift: boolean;
  stopped: boolean;
  polls: number;
  badges: number;
  lastError: string | null;
}

interface ExpectedEntry {
  attemptId: string;
  customerId: string | null;
  personId: string | null;
  direction: 'entry' | 'exit';
  readerId: string;
  timer: NodeJS.Timeout;
  /** Replaced by another customer's grant: still ends with its own timer, never at the other grant. */
  superseded?: boolean;
}

export interface BadgeOutcome {
  decision: BadgeInDecision;
  attemptId: string;
  /** Settles once every action of the attempt is done (unlock, follow-ups, LED). */
  done: Promise<void>;
}

export interface ReaderLoopView {
  readerId: string;
  doorId: string | null;
  direction: 'entry' | 'exit';
  readerState: string;
  polls: number;
  badges: number;
  lastError: string | null;
}

export interface DoorStatusView {
  doorId: string;
  name: string;
  siteId: string;
  zoneId: string;
  controllerId: string | null;
  controllerStatus: string;
  relayChannel: number;
  open: boolean | null;
  locked: boolean | null;
  controllerMode: string | null;
  controllerAlarm: string | null;
  override: DoorOverrideMode | null;
  lockdown: boolean;
}

/** Events for tests and the benchmark: `badge` (BadgeOutcome), `unlock-sent` ({ attemptId, searchAt, sentAt }). */
export interface BadgeInEvents {
  badge: [BadgeOutcome];
  'unlock-sent': [{ attemptId: string; doorId: string; searchAt: number; sentAt: number }];
}

const MAX_BACKOFF_FACTOR = 4;
const MAX_PRESENCE_RESTORE_MS = 7 * 86_400_000;
const LED_SPEED = 0x40;
/** Cluster notice channel: staff door overrides set on one instance apply on all. */
const OVERRIDES_CHANNEL = 'door-overrides';

/**
 * The badge-in engine: one identification loop per door reader (entry and exit), the decision
 * over the in-memory registry snapshot and live zone state, and the actions: the access event
 * made durable, then a signed unlock, the LED ring, follow-ups; and the correlation of the
 * controllers' door events (entered, forced open, held open, tamper).
 */
@Injectable()
export class BadgeInService extends EventEmitter<BadgeInEvents> implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('BadgeIn');
  readonly zoneState = new ZoneState();
  private snapshot: RegistrySnapshot | null = null;
  private index: SnapshotIndex | null = null;
  private topology: Topology = { doors: new Map(), readers: new Map(), byChannel: new Map(), controllers: new Map() };
  private loadedVersion = -1;
  private loading: Promise<void> | null = null;
  private readonly loops = new Map<string, Loop>();
  private readonly expected = new Map<string, ExpectedEntry>();
  private readonly heldTimers = new Map<string, NodeJS.Timeout>();
  private readonly overrides = new Map<string, DoorOverrideMode>();
  private readonly sequences = new Map<string, { epoch: number; seq: number }>();
  private readonly dirtySequences = new Set<string>();
  private sequenceTimer?: NodeJS.Timeout;
  private readonly inflight = new Set<Promise<unknown>>();
  private unsubscribe?: () => void;
  private stopped = false;
  /** Door commands wait this long for their reply before the attempt is recorded as door_unreachable. */
  readonly unlockMs: number;
  readonly threshold: number;
  readonly pollIntervalMs: number;

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly writes: WriteQueue,
    config: AppConfig,
    private readonly clock: Clock,
    private readonly snapshots: RegistrySnapshotService,
    private readonly changes: RegistryChanges,
    private readonly readers: ReaderManager,
    private readonly library: ReaderLibraryService,
    private readonly doors: DoorCommandService,
    private readonly accessLog: AccessLogService,
    private readonly alarms: AlarmService,
    private readonly bus: MonitorBus,
    private readonly readiness: ReadinessRegistry,
    @Optional() private readonly cluster?: ClusterBus,
  ) {
    super();
    this.setMaxListeners(100);
    this.unlockMs = config.BADGE_UNLOCK_MS;
    this.threshold = config.BADGE_MATCH_THRESHOLD;
    this.pollIntervalMs = config.BADGE_POLL_INTERVAL_MS;
  }

  // ---- lifecycle --------------------------------------------------------------------------------

  private readonly onDoorEvent = (e: DoorEventRecord) =>
    void this.track(this.handleDoorEvent(e).catch((err: Error) => this.logger.error(`door event ${e.controllerId}/${e.seq} not handled: ${err.message}`)));
  private readonly onStatus = (s: { controllerId: string; status: string; at: Date }) => {
    const c = this.topology.controllers.get(s.controllerId);
    if (c) this.bus.publish({ type: 'controller', controllerId: c.controllerId, siteId: c.siteId, status: s.status, at: s.at.getTime() });
  };
  private readonly onDoorState = (s: { controllerId: string; state: { door: number; open: boolean; locked: boolean } }) => {
    const doorId = this.topology.byChannel.get(channelKey(s.controllerId, s.state.door));
    if (doorId) this.zoneState.setDoorStatus(doorId, { open: s.state.open, unlocked: !s.state.locked }, this.clock.nowMs());
  };
  private readonly onReaderState = (s: { readerId: string; to: string }) => {
    const b = this.topology.readers.get(s.readerId);
    if (b) this.bus.publish({ type: 'reader', readerId: s.readerId, siteId: b.siteId, state: s.to, at: this.clock.nowMs() });
  };
  private readonly onReaderReady = (readerId: string) => {
    const loop = this.loops.get(readerId);
    if (loop) {
      loop.awaitingLift = false;
      this.schedule(loop, 0);
    }
  };

  async onApplicationBootstrap(): Promise<void> {
    const sequences = await this.ds.getRepository(ControllerSequenceEntity).find();
    for (const s of sequences) {
      // A bad epoch stored before epochs were bounded would drop every later real event as older.
      if (aheadOfClock({ epoch: s.epoch }, this.clock.nowMs())) {
        this.logger.error(
          `stored event epoch ${s.epoch} of controller ${s.mqttId} is in the future: ignored; run acsctl controller:reset-sequence --mqtt-id ${s.mqttId}`,
        );
        continue;
      }
      this.sequences.set(s.mqttId, { epoch: s.epoch, seq: s.seq });
      this.doors.restoreSequence(s.mqttId, s.epoch, s.seq);
    }
    await this.cluster?.subscribe(OVERRIDES_CHANNEL, (body) => {
      const { doorIds, mode } = body as { doorIds?: unknown; mode?: unknown };
      if (Array.isArray(doorIds) && (mode === null || mode === 'emergency_release' || mode === 'locked')) {
        this.setOverrides(
          doorIds.filter((d): d is string => typeof d === 'string'),
          mode,
          'remote',
        );
      }
    });
    for (const o of await this.ds.getRepository(DoorOverrideEntity).find()) this.overrides.set(o.doorId, o.mode);
    await this.restorePresence();
    this.doors.on('door-event', this.onDoorEvent);
    this.doors.on('status', this.onStatus);
    this.doors.on('door-state', this.onDoorState);
    this.readers.on('ready', this.onReaderReady);
    this.readers.on('state', this.onReaderState);
    this.unsubscribe = this.changes.subscribe(() => void this.refresh().catch((err: Error) => this.logger.error(`badge-in refresh failed: ${err.message}`)));
    this.readiness.register('badge_in', async () => {
      if (!this.snapshot) throw new Error('registry snapshot not loaded');
      return { loops: this.loops.size };
    });
    await this.refresh();
    // Handlers attached and the topology loaded: events queued for us since the connect may come in.
    this.doors.releaseEvents();
  }

  /**
   * Anti-passback presence from the access history after a restart: the granted attempts within
   * the reset time, oldest first, as `applyDecision` recorded them (a week at most when the reset
   * is off). Without it everyone would be "unknown" after a restart, which never violates.
   */
  private async restorePresence(): Promise<void> {
    const windowMs = this.zoneState.antiPassbackResetMs > 0 ? this.zoneState.antiPassbackResetMs : MAX_PRESENCE_RESTORE_MS;
    const rows = await this.ds.getRepository(AccessEventEntity).find({
      select: { personId: true, zoneId: true, direction: true, occurredAt: true },
      where: { kind: 'attempt', result: 'granted', occurredAt: MoreThanOrEqual(this.clock.nowMs() - windowMs), personId: Not(IsNull()), zoneId: Not(IsNull()) },
      order: { occurredAt: 'ASC', id: 'ASC' },
    });
    for (const r of rows) this.zoneState.recordPassage(r.personId!, r.zoneId!, r.direction === 'entry' ? 'inside' : 'outside', r.occurredAt);
    if (rows.length > 0) this.logger.log(`anti-passback presence restored from ${rows.length} access events`);
  }

  /**
   * Module destroy, not application shutdown: Nest destroys dependents first, so the loops stop and
   * the attempts in flight finish (unlock, follow-ups) while the door edge is still connected and
   * before the access log writes its last batch.
   */
  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    this.doors.off('door-event', this.onDoorEvent);
    this.doors.off('status', this.onStatus);
    this.doors.off('door-state', this.onDoorState);
    this.readers.off('ready', this.onReaderReady);
    this.readers.off('state', this.onReaderState);
    for (const loop of this.loops.values()) this.stopLoop(loop);
    this.loops.clear();
    for (const e of this.expected.values()) clearTimeout(e.timer);
    this.expected.clear();
    for (const t of this.heldTimers.values()) clearTimeout(t);
    this.heldTimers.clear();
    await Promise.allSettled([...this.inflight]);
    clearTimeout(this.sequenceTimer);
    await this.flushSequences().catch(() => undefined);
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p)).catch(() => undefined);
    return p;
  }

  /** Waits for every attempt's actions and door events in flight (tests, shutdown). */
  async settled(): Promise<void> {
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
  }

  /** Reloads snapshot, index and wiring if the registry changed; the decision path awaits only then. */
  private refresh(): Promise<void> {
    if (this.loadedVersion === this.changes.currentVersion && this.snapshot) return Promise.resolve();
    if (this.loading) return this.loading.then(() => this.refresh());
    const version = this.changes.currentVersion;
    this.loading = (async () => {
      const [snapshot, topology] = await Promise.all([this.snapshots.current(), loadTopology(this.ds.manager)]);
      this.snapshot = snapshot;
      this.index = indexSnapshot(snapshot);
      this.topology = topology;
      this.loadedVersion = version;
      this.syncLoops();
    })().finally(() => {
      this.loading = null;
    });
    return this.loading.then(() => (this.loadedVersion === this.changes.currentVersion ? undefined : this.refresh()));
  }

  // ---- identification loops ------------------------------------------------------------------

  private syncLoops(): void {
    if (this.stopped || !this.readers.enabled) return;
    for (const readerId of this.topology.readers.keys()) {
      if (this.loops.has(readerId)) continue;
      const loop: Loop = { readerId, delayMs: this.pollIntervalMs, awaitingLift: false, stopped: false, polls: 0, badges: 0, lastError: null };
      this.loops.set(readerId, loop);
      this.schedule(loop, 0);
    }
    for (const [readerId, loop] of this.loops) {
      if (!this.topology.readers.has(readerId)) {
        this.stopLoop(loop);
        this.loops.delete(readerId);
      }
    }
  }

  private stopLoop(loop: Loop): void {
    loop.stopped = true;
    clearTimeout(loop.timer);
  }

  private schedule(loop: Loop, delayMs: number): void {
    if (loop.stopped || this.stopped) return;
    clearTimeout(loop.timer);
    loop.timer = setTimeout(() => void this.poll(loop), delayMs);
  }

  private async poll(loop: Loop): Promise<void> {
    loop.timer = undefined;
    if (loop.stopped || this.stopped) return;
    const backoff = this.pollIntervalMs * MAX_BACKOFF_FACTOR;
    if (!this.readers.has(loop.readerId) || !this.readers.isReady(loop.readerId)) {
      // The manager reconnects on its own; 'ready' reschedules at once.
      this.schedule(loop, backoff);
      return;
    }
    loop.polls++;
    let result: PollResult;
    try {
      result = await this.readers.withReader(loop.readerId, (r) => this.pollOnce(r, loop));
      loop.lastError = null;
    } catch (err) {
      const code = err instanceof FingerprintError ? err.code : 'ERROR';
      loop.lastError = code;
      // Unplugged mid-identification, a timeout, the module busy: nothing was decided; try again later.
      if (code !== FingerprintErrorCode.NotReady) this.logger.debug(`identification on reader ${loop.readerId} failed: ${code}`);
      this.schedule(loop, backoff);
      return;
    }
    if (loop.stopped || this.stopped) return;
    switch (result.kind) {
      case 'idle':
        loop.delayMs = Math.min(backoff, Math.ceil(loop.delayMs * 1.5));
        break;
      case 'search':
        loop.badges++;
        loop.awaitingLift = true;
        loop.delayMs = this.pollIntervalMs;
        void this.track(
          this.badge(loop.readerId, result.hit, result.searchAt).catch((err: Error) =>
            this.logger.error(`badge-in on reader ${loop.readerId} failed: ${err.message}`),
          ),
        );
        break;
      default:
        loop.delayMs = this.pollIntervalMs;
    }
    this.schedule(loop, loop.delayMs);
  }

  /** One poll, inside the reader's lock: GenImg, and with a finger Img2Tz + Search. */
  private async pollOnce(r: FingerprintReader, loop: Loop): Promise<PollResult> {
    const present = await r.captureImage();
    if (loop.awaitingLift) {
      // The same finger still on the sensor must not badge again.
      if (present) return { kind: 'still-placed' };
      loop.awaitingLift = false;
      return { kind: 'lifted' };
    }
    if (!present) return { kind: 'idle' };
    try {
      await r.imageToTemplate(1);
    } catch (err) {
      if (err instanceof FingerprintError && err.code === FingerprintErrorCode.Confirmation) return { kind: 'bad-image' };
      throw err;
    }
    const hit = await r.search(1);
    return { kind: 'search', hit, searchAt: performance.now() };
  }

  private async led(readerId: string, colour: AuraColour): Promise<void> {
    try {
      await this.readers.withReader(readerId, (r) => r.auraLed(AuraControl.Flashing, colour, LED_SPEED, 2));
    } catch {
      // The LED is a courtesy: an unplugged reader or a module without a ring must not fail the attempt.
    }
  }

  // ---- decision and actions --------------------------------------------------------------------

  /**
   * A Search result from a door reader, decided and acted on. Public so the service-level tests
   * and the benchmark can drive it; the loops call it with what the module answered.
   */
  async badge(readerId: string, hit: { pageId: number; score: number } | null, searchAt = performance.now()): Promise<BadgeOutcome> {
    const owner = hit ? await this.library.slotOwner(readerId, hit.pageId) : null;
    if (this.loadedVersion !== this.changes.currentVersion || !this.snapshot) await this.refresh();
    const binding: ReaderBinding | undefined = this.topology.readers.get(readerId);
    if (!binding) throw new Error(`reader ${readerId} is not a door reader`);
    const door = binding.doorId ? this.topology.doors.get(binding.doorId) : undefined;
    const at = this.clock.nowMs();
    const mode = binding.doorId ? this.doorMode(binding.doorId) : 'normal';
    const controllerOnline = door?.mqttId ? this.doors.status(door.mqttId) === 'online' : false;
    // A slot on its way out (access ended, erasure) still names its person: the decision says why not.
    const personId = hit && owner ? owner.personId : null;
    const decision = decideBadgeIn({
      snapshot: this.snapshot!,
      index: this.index!,
      attempt: {
        readerId,
        doorId: binding.doorId ?? '',
        direction: binding.direction,
        personId,
        score: hit && owner ? hit.score : null,
        threshold: this.threshold,
        at,
      },
      door: { controllerOnline, mode },
      state: this.zoneState,
    });
    this.zoneState.applyDecision(decision);

    const siteId = decision.siteId ?? binding.siteId;
    // The event's customer: the person's (from the snapshot), or the slot owner's for a person no longer in it.
    const customerId = decision.personId !== null ? (decision.customerId ?? owner?.customerId ?? null) : null;
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
    };
    const [receipt] = this.accessLog.append([event]);
    const attemptId = receipt.attemptId;
    this.bus.publish({
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
    });
    this.logger.log(`badge-in reader=${readerId} door=${binding.doorId ?? '-'} attempt=${attemptId} ${event.result} ${decision.reason}`);

    const done = this.act(decision, event, receipt, door, searchAt);
    const outcome: BadgeOutcome = { decision, attemptId, done };
    this.emit('badge', outcome);
    return outcome;
  }

  private async act(
    decision: BadgeInDecision,
    event: AccessEventInput,
    receipt: { attemptId: string; durable: Promise<unknown> },
    door: DoorWiring | undefined,
    searchAt: number,
  ): Promise<void> {
    const { readerId } = decision;
    const attemptId = receipt.attemptId;
    if (decision.violations.length > 0) {
      // Soft anti-passback: the grant stands, and the violation is on record against the same attempt.
      for (const v of decision.violations) this.followUp(event, attemptId, v, event.result);
    }
    if (!decision.granted || !door?.mqttId) {
      await receipt.durable.catch(() => undefined);
      await this.led(readerId, AuraColour.Red);
      return;
    }
    try {
      await receipt.durable;
    } catch (err) {
      // Not on record means not opened: the history must never miss an entry.
      this.logger.error(`attempt ${attemptId} could not be recorded, door stays shut: ${(err as Error).message}`);
      await this.led(readerId, AuraColour.Red);
      return;
    }
    const unlock = this.doors.unlock(door.mqttId, door.relayChannel, this.unlockMs);
    this.emit('unlock-sent', { attemptId, doorId: door.doorId, searchAt, sentAt: performance.now() });
    try {
      await unlock;
    } catch (err) {
      const code = err instanceof DoorCommandError ? err.code : 'error';
      this.logger.warn(`unlock for attempt ${attemptId} failed: ${code}`);
      this.followUp(event, attemptId, 'door_unreachable', 'denied');
      void this.alarms
        .raise({
          kind: 'door_unreachable',
          siteId: door.siteId,
          zoneId: door.zoneId,
          doorId: door.doorId,
          controllerId: door.controllerId,
          attemptId,
          detail: code,
        })
        .catch((e: Error) => this.logger.error(`alarm not recorded: ${e.message}`));
      await this.led(readerId, AuraColour.Red);
      return;
    }
    this.expectEntry(door, attemptId, event);
    await this.led(readerId, AuraColour.Green);
  }

  private followUp(attempt: AccessEventInput, attemptId: string, reason: string, result: 'granted' | 'denied'): void {
    const at = this.clock.nowMs();
    const [r] = this.accessLog.append([{ ...attempt, kind: 'follow_up', attemptId, reason, result, occurredAt: at }]);
    r.durable.catch((err: Error) => this.logger.error(`follow-up ${reason} of ${attemptId} not recorded: ${err.message}`));
    this.bus.publish({
      type: 'follow_up',
      id: r.id,
      attemptId,
      at,
      siteId: attempt.siteId,
      zoneId: attempt.zoneId ?? null,
      doorId: attempt.doorId ?? null,
      readerId: attempt.readerId ?? null,
      direction: attempt.direction,
      result,
      reason,
      customerId: attempt.customerId,
      personId: attempt.personId ?? null,
    });
  }

  /** After a confirmed unlock the door should open within the unlock time: `entered`, else `not_entered`. */
  private expectEntry(door: DoorWiring, attemptId: string, event: AccessEventInput): void {
    const previous = this.expected.get(door.doorId);
    if (previous) {
      if (previous.customerId === event.customerId) {
        clearTimeout(previous.timer);
        this.followUp(this.eventOf(door, previous), previous.attemptId, 'not_entered', 'granted');
      } else {
        // Closing it now would put the instant another tenant was admitted into this customer's
        // history and live stream: its not_entered comes when its own unlock window ends.
        previous.superseded = true;
      }
    }
    const entry: ExpectedEntry = {
      attemptId,
      customerId: event.customerId,
      personId: event.personId ?? null,
      direction: event.direction,
      readerId: event.readerId ?? '',
      timer: setTimeout(() => {
        if (this.expected.get(door.doorId)?.attemptId === attemptId) this.expected.delete(door.doorId);
        else if (!entry.superseded) return;
        this.followUp(event, attemptId, 'not_entered', 'granted');
      }, this.unlockMs + 1000),
    };
    entry.timer.unref();
    this.expected.set(door.doorId, entry);
  }

  private eventOf(door: DoorWiring, e: ExpectedEntry): AccessEventInput {
    return {
      customerId: e.customerId,
      personId: e.personId,
      siteId: door.siteId,
      zoneId: door.zoneId,
      doorId: door.doorId,
      readerId: e.readerId,
      direction: e.direction,
      result: 'granted',
      reason: 'entered',
      occurredAt: this.clock.nowMs(),
    };
  }

  // ---- door events -----------------------------------------------------------------------------

  private async handleDoorEvent(e: DoorEventRecord): Promise<void> {
    this.noteSequence(e.controllerId, e.epoch, e.seq);
    const controller = this.topology.controllers.get(e.controllerId);
    const doorId = e.door !== undefined ? this.topology.byChannel.get(channelKey(e.controllerId, e.door)) : undefined;
    const door = doorId ? this.topology.doors.get(doorId) : undefined;
    const at = e.occurredAt.getTime();
    if (door) this.bus.publish({ type: 'door', doorId: door.doorId, siteId: door.siteId, zoneId: door.zoneId, event: e.type, at });
    switch (e.type) {
      case 'opened':
      case 'forced-open': {
        if (!door) return;
        this.zoneState.applyDoorEvent({ doorId: door.doorId, kind: 'opened', at });
        this.startHeldTimer(door);
        const expected = this.expected.get(door.doorId);
        if (expected && e.type === 'opened') {
          clearTimeout(expected.timer);
          this.expected.delete(door.doorId);
          this.followUp(this.eventOf(door, expected), expected.attemptId, 'entered', 'granted');
          return;
        }
        // The controller says forced-open when the contact opens with the strike locked (no grant, no exit button).
        if (e.type === 'forced-open') {
          await this.alarms.raise({ kind: 'forced_open', siteId: door.siteId, zoneId: door.zoneId, doorId: door.doorId, controllerId: door.controllerId });
        }
        return;
      }
      case 'closed':
        if (!door) return;
        this.zoneState.applyDoorEvent({ doorId: door.doorId, kind: 'closed', at });
        clearTimeout(this.heldTimers.get(door.doorId));
        this.heldTimers.delete(door.doorId);
        return;
      case 'unlocked':
      case 'locked':
        if (door) this.zoneState.applyDoorEvent({ doorId: door.doorId, kind: e.type, at });
        return;
      case 'held-open':
        if (door) await this.raiseHeldOpen(door, 'controller');
        return;
      case 'tamper':
        if (!controller) return;
        await this.alarms.raise({
          kind: 'tamper',
          siteId: controller.siteId,
          doorId: door?.doorId ?? null,
          zoneId: door?.zoneId ?? null,
          controllerId: controller.controllerId,
          detail: e.detail ?? null,
        });
        return;
      default:
        return;
    }
  }

  /** The door's own limit (`heldOpenSeconds`), whatever the controller's firmware is set to. */
  private startHeldTimer(door: DoorWiring): void {
    clearTimeout(this.heldTimers.get(door.doorId));
    const timer = setTimeout(() => {
      this.heldTimers.delete(door.doorId);
      void this.track(this.raiseHeldOpen(door, 'server'));
    }, door.heldOpenSeconds * 1000);
    timer.unref();
    this.heldTimers.set(door.doorId, timer);
  }

  private async raiseHeldOpen(door: DoorWiring, by: string): Promise<void> {
    await this.alarms
      .raise({
        kind: 'held_open',
        siteId: door.siteId,
        zoneId: door.zoneId,
        doorId: door.doorId,
        controllerId: door.controllerId,
        detail: `limit ${door.heldOpenSeconds}s (${by})`,
      })
      .catch((err: Error) => this.logger.error(`held-open alarm not recorded: ${err.message}`));
  }

  private noteSequence(mqttId: string, epoch: number, seq: number): void {
    const cur = this.sequences.get(mqttId);
    if (cur && (cur.epoch > epoch || (cur.epoch === epoch && cur.seq >= seq))) return;
    this.sequences.set(mqttId, { epoch, seq });
    this.dirtySequences.add(mqttId);
    if (!this.sequenceTimer) {
      this.sequenceTimer = setTimeout(() => {
        this.sequenceTimer = undefined;
        void this.flushSequences().catch((err: Error) => this.logger.error(`sequence not saved: ${err.message}`));
      }, 200);
      this.sequenceTimer.unref();
    }
  }

  private async flushSequences(): Promise<void> {
    if (this.dirtySequences.size === 0) return;
    const rows = [...this.dirtySequences].map((mqttId) => ({ mqttId, ...this.sequences.get(mqttId)!, updatedAt: this.clock.nowMs() }));
    this.dirtySequences.clear();
    await this.writes.transaction((m) => m.getRepository(ControllerSequenceEntity).save(rows));
  }

  // ---- modes and views -------------------------------------------------------------------------

  doorMode(doorId: string): DoorMode {
    const o = this.overrides.get(doorId);
    return o === 'emergency_release' ? 'emergency_release' : o === 'locked' ? 'locked' : 'normal';
  }

  /**
   * Staff override of doors (emergency release, held locked); null clears. Persisted by the
   * caller's transaction; the other instances hear of it, since the doors may be theirs.
   */
  setOverrides(doorIds: readonly string[], mode: DoorOverrideMode | null, from: 'local' | 'remote' = 'local'): void {
    for (const id of doorIds) {
      if (mode === null) this.overrides.delete(id);
      else this.overrides.set(id, mode);
    }
    if (from === 'local') this.cluster?.publish(OVERRIDES_CHANNEL, { doorIds, mode });
  }

  async wiring(): Promise<Topology> {
    await this.refresh();
    return this.topology;
  }

  currentSnapshot(): RegistrySnapshot | null {
    return this.snapshot;
  }

  readerViews(): ReaderLoopView[] {
    return [...this.topology.readers.values()].map((b) => {
      const loop = this.loops.get(b.readerId);
      return {
        readerId: b.readerId,
        doorId: b.doorId,
        direction: b.direction,
        // A reader wired to another instance: the state its host last announced.
        readerState:
          this.readers.has(b.readerId) || !this.readers.enabled
            ? this.readers.stateOf(b.readerId).state
            : (this.bus.remoteReaderState(b.readerId) ?? 'other_instance'),
        polls: loop?.polls ?? 0,
        badges: loop?.badges ?? 0,
        // A reader that never opened has no loop error: show why it is down instead.
        lastError: loop?.lastError ?? (this.readers.has(b.readerId) ? this.readers.stateOf(b.readerId).error : null),
      };
    });
  }

  doorViews(): DoorStatusView[] {
    return [...this.topology.doors.values()].map((d) => {
      const state = d.mqttId ? this.doors.doorState(d.mqttId, d.relayChannel) : undefined;
      return {
        doorId: d.doorId,
        name: d.name,
        siteId: d.siteId,
        zoneId: d.zoneId,
        controllerId: d.controllerId,
        controllerStatus: d.mqttId ? this.doors.status(d.mqttId) : 'none',
        relayChannel: d.relayChannel,
        open: state?.open ?? null,
        locked: state?.locked ?? null,
        controllerMode: state?.mode ?? null,
        controllerAlarm: state?.alarm ?? null,
        override: this.overrides.get(d.doorId) ?? null,
        lockdown: this.snapshot?.zones.get(d.zoneId)?.lockdown ?? false,
      };
    });
  }

  publishMode(siteId: string, zoneId: string | null, doorId: string | null, mode: string): void {
    this.bus.publish({ type: 'mode', siteId, zoneId, doorId, mode, at: this.clock.nowMs() });
  }
}
