import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import { Injectable, Logger, Optional, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { ClusterBus, DeviceOwnership } from '@acs/cluster';
import { indexSnapshot, ZoneState, type DoorHoldMode, type RegistrySnapshot } from '@acs/access-rules';
import { AccessLogService, PassageHistory } from '@acs/access-log';
import { Clock } from '@acs/clock';
import { AppConfig } from '@acs/config';
import { isConnectionError, WriteQueue } from '@acs/database';
import { CardFleet, type CardPresented, type PinEntered } from '@acs/card-fleet';
import { CredentialService } from '@acs/credentials';
import { ReaderLibraryService, ReaderManager } from '@acs/reader-fleet';
import { ReadinessRegistry } from '@acs/health';
import { DoorCommandService, RegistryControllerSecrets, type DoorEventRecord } from '@acs/door-control';
import { CardReaderService, DeviceWiringService, RegistryChanges, RegistrySnapshotService } from '@acs/registry';
import { AlarmService } from './alarm.service.js';
import { BadgeAttempts, type BadgeOutcome, type SiteModel } from './badge-attempts.js';
import { ControllerSequences } from './controller-sequences.js';
import { FailoverHandover } from './failover-handover.js';
import { CredentialAttempts } from './credential-attempts.js';
import { DoorEventCorrelator } from './door-event-correlator.js';
import { ControllerSequenceEntity, DoorOverrideEntity, type DoorOverrideMode } from './entities.js';
import { FollowUps } from './follow-ups.js';
import { MonitorBus } from './monitor.js';
import { DEFAULT_READER_BAUD } from './poll-cost.js';
import { ReaderLoops, type SearchHit } from './reader-loops.js';
import { channelKey, loadTopology, type Topology } from './topology.js';
import { ZoneLockdownOverlay } from './zone-lockdown-overlay.js';
import { cardReaderViews, doorViews, readerViews, type CardReaderStatusView, type DoorStatusView, type ReaderLoopView } from './status-views.js';

export type { BadgeOutcome } from './badge-attempts.js';

export type { CardReaderStatusView, DoorStatusView, ReaderLoopView } from './status-views.js';

/** Events for tests, the benchmark and metrics: `badge` (BadgeOutcome), `unlock-sent` ({ attemptId, searchAt, sentAt }), `unlock-acked`. */
export interface BadgeInEvents {
  badge: [BadgeOutcome];
  'unlock-sent': [{ attemptId: string; doorId: string; searchAt: number; sentAt: number }];
  'unlock-acked': [{ attemptId: string; doorId: string; decidedAt: number; ackedAt: number }];
}

const MAX_PRESENCE_RESTORE_MS = 7 * 86_400_000;
/** Cluster notice channel: staff door overrides set on one instance apply on all. */
const OVERRIDES_CHANNEL = 'door-overrides';

/**
 * The badge-in engine, composed of its parts: the identification loops on the door readers
 * ({@link ReaderLoops}), decide and act ({@link BadgeAttempts}), and the correlation of the
 * controllers' door events ({@link DoorEventCorrelator}, {@link ControllerSequences}). This class
 * loads what they read (registry snapshot, wiring, overrides, presence), wires them to the door
 * edge and the reader fleet, and serves the views.
 */
@Injectable()
export class BadgeInService extends EventEmitter<BadgeInEvents> implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('BadgeIn');
  readonly zoneState = new ZoneState();
  private snapshot: RegistrySnapshot | null = null;
  private model: SiteModel | null = null;
  /** Zone lockdowns set while the database was unreachable, over every snapshot until written. */
  readonly lockdownOverlay = new ZoneLockdownOverlay();
  private topology: Topology = { doors: new Map(), readers: new Map(), cardReaders: new Map(), byChannel: new Map(), controllers: new Map() };
  private loadedVersion = -1;
  private loading: Promise<void> | null = null;
  private readonly overrides = new Map<string, DoorOverrideMode>();
  private readonly inflight = new Set<Promise<unknown>>();
  private readonly loops: ReaderLoops;
  private readonly attempts: BadgeAttempts;
  private readonly credentialAttempts: CredentialAttempts;
  private readonly correlator: DoorEventCorrelator;
  private readonly sequences: ControllerSequences;
  private readonly handover?: FailoverHandover;
  private unsubscribe?: () => void;
  private stopped = false;
  /** Door commands wait this long for their reply before the attempt is recorded as door_unreachable. */
  readonly unlockMs: number;
  readonly threshold: number;

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    writes: WriteQueue,
    config: AppConfig,
    private readonly clock: Clock,
    private readonly snapshots: RegistrySnapshotService,
    private readonly changes: RegistryChanges,
    private readonly devices: DeviceWiringService,
    private readonly readers: ReaderManager,
    private readonly doors: DoorCommandService,
    accessLog: AccessLogService,
    private readonly passages: PassageHistory,
    private readonly alarms: AlarmService,
    private readonly bus: MonitorBus,
    private readonly readiness: ReadinessRegistry,
    credentials: CredentialService,
    private readonly cards: CardFleet,
    private readonly library: ReaderLibraryService,
    private readonly cardReaders: CardReaderService,
    @Optional() private readonly cluster?: ClusterBus,
    @Optional() ownership?: DeviceOwnership,
    @Optional() controllerSecrets?: RegistryControllerSecrets,
  ) {
    super();
    this.setMaxListeners(100);
    this.unlockMs = config.BADGE_UNLOCK_MS;
    this.threshold = config.BADGE_MATCH_THRESHOLD;
    const followUps = new FollowUps(accessLog, bus, clock, this.logger);
    this.correlator = new DoorEventCorrelator({
      topology: () => this.topology,
      zoneState: this.zoneState,
      alarms,
      bus,
      followUps,
      clock,
      unlockMs: this.unlockMs,
      track: (p) => void this.track(p),
      logger: this.logger,
    });
    this.sequences = new ControllerSequences(
      {
        load: () => ds.getRepository(ControllerSequenceEntity).find(),
        save: async (rows) => {
          await writes.transaction((m) => m.getRepository(ControllerSequenceEntity).save(rows));
        },
      },
      clock,
      this.logger,
    );
    if (ownership && controllerSecrets) {
      this.handover = new FailoverHandover({
        ownership,
        doors,
        secrets: controllerSecrets,
        sequences: this.sequences,
        controllers: () => this.topology.controllers.keys(),
        logger: this.logger,
      });
    }
    this.attempts = new BadgeAttempts({
      // OSDP card readers stay with their host (no failover group); fingerprint readers ask the fleet.
      claim: (readerId) => (this.topology.cardReaders.has(readerId) ? { mine: true, fence: null } : readers.claim(readerId)),
      slotOwner: (readerId, pageId) => library.slotOwner(readerId, pageId),
      stale: () => this.loadedVersion !== this.changes.currentVersion || !this.snapshot,
      refresh: () => this.refresh(),
      model: () => this.model,
      doorMode: (doorId) => this.doorMode(doorId),
      doors,
      zoneState: this.zoneState,
      accessLog,
      bus,
      alarms,
      followUps,
      correlator: this.correlator,
      readers,
      cards,
      clock,
      threshold: this.threshold,
      unlockMs: this.unlockMs,
      onUnlockSent: (e) => this.emit('unlock-sent', e),
      onUnlockAcked: (e) => this.emit('unlock-acked', e),
      logger: this.logger,
    });
    this.credentialAttempts = new CredentialAttempts({
      attempts: this.attempts,
      credentials,
      awaiting: (readerId) => void cards.feedback(readerId, 'awaiting'),
      clock,
      threshold: this.threshold,
      onOutcome: (o) => this.emit('badge', o),
      logger: this.logger,
    });
    this.loops = new ReaderLoops(
      readers,
      {
        intervalMs: config.BADGE_POLL_INTERVAL_MS,
        idleBackoff: config.BADGE_POLL_IDLE_BACKOFF,
        maxLineShare: config.BADGE_POLL_LINE_SHARE / 100,
        baudRate: DEFAULT_READER_BAUD,
      },
      (readerId, hit, searchAt) =>
        void this.track(this.finger(readerId, hit, searchAt).catch((err: Error) => this.logger.error(`badge-in on reader ${readerId} failed: ${err.message}`))),
      this.logger,
    );
  }

  /** Start-to-start period of an active door reader's finger polls (BADGE_POLL_INTERVAL_MS, stretched to the line share). */
  get pollPeriodMs(): number {
    return this.loops.periodMs;
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
  private readonly onReaderReady = (readerId: string) => this.loops.ready(readerId);
  private readonly onCard = (c: CardPresented) => void this.track(this.credentialAttempts.card(c.readerId, c.read));
  private readonly onPin = (p: PinEntered) => void this.track(this.credentialAttempts.pin(p.readerId, p.pin, p.cancelled));
  private readonly onCardReaderState = (s: { readerId: string; siteId: string; online: boolean; trusted: boolean }) => {
    if (!this.topology.cardReaders.has(s.readerId)) return;
    const state = !s.trusted ? 'untrusted' : s.online ? 'online' : 'offline';
    if (state !== 'online') void this.track(this.credentialAttempts.readerGone(s.readerId));
    this.bus.publish({ type: 'reader', readerId: s.readerId, siteId: s.siteId, state, at: this.clock.nowMs() });
  };
  private readonly onCardReaderAlarm = (a: { readerId: string; siteId: string; source: string; reason: string }) => {
    const b = this.topology.cardReaders.get(a.readerId);
    const door = b?.doorId ? this.topology.doors.get(b.doorId) : undefined;
    // A reader that cannot prove its key, or whose case was opened: a tamper-class alarm at its door.
    void this.alarms
      .raise({
        kind: 'tamper',
        siteId: a.siteId,
        zoneId: door?.zoneId ?? null,
        doorId: door?.doorId ?? null,
        detail: `card reader ${a.readerId}: ${a.source} ${a.reason}`,
      })
      .catch((err: Error) => this.logger.error(`card reader alarm not recorded: ${err.message}`));
  };

  async onApplicationBootstrap(): Promise<void> {
    for (const s of await this.sequences.restore()) this.doors.restoreSequence(s.mqttId, s.epoch, s.seq);
    this.handover?.start();
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
    this.cards.on('card', this.onCard);
    this.cards.on('pin', this.onPin);
    this.cards.on('state', this.onCardReaderState);
    this.cards.on('alarm', this.onCardReaderAlarm);
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
    const rows = await this.passages.grantedSince(this.clock.nowMs() - windowMs);
    for (const r of rows) this.zoneState.recordPassage(r.personId, r.zoneId, r.direction === 'entry' ? 'inside' : 'outside', r.occurredAt);
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
    this.handover?.stop();
    this.readers.off('ready', this.onReaderReady);
    this.readers.off('state', this.onReaderState);
    this.cards.off('card', this.onCard);
    this.cards.off('pin', this.onPin);
    this.cards.off('state', this.onCardReaderState);
    this.cards.off('alarm', this.onCardReaderAlarm);
    this.loops.stop();
    this.credentialAttempts.stop();
    this.correlator.stop();
    await Promise.allSettled([...this.inflight]);
    await this.sequences.stop().catch(() => undefined);
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p)).catch(() => undefined);
    return p;
  }

  /**
   * Reloads snapshot, index and wiring if the registry changed; the decision path awaits only then.
   * A change announced while the database is unreachable (another instance's notice) cannot be
   * read: the model held stays in use (degraded mode, docs/failover.md) and the reload is tried
   * again at the next call.
   */
  private refresh(): Promise<void> {
    return this.reload().catch((err: unknown) => {
      if (!this.model || !isConnectionError(err)) throw err;
    });
  }

  private reload(): Promise<void> {
    if (this.loadedVersion === this.changes.currentVersion && this.snapshot) return Promise.resolve();
    if (this.loading) return this.loading.then(() => this.reload());
    const version = this.changes.currentVersion;
    this.loading = (async () => {
      const [loaded, topology] = await Promise.all([this.snapshots.current(), loadTopology(this.devices)]);
      const snapshot = this.lockdownOverlay.apply(loaded);
      this.snapshot = snapshot;
      this.topology = topology;
      this.model = { snapshot, index: indexSnapshot(snapshot), topology };
      this.loadedVersion = version;
      if (!this.stopped) this.loops.sync(topology.readers.keys());
    })().finally(() => {
      this.loading = null;
    });
    return this.loading.then(() => (this.loadedVersion === this.changes.currentVersion ? undefined : this.reload()));
  }

  // ---- decision and door events ----------------------------------------------------------------

  /**
   * A Search result from a door reader, decided and acted on. Public so the service-level tests
   * and the benchmark can drive it; the loops call it with what the module answered.
   */
  async badge(readerId: string, hit: SearchHit, searchAt = performance.now()): Promise<BadgeOutcome> {
    const outcome = await this.attempts.badge(readerId, hit, searchAt);
    this.emit('badge', outcome);
    return outcome;
  }

  /**
   * A finger on a door reader: alone at a fingerprint door (the fast path, {@link badge}), as
   * one factor of an attempt where the door's policy names cards too.
   */
  private async finger(readerId: string, hit: SearchHit, searchAt: number): Promise<void> {
    const model = await this.attempts.model();
    const binding = model.topology.readers.get(readerId);
    const policy = binding ? CredentialAttempts.policyOf(model, binding) : null;
    if (policy === null || policy === 'fingerprint') {
      await this.badge(readerId, hit, searchAt);
      return;
    }
    const owner = hit ? await this.library.slotOwner(readerId, hit.pageId) : null;
    await this.credentialAttempts.finger(readerId, hit, owner, searchAt);
  }

  private async handleDoorEvent(e: DoorEventRecord): Promise<void> {
    this.sequences.note(e.controllerId, e.epoch, e.seq);
    await this.correlator.handle(e);
  }

  // ---- modes and views -------------------------------------------------------------------------

  doorMode(doorId: string): DoorHoldMode {
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

  /** Lays the lockdown overlay over the snapshot held now (after a change made while degraded). */
  applyLockdownOverlay(): void {
    if (!this.snapshot || !this.model) return;
    this.snapshot = this.lockdownOverlay.apply(this.snapshot);
    // The decision index is keyed to its snapshot (decideBadgeIn refuses a mismatched pair), so it is rebuilt with it.
    this.model = { ...this.model, snapshot: this.snapshot, index: indexSnapshot(this.snapshot) };
  }

  currentSnapshot(): RegistrySnapshot | null {
    return this.snapshot;
  }

  readerViews(): ReaderLoopView[] {
    return readerViews(this.topology, this.loops, this.readers, this.bus);
  }

  /** Every OSDP card reader: its bus state here, or where it is wired when another instance polls it. */
  async cardReaderViews(): Promise<CardReaderStatusView[]> {
    return cardReaderViews(await this.cardReaders.allCardReaders(), this.topology, this.cards.enabled, this.cards.list());
  }

  doorViews(): DoorStatusView[] {
    return doorViews(this.topology, this.doors, this.overrides, this.snapshot);
  }

  publishMode(siteId: string, zoneId: string | null, doorId: string | null, mode: string): void {
    this.bus.publish({ type: 'mode', siteId, zoneId, doorId, mode, at: this.clock.nowMs() });
  }
}
