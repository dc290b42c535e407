import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { connect, type MqttClient } from 'mqtt';
import { type Clock, SystemClock } from '@acs/clock';
import {
  checkFreshness,
  commandTopic,
  type CommandBody,
  type CommandName,
  DEFAULT_MAX_SKEW_MS,
  type DoorState,
  type EventBody,
  EventSequencer,
  eventTopic,
  type EventType,
  newNonce,
  NonceCache,
  parseEnvelope,
  peekRequest,
  type ReplyBody,
  type ReplyCode,
  signEnvelope,
  stateTopic,
  type StateBody,
  statusTopic,
  type StatusBody,
  validateCommand,
  verifyEnvelope,
  assertValidControllerId,
  MAX_DOORS,
} from '@acs/door-protocol';
import { DoorUnit } from './door-unit.js';

export interface VirtualControllerOptions {
  /** Broker URL, e.g. mqtt://127.0.0.1:18830 */
  url: string;
  controllerId: string;
  /** Broker password; the username (and client id) is the controller id. */
  password?: string;
  /** HMAC secret shared with the server (hex string or bytes, >= 16 bytes). */
  secret: Buffer | string;
  /** Number of doors, numbered from 1; default 1. */
  doors?: number;
  clock?: Clock;
  /** Commands whose ts differs from our clock by more are rejected as stale; default 30 s. */
  maxSkewMs?: number;
  /** Default 30 s. */
  heldOpenMs?: number;
  /** Default 5 s. */
  rexUnlockMs?: number;
  /** Unacknowledged events are sent again after this long; default 2 s. */
  resendIntervalMs?: number;
  /** Oldest unacknowledged events are dropped beyond this (the server then sees a gap); default 10,000. */
  maxBufferedEvents?: number;
  reconnectPeriodMs?: number;
  keepaliveSec?: number;
  ca?: string | Buffer;
  rejectUnauthorized?: boolean;
  /** Where the simulator reports what it does; default silent. */
  log?: (line: string) => void;
}

export type RejectReason = Exclude<ReplyCode, 'ok'>;

export interface VirtualControllerEvents {
  /** A command passed MAC, freshness and replay checks and was executed. */
  command: [CommandBody];
  /** A command was refused before execution. */
  rejected: [{ reason: RejectReason; requestId?: string }];
  event: [EventBody];
  /** Online: subscribed to commands and birth published. */
  connected: [];
  disconnected: [];
  'subscribe-failed': [];
}

interface Buffered {
  body: EventBody;
  payload: string;
  sentAt: number;
}

/**
 * A door controller on the MQTT protocol (hardware/door-protocol/README.md), for tests, demos and
 * benchmarks. It behaves like the firmware should: verifies every command (MAC, freshness, nonce),
 * signs and numbers its events, keeps them until the server acknowledges them, and announces
 * itself with a retained birth message and a last will.
 */
export class VirtualController extends EventEmitter<VirtualControllerEvents> {
  readonly controllerId: string;
  readonly epoch: number;
  private readonly secret: Buffer;
  private readonly clock: Clock;
  private readonly doors = new Map<number, DoorUnit>();
  private readonly sequencer: EventSequencer;
  private readonly nonces: NonceCache;
  private readonly unacked = new Map<number, Buffered>();
  /**
   * Highest fencing token accepted. A real controller keeps it in non-volatile memory; this one
   * for the life of the object, across reconnects (the tests restart servers, not controllers).
   */
  private highestFence = 0;
  private readonly maxSkewMs: number;
  private client?: MqttClient;
  private resendTimer?: NodeJS.Timeout;
  private stateTimer?: NodeJS.Timeout;
  private connectionTs = 0;
  /** Subscribed and birth sent; until then new events wait in the buffer so replays stay in order. */
  private online = false;
  private readonly log: (line: string) => void;
  readonly stats = { accepted: 0, rejected: 0, rejectedBy: {} as Partial<Record<RejectReason, number>>, droppedEvents: 0 };

  constructor(private readonly options: VirtualControllerOptions) {
    super();
    assertValidControllerId(options.controllerId);
    this.controllerId = options.controllerId;
    this.secret = typeof options.secret === 'string' ? Buffer.from(options.secret, 'hex') : Buffer.from(options.secret);
    if (this.secret.length < 16) throw new RangeError('controller secret must be at least 16 bytes');
    this.clock = options.clock ?? new SystemClock();
    this.maxSkewMs = options.maxSkewMs ?? DEFAULT_MAX_SKEW_MS;
    // Remember nonces for twice the skew: any command still fresh enough to pass has its nonce here.
    this.nonces = new NonceCache(this.clock, 2 * this.maxSkewMs);
    this.epoch = this.clock.nowMs();
    this.sequencer = new EventSequencer(this.epoch);
    this.log = options.log ?? (() => {});
    const count = options.doors ?? 1;
    if (!Number.isSafeInteger(count) || count < 1 || count > MAX_DOORS) throw new RangeError(`doors must be 1..${MAX_DOORS}`);
    const timings = { heldOpenMs: options.heldOpenMs ?? 30_000, rexUnlockMs: options.rexUnlockMs ?? 5_000 };
    for (let d = 1; d <= count; d++) {
      this.doors.set(d, new DoorUnit(d, timings, (type, door, detail) => this.emitEvent(type, door, detail)));
    }
  }

  get connected(): boolean {
    return this.client?.connected ?? false;
  }

  /** Events published but not yet acknowledged by the server. */
  get pendingEvents(): number {
    return this.unacked.size;
  }

  get lastSeq(): number {
    return this.sequencer.current;
  }

  doorStates(): DoorState[] {
    return [...this.doors.values()].map((d) => d.state());
  }

  relayActivations(door: number): number {
    return this.unit(door).relayActivations;
  }

  // ---- physical inputs (control interface) ----------------------------------------------------

  openDoor(door: number): void {
    this.unit(door).contactOpen();
  }

  closeDoor(door: number): void {
    this.unit(door).contactClose();
  }

  pressExit(door: number): void {
    this.unit(door).pressExit();
  }

  tamper(): void {
    this.emitEvent('tamper', undefined, 'enclosure opened');
  }

  power(detail: 'mains' | 'battery'): void {
    this.emitEvent('power', undefined, detail);
  }

  // ---- connection -----------------------------------------------------------------------------

  /** Connects and resolves on the first CONNACK; later outages reconnect on their own. */
  async start(): Promise<void> {
    if (this.client) return;
    this.connectionTs = this.clock.nowMs();
    const client = connect(this.options.url, {
      clientId: this.controllerId,
      username: this.controllerId,
      password: this.options.password,
      // No persistent session: commands queued while we are away would be stale anyway, and
      // events are made reliable by our own buffer plus the server's acknowledgements.
      clean: true,
      protocolVersion: 4,
      keepalive: this.options.keepaliveSec ?? 10,
      reconnectPeriod: this.options.reconnectPeriodMs ?? 500,
      connectTimeout: 5000,
      // We subscribe ourselves on every CONNACK, before the birth message, so the server never
      // sees us online before we can receive commands.
      resubscribe: false,
      will: this.will(),
      ca: this.options.ca,
      rejectUnauthorized: this.options.rejectUnauthorized,
    });
    this.client = client;
    client.on('reconnect', () => {
      // Each connection gets a will signed with its own ts, so the server can order a late will
      // of an old connection behind the birth of a newer one.
      this.connectionTs = this.clock.nowMs();
      client.options.will = this.will();
    });
    client.on('connect', () => {
      (client.stream as unknown as Partial<Socket>).setNoDelay?.(true);
      this.log(`connected to ${this.options.url} as ${this.controllerId}`);
      client.subscribe(commandTopic(this.controllerId), { qos: 1 }, (err, granted) => {
        if (err || granted?.some((g) => g.qos === 128)) {
          this.log(`subscription to ${commandTopic(this.controllerId)} refused`);
          this.emit('subscribe-failed');
          return;
        }
        this.onConnected(client);
      });
    });
    client.on('close', () => (this.online = false));
    client.on('offline', () => {
      this.log('connection lost; buffering events');
      this.emit('disconnected');
    });
    client.on('error', (err) => this.log(`mqtt error: ${err.message}`));
    client.on('message', (topic, payload) => this.onCommand(topic, payload));
    await new Promise<void>((resolve, reject) => {
      const onErr = (err: Error): void => {
        cleanup();
        this.client = undefined;
        client.end(true, () => reject(err));
      };
      const onOk = (): void => {
        cleanup();
        resolve();
      };
      const onSubFail = (): void => onErr(new Error(`broker refused the subscription to ${commandTopic(this.controllerId)}`));
      const cleanup = (): void => {
        this.off('connected', onOk);
        this.off('subscribe-failed', onSubFail);
        client.off('error', onErr);
      };
      this.once('connected', onOk);
      this.once('subscribe-failed', onSubFail);
      client.once('error', onErr);
    });
    this.resendTimer = setInterval(() => this.resend(false), this.options.resendIntervalMs ?? 2000);
  }

  /** Graceful shutdown: publishes offline, then disconnects cleanly (so the will does not fire). */
  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.clearTimers();
    if (!client) return;
    if (client.connected) {
      await client.publishAsync(statusTopic(this.controllerId), this.statusPayload('offline'), { qos: 1, retain: true }).catch(() => undefined);
    }
    await client.endAsync(!client.connected);
  }

  /** Simulates power loss / a crash: the socket is dropped without DISCONNECT, so the broker publishes the will. */
  async kill(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.clearTimers();
    if (client) await client.endAsync(true);
  }

  private clearTimers(): void {
    clearInterval(this.resendTimer);
    clearTimeout(this.stateTimer);
    for (const d of this.doors.values()) d.dispose();
  }

  private onConnected(client: MqttClient): void {
    const status = statusTopic(this.controllerId);
    client.publish(status, this.statusPayload('online'), { qos: 1, retain: true }, () => {});
    this.online = true;
    this.publishState();
    this.resend(true);
    this.emit('connected');
  }

  private will(): { topic: string; payload: Buffer; qos: 1; retain: true } {
    return { topic: statusTopic(this.controllerId), payload: Buffer.from(this.statusPayload('offline')), qos: 1, retain: true };
  }

  private statusPayload(status: 'online' | 'offline'): string {
    const body: StatusBody = { v: 1, controllerId: this.controllerId, status, epoch: this.epoch, ts: this.connectionTs, nonce: newNonce() };
    return JSON.stringify(signEnvelope(this.secret, statusTopic(this.controllerId), body));
  }

  // ---- commands -------------------------------------------------------------------------------

  private onCommand(topic: string, payload: Buffer): void {
    if (topic !== commandTopic(this.controllerId)) return;
    const env = parseEnvelope(payload);
    if (!env.ok) return this.reject('invalid', undefined);
    const addr = peekRequest(env.value.body, this.controllerId);
    // MAC first: nothing unauthenticated is interpreted beyond finding where to send the refusal.
    if (!verifyEnvelope(this.secret, topic, env.value)) return this.reject('bad-mac', addr);
    const v = validateCommand(env.value.body, this.controllerId);
    if (!v.ok) return this.reject('invalid', addr, v.error);
    const cmd = v.value;
    const fresh = checkFreshness(cmd.ts, this.clock, this.maxSkewMs, cmd.ttlMs);
    if (fresh !== 'fresh') return this.reject('stale', addr, `timestamp is ${fresh === 'stale' ? 'too old' : 'in the future'}`);
    const nonce = this.nonces.check(cmd.nonce);
    if (nonce === 'replayed') return this.reject('replayed', addr);
    if (nonce === 'full') return this.reject('busy', addr, 'replay cache full');
    if (cmd.fence !== undefined) {
      // A lower fence comes from a server instance that has since lost this controller to another.
      if (cmd.fence < this.highestFence) return this.reject('fenced', addr, `fence ${cmd.fence} is below ${this.highestFence}`);
      this.highestFence = cmd.fence;
    }

    this.stats.accepted++;
    this.emit('command', cmd);
    switch (cmd.cmd) {
      case 'ack-events':
        return this.onAck(cmd.epoch, cmd.seq);
      case 'unlock':
      case 'lock':
      case 'set-mode': {
        const unit = this.doors.get(cmd.door);
        if (!unit) return this.reply(cmd.replyTo, cmd.requestId, cmd.cmd, 'unknown-door', `no door ${cmd.door}`);
        const result = cmd.cmd === 'unlock' ? unit.unlock(cmd.durationMs) : cmd.cmd === 'lock' ? unit.lock() : (unit.setMode(cmd.mode), { ok: true as const });
        if (!result.ok) return this.reply(cmd.replyTo, cmd.requestId, cmd.cmd, result.code, result.reason);
        return this.reply(cmd.replyTo, cmd.requestId, cmd.cmd, 'ok', undefined, [unit.state()]);
      }
      case 'read-state':
        return this.reply(cmd.replyTo, cmd.requestId, cmd.cmd, 'ok', undefined, this.doorStates());
      case 'ping':
        return this.reply(cmd.replyTo, cmd.requestId, cmd.cmd, 'ok');
    }
  }

  private reject(reason: RejectReason, addr: ReturnType<typeof peekRequest> | undefined, detail?: string): void {
    this.stats.rejected++;
    this.stats.rejectedBy[reason] = (this.stats.rejectedBy[reason] ?? 0) + 1;
    this.log(`command rejected: ${reason}${detail ? ` (${detail})` : ''}`);
    this.emit('rejected', { reason, requestId: addr?.requestId });
    this.emitEvent('command-rejected', undefined, reason);
    if (addr) this.reply(addr.replyTo, addr.requestId, addr.cmd, reason, detail);
  }

  private reply(replyTo: string, requestId: string, cmd: CommandName, code: ReplyCode, reason?: string, doors?: DoorState[]): void {
    const body: ReplyBody = {
      v: 1,
      controllerId: this.controllerId,
      requestId,
      cmd,
      ok: code === 'ok',
      code,
      reason: reason?.slice(0, 200),
      doors,
      ts: this.clock.nowMs(),
      nonce: newNonce(),
    };
    this.client?.publish(replyTo, JSON.stringify(signEnvelope(this.secret, replyTo, body)), { qos: 1 }, () => {});
  }

  // ---- events ---------------------------------------------------------------------------------

  private emitEvent(type: EventType, door: number | undefined, detail?: string): void {
    const body: EventBody = {
      v: 1,
      controllerId: this.controllerId,
      epoch: this.epoch,
      seq: this.sequencer.next(),
      type,
      door,
      detail,
      ts: this.clock.nowMs(),
      nonce: newNonce(),
    };
    const topic = eventTopic(this.controllerId);
    const entry: Buffered = { body, payload: JSON.stringify(signEnvelope(this.secret, topic, body)), sentAt: 0 };
    this.unacked.set(body.seq, entry);
    const max = this.options.maxBufferedEvents ?? 10_000;
    while (this.unacked.size > max) {
      const oldest = this.unacked.keys().next().value as number;
      this.unacked.delete(oldest);
      this.stats.droppedEvents++;
    }
    this.emit('event', body);
    this.send(entry);
    if (door !== undefined) this.scheduleState();
  }

  private send(entry: Buffered): void {
    const client = this.client;
    if (!client?.connected || !this.online) return; // kept in the buffer, replayed on reconnect
    entry.sentAt = Date.now();
    client.publish(eventTopic(this.controllerId), entry.payload, { qos: 1 }, () => {});
  }

  /** On reconnect everything unacknowledged, otherwise what has waited a resend interval. */
  private resend(all: boolean): void {
    const cutoff = Date.now() - (this.options.resendIntervalMs ?? 2000);
    for (const entry of this.unacked.values()) if (all || entry.sentAt <= cutoff) this.send(entry);
  }

  private onAck(epoch: number, seq: number): void {
    if (epoch !== this.epoch) return;
    for (const s of this.unacked.keys()) {
      if (s > seq) break; // Map keeps insertion order, which is seq order
      this.unacked.delete(s);
    }
  }

  /** The retained state is a convenience snapshot; coalesce bursts of door changes into one publish. */
  private scheduleState(): void {
    if (this.stateTimer) return;
    this.stateTimer = setTimeout(() => {
      this.stateTimer = undefined;
      this.publishState();
    }, 50);
  }

  private publishState(): void {
    const topic = stateTopic(this.controllerId);
    const body: StateBody = { v: 1, controllerId: this.controllerId, epoch: this.epoch, doors: this.doorStates(), ts: this.clock.nowMs(), nonce: newNonce() };
    this.client?.publish(topic, JSON.stringify(signEnvelope(this.secret, topic, body)), { qos: 1, retain: true }, () => {});
  }

  private unit(door: number): DoorUnit {
    const u = this.doors.get(door);
    if (!u) throw new RangeError(`no door ${door} (this controller has ${this.doors.size})`);
    return u;
  }
}
