import { EventEmitter } from 'node:events';
import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown, Optional } from '@nestjs/common';
import { DeviceOwnership, type DeviceClaim } from '@acs/cluster';
import { AppConfig } from '@acs/config';
import { FingerprintReader, type FingerprintReaderOptions, type ReaderState, type ReaderStateChange } from '@acs/fingerprint';
import { ReadinessRegistry } from '@acs/health';
import { DeviceService, ReaderDirectory, RegistryChanges, type FleetReader, type ReaderModel, type ReaderRole } from '@acs/registry';
import { setTimeout as sleep } from 'node:timers/promises';

/** Registry model → driver opcode map (docs/r503-protocol.md §Instruction set, §Model differences): R50x is the R503 family, AS608 speaks the ZFM set. */
export function driverModel(model: ReaderModel): string {
  return model === 'R50x' ? 'r503' : 'r30x';
}

export interface ManagedReaderView {
  readerId: string;
  role: ReaderRole;
  state: ReaderState | 'disabled';
  capacity: number | null;
  error: string | null;
}

interface Entry {
  readerId: string;
  role: ReaderRole;
  /** Preferred host and failover group: whether this instance may use it is asked of the leases on each use. */
  placement: { host: string; failoverGroup: string | null };
  /** Transport, address, password ciphertext and model: a change means reopening. */
  fingerprint: string;
  reader: FingerprintReader;
  /** Tail of the per-reader lock chain. */
  lock: Promise<unknown>;
  paused: number;
}

/**
 * Opens every registry reader (door and enrolment) with the serial driver and keeps the set in
 * step with the registry. Everything that talks to a module goes through {@link withReader}: the
 * driver already serialises single commands, but a library operation is several commands
 * (DownChar then Store, or GenImg/Img2Tz/Search for badge-in) that must not interleave with another
 * user of the same character buffers (docs/r503-protocol.md §Link and defaults, §Flows).
 *
 * Events: `ready` (readerId) each time a reader completes a handshake, `state` ({ readerId, ...change }).
 */
@Injectable()
export class ReaderManager extends EventEmitter implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Readers');
  private readonly entries = new Map<string, Entry>();
  /** Where every reader this instance may serve is placed, open or not (as of the last sync). */
  private placements = new Map<string, { host: string; failoverGroup: string | null }>();
  private driverOptions: Partial<FingerprintReaderOptions> = {};
  private unsubscribe?: () => void;
  private syncing: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly config: AppConfig,
    private readonly devices: DeviceService,
    private readonly directory: ReaderDirectory,
    private readonly changes: RegistryChanges,
    private readonly readiness: ReadinessRegistry,
    @Optional() private readonly ownership?: DeviceOwnership,
  ) {
    super();
    this.setMaxListeners(100);
  }

  get enabled(): boolean {
    return this.config.READERS_ENABLED;
  }

  onApplicationBootstrap(): void {
    this.readiness.register('readers', async () => {
      const views = this.list();
      const failed = views.filter((v) => v.state === 'failed');
      const details = Object.fromEntries(views.map((v) => [v.readerId, v.state]));
      if (failed.length > 0) throw new Error(`readers failed: ${failed.map((f) => `${f.readerId} ${f.error ?? 'unknown error'}`).join(', ')}`);
      return details;
    });
    if (!this.enabled) return;
    const unsubscribe = this.changes.subscribe((c) => {
      if (c.kind === 'reader') void this.sync();
    });
    // A failover lease gained or lost opens or closes that group's readers here.
    const onLease = () => void this.sync();
    const onOutage = (degraded: boolean) => {
      if (degraded) for (const e of [...this.entries.values()]) this.dropIfLostWhileDegraded(e);
    };
    this.ownership?.on('changed', onLease);
    this.ownership?.on('outage', onOutage);
    this.unsubscribe = () => {
      unsubscribe();
      this.ownership?.off('changed', onLease);
      this.ownership?.off('outage', onOutage);
    };
    void this.sync();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    await this.syncing.catch(() => undefined);
    await Promise.all([...this.entries.values()].map((e) => e.reader.close().catch(() => undefined)));
    this.entries.clear();
  }

  /** Driver options for readers opened from now on (tests use short deadlines). */
  configureDriver(options: Partial<FingerprintReaderOptions>): void {
    this.driverOptions = options;
  }

  /** Re-read the registry: open new readers, reopen changed ones, close removed ones. */
  sync(): Promise<void> {
    const run = this.syncing.then(() => this.syncOnce());
    this.syncing = run.catch((err: unknown) => this.logger.error(`reader sync failed: ${(err as Error).message}`));
    return this.syncing;
  }

  private async syncOnce(): Promise<void> {
    if (this.stopped || !this.enabled) return;
    // Only the readers wired to this host, and those of a failover group whose lease this instance
    // holds now: another instance owns the rest (INSTANCE_ID).
    const me = this.config.INSTANCE_ID;
    let rows: FleetReader[];
    try {
      rows = this.ownership ? await this.directory.readersFor(me, this.ownership.groups) : await this.directory.readersOnHost(me);
    } catch (err) {
      // The database is unreachable: still let go of the readers whose lease is over (the leases are in memory).
      for (const e of [...this.entries.values()]) if (!this.claim(e.readerId).mine) await this.closeEntry(e);
      throw err;
    }
    this.placements = new Map(rows.map((r) => [r.id, { host: r.host, failoverGroup: r.failoverGroup }]));
    const seen = new Set<string>();
    for (const r of rows) {
      if (this.ownership && !this.ownership.claim(r).mine) continue;
      seen.add(r.id);
      const fingerprint = `${r.transport}|${r.address}|${r.passwordCt}|${r.model}|${r.role}|${r.host}|${r.failoverGroup ?? ''}`;
      const existing = this.entries.get(r.id);
      if (existing && existing.fingerprint === fingerprint) continue;
      // No failover reader is opened while the database is unreachable (see dropIfLostWhileDegraded).
      if (!existing && r.failoverGroup !== null && this.ownership?.degraded) continue;
      if (existing) await this.closeEntry(existing);
      if (this.stopped) return;
      await this.openEntry(r, fingerprint);
    }
    for (const e of [...this.entries.values()]) if (!seen.has(e.readerId)) await this.closeEntry(e);
  }

  private async openEntry(r: FleetReader, fingerprint: string): Promise<void> {
    const password = parseInt(await this.devices.readerPassword(r.id), 16) >>> 0;
    const reader = new FingerprintReader({
      ...this.driverOptions,
      path: r.transport,
      address: r.address,
      password,
      model: driverModel(r.model),
      name: r.id,
      logger: this.logger,
    });
    const entry: Entry = {
      readerId: r.id,
      role: r.role,
      placement: { host: r.host, failoverGroup: r.failoverGroup },
      fingerprint,
      reader,
      lock: Promise.resolve(),
      paused: 0,
    };
    this.entries.set(r.id, entry);
    reader.on('state', (change: ReaderStateChange) => {
      if (this.entries.get(r.id) !== entry) return;
      this.emit('state', { readerId: r.id, ...change });
      if (this.dropIfLostWhileDegraded(entry)) return;
      if (change.to === 'ready')
        void this.onReady(entry).catch((err: Error) => this.logger.warn(`reader ${r.id} ready, capacity not refreshed: ${err.message}`));
    });
    reader.open().catch(() => undefined);
  }

  /**
   * While the database is unreachable, a failover reader whose connection is lost (or was not up
   * when the outage began) is closed instead of reconnected: another instance that still reaches
   * the database may have taken its unit over, and the device server gave that instance the
   * connection (the newest client wins). Reconnecting would take it back from the lawful holder.
   * It reopens when the database is back and the lease renewed (docs/failover.md, "Failover
   * devices during a database outage"). True when the entry was closed.
   */
  private dropIfLostWhileDegraded(e: Entry): boolean {
    if (e.placement.failoverGroup === null || !this.ownership?.degraded) return false;
    const state = e.reader.state;
    if (state === 'ready' || state === 'closed') return false;
    this.logger.warn(`reader ${e.readerId} lost during the database outage (${state}); not reopened until the database is back`);
    void this.closeEntry(e);
    return true;
  }

  private async onReady(entry: Entry): Promise<void> {
    const capacity = entry.reader.info?.capacity;
    if (capacity !== undefined) {
      const row = await this.directory.reader(entry.readerId);
      if (row && row.capacity !== capacity) await this.devices.recordReaderCapacity(entry.readerId, capacity).catch(() => undefined);
    }
    this.emit('ready', entry.readerId);
  }

  private async closeEntry(e: Entry): Promise<void> {
    this.entries.delete(e.readerId);
    await e.reader.close().catch(() => undefined);
    this.emit('closed', e.readerId);
  }

  list(): ManagedReaderView[] {
    return [...this.entries.values()].map((e) => this.view(e));
  }

  stateOf(readerId: string): ManagedReaderView {
    const e = this.entries.get(readerId);
    if (!e) return { readerId, role: 'door', state: 'disabled', capacity: null, error: null };
    return this.view(e);
  }

  private view(e: Entry): ManagedReaderView {
    return {
      readerId: e.readerId,
      role: e.role,
      state: e.reader.state,
      capacity: e.reader.info?.capacity ?? null,
      error: e.reader.state === 'ready' ? null : (e.reader.lastError?.message ?? null),
    };
  }

  /** The driver, for callers that already hold the lock through {@link withReader}. */
  has(readerId: string): boolean {
    return this.entries.has(readerId);
  }

  /** Opcode map and buffer count of the reader's model. */
  profileOf(readerId: string): FingerprintReader['profile'] | undefined {
    return this.entries.get(readerId)?.reader.profile;
  }

  /** Template size the module reported at its last handshake (docs/r503-protocol.md §Data packets and template size). */
  templateSizeOf(readerId: string): number | undefined {
    return this.entries.get(readerId)?.reader.info?.templateSize;
  }

  /**
   * Whether this instance may use the reader now and, for one that can fail over, the fence its
   * attempts carry (null for a reader that stays with its host).
   */
  claim(readerId: string): DeviceClaim {
    const placement = this.entries.get(readerId)?.placement ?? this.placements.get(readerId);
    // With READERS_ENABLED off nothing is opened or placed here (tests and benches hand search
    // results in): every reader counts as this instance's, as before failover existed.
    if (!placement) return this.enabled ? { mine: false } : { mine: true, fence: null };
    if (this.ownership) return this.ownership.claim(placement);
    return placement.host === this.config.INSTANCE_ID ? { mine: true, fence: null } : { mine: false };
  }

  isReady(readerId: string): boolean {
    return this.entries.get(readerId)?.reader.state === 'ready';
  }

  /**
   * Run `job` with exclusive use of the reader: no other library operation, enrolment step or
   * identification cycle runs on this module until it settles. Keep jobs short (one library
   * operation, one identification poll) so the others get their turn.
   */
  withReader<T>(readerId: string, job: (reader: FingerprintReader) => Promise<T>): Promise<T> {
    const e = this.entries.get(readerId);
    if (!e) return Promise.reject(new Error(`reader ${readerId} is not open`));
    const run = e.lock.then(() => {
      // Checked when the job's turn comes, not when it was queued: a process resumed after a pause
      // past its lease must not send one more command to a reader another instance now serves.
      if (!this.claim(readerId).mine) {
        void this.sync();
        throw new Error(`reader ${readerId} is served by another instance now`);
      }
      return job(e.reader);
    });
    e.lock = run.catch(() => undefined);
    return run;
  }

  /**
   * Background maintenance (the outbox worker, reconciliation) skips a paused reader. Badge-in does
   * not need this to share the port ({@link withReader} interleaves whole operations); it is for
   * callers that want the port quiet for a while. Returns the resume function.
   */
  pause(readerId: string): () => void {
    const e = this.entries.get(readerId);
    if (!e) return () => undefined;
    e.paused++;
    let resumed = false;
    return () => {
      if (resumed) return;
      resumed = true;
      e.paused--;
      if (e.paused === 0) this.emit('resumed', readerId);
    };
  }

  isPaused(readerId: string): boolean {
    return (this.entries.get(readerId)?.paused ?? 0) > 0;
  }

  /** Wait until a reader is ready (for tests and tools). */
  async whenReady(readerId: string, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.isReady(readerId)) {
      if (Date.now() > deadline) throw new Error(`reader ${readerId} not ready within ${timeoutMs} ms (${this.stateOf(readerId).state})`);
      await sleep(10);
    }
  }
}
