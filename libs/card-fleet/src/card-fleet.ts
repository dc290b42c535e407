import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { Clock } from '@acs/clock';
import { AppConfig } from '@acs/config';
import type { CardRead as StoredCardRead } from '@acs/credentials';
import { ReadinessRegistry } from '@acs/health';
import { OsdpBus, RawFormat, type CardRead, type OsdpBusOptions } from '@acs/osdp';
import { CardReaderService, RegistryChanges, type FleetBus } from '@acs/registry';
import { feedbackCommands, type Feedback } from './feedback.js';
import { KeypadEntry } from './keypad-entry.js';

/** A reader's state as staff views show it; never a key, never a card number. */
export interface CardReaderState {
  readerId: string;
  busId: string;
  siteId: string;
  role: 'door' | 'enrolment';
  address: number;
  online: boolean;
  /** `scbk` (its own key), `scbk-d` (install mode), `plain`. */
  secure: string;
  /** False once it failed Secure Channel set-up: it is ignored until the bus is reopened. */
  trusted: boolean;
  tamper: boolean;
  lastSeenAt: number | null;
}

export interface CardPresented {
  readerId: string;
  read: StoredCardRead;
  at: number;
}

export interface PinEntered {
  readerId: string;
  /** Digits only; '' when the person pressed the cancel key. Personal data: never log it. */
  pin: string;
  cancelled: boolean;
  at: number;
}

export interface CardFleetEvents {
  card: [CardPresented];
  pin: [PinEntered];
  state: [CardReaderState];
  alarm: [{ readerId: string; siteId: string; source: 'secure-channel' | 'local-status'; reason: string; at: number }];
}

interface OpenBus {
  config: FleetBus;
  /** Transport, speed and each reader's address and modes: a change means reopening the line. */
  fingerprint: string;
  bus: OsdpBus;
  byAddress: Map<number, FleetBus['readers'][number]>;
}

const fingerprintOf = (b: FleetBus) => JSON.stringify([b.transport, b.baudRate, b.readers.map((r) => [r.id, r.address, r.secureMode, r.installMode, r.role])]);

/**
 * The OSDP card readers of this instance (issue 17): one {@link OsdpBus} per RS-485 line wired to
 * it, kept in step with the registry. Card reads and PINs go out as events with the registry's
 * reader id (badge-in and the desk flows listen); a reader in install mode is given a key of its
 * own as soon as its Secure Channel is up under the default key; a reader that fails Secure
 * Channel set-up or reports its tamper switch raises `alarm`.
 */
@Injectable()
export class CardFleet extends EventEmitter<CardFleetEvents> implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('CardReaders');
  private readonly open = new Map<string, OpenBus>();
  private readonly states = new Map<string, CardReaderState>();
  private readonly keypads = new Map<string, KeypadEntry>();
  private unsubscribe?: () => void;
  private syncing: Promise<void> = Promise.resolve();
  private stopped = false;
  /** Bus options the tests narrow (reply timeout, poll interval); production uses the spec's. */
  busOptions: Partial<OsdpBusOptions> = {};

  constructor(
    private readonly config: AppConfig,
    private readonly registry: CardReaderService,
    private readonly changes: RegistryChanges,
    private readonly clock: Clock,
    private readonly readiness: ReadinessRegistry,
  ) {
    super();
    this.setMaxListeners(100);
  }

  get enabled(): boolean {
    return this.config.READERS_ENABLED;
  }

  onApplicationBootstrap(): void {
    this.readiness.register('card_readers', async () =>
      Object.fromEntries([...this.states.values()].map((s) => [s.readerId, s.online ? 'online' : 'offline'])),
    );
    if (!this.enabled) return;
    this.unsubscribe = this.changes.subscribe((c) => {
      if (c.kind === 'osdp_bus' || c.kind === 'card_reader') void this.sync();
    });
    void this.sync();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    await this.syncing.catch(() => undefined);
    await Promise.all([...this.open.values()].map((o) => o.bus.close().catch(() => undefined)));
    this.open.clear();
  }

  /** Reloads this instance's buses; serialised so two changes never open a line twice. */
  sync(): Promise<void> {
    this.syncing = this.syncing.then(() => this.syncOnce()).catch((err: Error) => this.logger.error(`card reader sync failed: ${err.message}`));
    return this.syncing;
  }

  /** The state of every card reader this instance drives. */
  list(): CardReaderState[] {
    return [...this.states.values()].sort((a, b) => a.busId.localeCompare(b.busId) || a.address - b.address);
  }

  has(readerId: string): boolean {
    return this.states.has(readerId);
  }

  /** LED and buzzer at the reader; a courtesy, so failures (offline, NAK) are swallowed. */
  async feedback(readerId: string, what: Feedback): Promise<void> {
    const target = this.locate(readerId);
    if (!target) return;
    for (const command of feedbackCommands(what)) {
      await target.bus.send(target.address, command).catch(() => undefined);
    }
  }

  private locate(readerId: string): { bus: OsdpBus; address: number } | undefined {
    for (const o of this.open.values()) {
      for (const r of o.byAddress.values()) if (r.id === readerId) return { bus: o.bus, address: r.address };
    }
    return undefined;
  }

  private async syncOnce(): Promise<void> {
    if (this.stopped) return;
    // A line with no reader yet (just created, or its last reader deleted) has nothing to poll and
    // OsdpBus refuses it: left closed, rather than failing this sync for every other line.
    const buses = (await this.registry.busesOnHost(this.config.INSTANCE_ID)).filter((b) => b.readers.length > 0);
    const wanted = new Map(buses.map((b) => [b.id, b]));
    for (const [id, o] of this.open) {
      const next = wanted.get(id);
      if (next && fingerprintOf(next) === o.fingerprint) continue;
      this.open.delete(id);
      await o.bus.close().catch(() => undefined);
      for (const r of o.config.readers) {
        this.states.delete(r.id);
        this.keypads.delete(r.id);
      }
    }
    for (const [id, config] of wanted) {
      if (!this.open.has(id) && !this.stopped) this.start(config);
    }
  }

  private start(config: FleetBus): void {
    const byAddress = new Map(config.readers.map((r) => [r.address, r]));
    const bus = new OsdpBus({
      path: config.transport,
      baudRate: config.baudRate,
      pds: config.readers.map((r) => ({ address: r.address, secure: r.secureMode, installMode: r.installMode })),
      keys: (address) => {
        const r = byAddress.get(address);
        return r ? this.registry.readerKey(r.id) : undefined;
      },
      clock: this.clock,
      ...this.busOptions,
    });
    const o: OpenBus = { config, fingerprint: fingerprintOf(config), bus, byAddress };
    this.open.set(config.id, o);
    for (const r of config.readers) {
      this.states.set(r.id, {
        readerId: r.id,
        busId: config.id,
        siteId: r.siteId,
        role: r.role,
        address: r.address,
        online: false,
        secure: 'plain',
        trusted: true,
        tamper: false,
        lastSeenAt: null,
      });
      this.keypads.set(r.id, new KeypadEntry());
    }
    const reader = (address: number) => byAddress.get(address);
    bus.on('online', ({ address }) => this.update(address, o, { online: true, lastSeenAt: this.clock.nowMs() }));
    bus.on('offline', ({ address }) => {
      this.update(address, o, { online: false, secure: 'plain' });
      const r = reader(address);
      if (r) this.keypads.get(r.id)?.clear();
    });
    bus.on('secure', (s) => {
      if (s.state === 'established') {
        this.update(s.address, o, { secure: s.keyMode });
        if (s.keyMode === 'scbk-d') void this.giveOwnKey(o, s.address);
      } else if (s.state === 'failed' && s.reason !== 'no_key') {
        this.update(s.address, o, { trusted: false, secure: 'plain' });
      } else {
        this.update(s.address, o, { secure: 'plain' });
      }
    });
    bus.on('status', (s) => this.update(s.address, o, { tamper: s.tamper }));
    bus.on('alarm', (a) => {
      const r = reader(a.address);
      // The reason is a handshake code or "tamper switch": never key or card material.
      if (r) this.emit('alarm', { readerId: r.id, siteId: r.siteId, source: a.source, reason: a.reason, at: this.clock.nowMs() });
    });
    bus.on('card', (c) => this.onCard(reader(c.address), c));
    bus.on('keypad', (k) => {
      const r = reader(k.address);
      if (!r) return;
      for (const entry of this.keypads.get(r.id)?.push(k.keys, this.clock.nowMs()) ?? []) {
        this.emit('pin', { readerId: r.id, pin: entry.pin, cancelled: entry.cancelled, at: this.clock.nowMs() });
      }
    });
    bus.on('transport', (t) => {
      if (t.state === 'closed' && t.error) this.logger.warn(`OSDP bus ${config.id}: line closed (${t.error}); reconnecting`);
    });
    bus.start();
    this.logger.log(`OSDP bus ${config.id}: polling ${config.readers.length} reader(s) on ${config.transport}`);
  }

  private onCard(r: FleetBus['readers'][number] | undefined, c: CardRead): void {
    if (!r) return;
    // osdp_FMT (characters) is not a card number format this product issues against: ignored, counted by kind.
    if (c.format === 'fmt') return;
    const read: StoredCardRead = { format: c.format === RawFormat.Wiegand ? 'wiegand' : 'unspecified', bitCount: c.bitCount, data: c.data };
    this.keypads.get(r.id)?.clear();
    this.emit('card', { readerId: r.id, read, at: this.clock.nowMs() });
  }

  /**
   * Install mode: the Secure Channel is up under the public default key, so a fresh random key
   * goes to the reader with osdp_KEYSET (OSDP v2.2 §6.19, Annex D) and, once it acknowledged, to
   * the registry (encrypted); the bus then sets the channel up again with it.
   */
  private async giveOwnKey(o: OpenBus, address: number): Promise<void> {
    const r = o.byAddress.get(address);
    if (!r) return;
    const scbk = randomBytes(16);
    try {
      await o.bus.setKey(address, scbk);
      await this.registry.storeReaderKey(r.id, scbk);
      // The bus already left install mode for this reader: the registry change that follows must not reopen the line.
      r.installMode = false;
      o.fingerprint = fingerprintOf(o.config);
      this.logger.log(`card reader ${r.id}: own Secure Channel key set, install mode off`);
    } catch (err) {
      this.logger.warn(`card reader ${r.id}: key not set (${(err as Error).message})`);
    } finally {
      scbk.fill(0);
    }
  }

  private update(address: number, o: OpenBus, patch: Partial<CardReaderState>): void {
    const r = o.byAddress.get(address);
    const state = r ? this.states.get(r.id) : undefined;
    if (!state) return;
    Object.assign(state, patch);
    this.emit('state', { ...state });
  }
}
