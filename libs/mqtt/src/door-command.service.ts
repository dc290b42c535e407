import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import type { Clock } from '@acs/clock';
import {
  assertValidControllerId,
  commandTopic,
  type CommandBody,
  type DoorMode,
  type DoorState,
  type EventBody,
  newNonce,
  parseEnvelope,
  parseTopic,
  replyTopic,
  type ReplyBody,
  type RepliedCommandBody,
  SequenceTracker,
  SERVER_SUBSCRIPTIONS,
  signEnvelope,
  validateEvent,
  validateReply,
  validateState,
  validateStatus,
  verifyEnvelope,
  DOOR_MODES,
  aheadOfClock,
  MAX_DOORS,
  MAX_UNLOCK_MS,
  type TopicKind,
} from '@acs/door-protocol';
import type { ControllerSecretProvider } from './credentials.js';
import type { DoorTransport } from './mqtt-client.js';
import { SILENT_LOGGER, type MqttLogger } from './logger.js';
import { RateLimitedLog } from './rate-limited-log.js';

export type DoorCommandErrorCode =
  /** The controller's retained status says offline (its last will fired), or it went offline while we waited. */
  | 'controller-offline'
  /** Published, but no authentic reply within the timeout. */
  | 'no-reply'
  /** The controller answered and refused (see `reply.code`). */
  | 'rejected'
  /** The server itself has no broker connection. */
  | 'broker-unavailable'
  /** No secret for this controller: it is not registered. */
  | 'unknown-controller'
  | 'invalid-argument';

export class DoorCommandError extends Error {
  constructor(
    readonly code: DoorCommandErrorCode,
    message: string,
    readonly controllerId: string,
    readonly reply?: ReplyBody,
  ) {
    super(message);
    this.name = 'DoorCommandError';
  }
}

/** Upper bound of a command's ttlMs in the v1 schema. */
const MAX_TTL_MS = 600_000;

export type ControllerStatus = 'online' | 'offline' | 'unknown';

export interface DoorEventRecord {
  controllerId: string;
  epoch: number;
  seq: number;
  type: EventBody['type'];
  door?: number;
  detail?: string;
  /** The controller's clock at the event. */
  occurredAt: Date;
  receivedAt: Date;
}

export type SecurityEventKind =
  | 'forged-event'
  | 'forged-reply'
  | 'forged-state'
  | 'forged-status'
  | 'unknown-controller'
  | 'malformed-message'
  /** A timestamp or epoch beyond the server clock plus MAX_FUTURE_SKEW_MS: refused, never stored. */
  | 'future-timestamp'
  | 'command-rejected';

export interface SecurityEvent {
  kind: SecurityEventKind;
  controllerId?: string;
  topic: string;
  reason: string;
  at: Date;
}

export interface GapNotice {
  controllerId: string;
  epoch: number;
  from: number;
  to: number;
  at: Date;
}

export interface DoorEdgeEvents {
  'door-event': [DoorEventRecord];
  security: [SecurityEvent];
  gap: [GapNotice];
  status: [{ controllerId: string; status: ControllerStatus; at: Date }];
  'door-state': [{ controllerId: string; state: DoorState }];
}

export interface DoorCommandServiceOptions {
  /** How long a command waits for the reply; default 3000 ms. */
  commandTimeoutMs?: number;
  /** Reply-topic scope (`acs/v1/<id>/reply/<scope>`) when several servers share a broker. */
  replyScope?: string;
  /** Delay before acknowledging received events, so a burst costs one ack; default 20 ms. */
  ackDelayMs?: number;
  /**
   * Keep incoming events (not acknowledged) until {@link DoorCommandService.releaseEvents}: a
   * resumed session delivers queued events right after CONNACK, before the application's event
   * handlers are attached, and an event handled by nobody but acknowledged would be lost.
   */
  holdEvents?: boolean;
}

interface Pending {
  controllerId: string;
  cmd: RepliedCommandBody['cmd'];
  timer: NodeJS.Timeout;
  resolve: (reply: ReplyBody) => void;
  reject: (err: DoorCommandError) => void;
}

interface ControllerView {
  status: ControllerStatus;
  statusTs: number;
  doors: Map<number, DoorState>;
  /** Controller ts of the newest information applied per door, so replayed old events cannot roll state back. */
  doorTs: Map<number, number>;
  ackTimer?: NodeJS.Timeout;
  ackedSeq?: { epoch: number; seq: number };
}

type CommandArgs =
  | { cmd: 'unlock'; door: number; durationMs: number }
  | { cmd: 'lock'; door: number }
  | { cmd: 'set-mode'; door: number; mode: DoorMode }
  | { cmd: 'read-state' }
  | { cmd: 'ping' };

/**
 * Server side of the door protocol: sends signed commands and correlates replies by request id,
 * tracks controller status and door state, ingests signed events (dedup by sequence, gap notices,
 * cumulative acknowledgement) and reports anything inauthentic as a security event.
 */
export class DoorCommandService extends EventEmitter<DoorEdgeEvents> {
  private readonly pending = new Map<string, Pending>();
  private readonly controllers = new Map<string, ControllerView>();
  private readonly tracker = new SequenceTracker();
  private readonly timeoutMs: number;
  private readonly ackDelayMs: number;
  private readonly logger: MqttLogger;
  /** Incoming messages are handled one at a time, in arrival order, across the async secret lookup. */
  private inbox: Promise<void> = Promise.resolve();
  private stopped = false;
  private eventGate?: { promise: Promise<void>; open: () => void };
  private readonly securityLog: RateLimitedLog;

  constructor(
    private readonly transport: DoorTransport,
    private readonly secrets: ControllerSecretProvider,
    private readonly clock: Clock,
    private readonly options: DoorCommandServiceOptions = {},
    logger?: MqttLogger,
  ) {
    super();
    if (options.holdEvents) {
      let open!: () => void;
      const promise = new Promise<void>((r) => (open = r));
      this.eventGate = { promise, open };
    }
    this.timeoutMs = options.commandTimeoutMs ?? 3000;
    this.ackDelayMs = options.ackDelayMs ?? 20;
    this.logger = logger ?? SILENT_LOGGER;
    this.securityLog = new RateLimitedLog(this.logger, clock);
  }

  async start(): Promise<void> {
    this.stopped = false;
    const enqueue = (kind: TopicKind) => (topic: string, payload: Buffer) => {
      this.inbox = this.inbox
        .then(() => this.handle(kind, topic, payload))
        .catch((err: Error) => this.logger.error(`door message handling failed: ${err.message}`));
    };
    await this.transport.route(SERVER_SUBSCRIPTIONS.status, enqueue('status'));
    await this.transport.route(SERVER_SUBSCRIPTIONS.state, enqueue('state'));
    await this.transport.route(SERVER_SUBSCRIPTIONS.reply, enqueue('reply'));
    await this.transport.route(SERVER_SUBSCRIPTIONS.event, enqueue('event'));
  }

  /** The application's handlers are attached: events held since start-up are processed now, in order. */
  releaseEvents(): void {
    this.eventGate?.open();
    this.eventGate = undefined;
  }

  /** Rejects whatever is still waiting and stops acknowledging; the transport is closed by its owner. */
  stop(): void {
    this.stopped = true;
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      this.pending.delete(id);
      p.reject(new DoorCommandError('broker-unavailable', 'door command service stopped', p.controllerId));
    }
    for (const view of this.controllers.values()) clearTimeout(view.ackTimer);
  }

  /** Every failure, argument errors included, arrives as a rejected promise with a DoorCommandError. */
  async unlock(controllerId: string, door: number, durationMs: number): Promise<ReplyBody> {
    this.checkDoor(controllerId, door);
    if (!Number.isSafeInteger(durationMs) || durationMs < 1 || durationMs > MAX_UNLOCK_MS) {
      throw new DoorCommandError('invalid-argument', `unlock duration must be 1..${MAX_UNLOCK_MS} ms`, controllerId);
    }
    return this.send(controllerId, { cmd: 'unlock', door, durationMs });
  }

  async lock(controllerId: string, door: number): Promise<ReplyBody> {
    this.checkDoor(controllerId, door);
    return this.send(controllerId, { cmd: 'lock', door });
  }

  async setMode(controllerId: string, door: number, mode: DoorMode): Promise<ReplyBody> {
    this.checkDoor(controllerId, door);
    if (!DOOR_MODES.includes(mode)) throw new DoorCommandError('invalid-argument', `unknown door mode ${String(mode)}`, controllerId);
    return this.send(controllerId, { cmd: 'set-mode', door, mode });
  }

  readState(controllerId: string): Promise<ReplyBody> {
    return this.send(controllerId, { cmd: 'read-state' });
  }

  ping(controllerId: string): Promise<ReplyBody> {
    return this.send(controllerId, { cmd: 'ping' });
  }

  status(controllerId: string): ControllerStatus {
    return this.controllers.get(controllerId)?.status ?? 'unknown';
  }

  doorState(controllerId: string, door: number): DoorState | undefined {
    const s = this.controllers.get(controllerId)?.doors.get(door);
    return s ? { ...s } : undefined;
  }

  doorStates(controllerId: string): DoorState[] {
    return [...(this.controllers.get(controllerId)?.doors.values() ?? [])].map((s) => ({ ...s })).sort((a, b) => a.door - b.door);
  }

  /** Sequence numbers the server is still missing for the controller's current epoch. */
  missingEvents(controllerId: string): number[] {
    return this.tracker.missing(controllerId);
  }

  /** Seeds deduplication from the durable event record after a server restart. */
  restoreSequence(controllerId: string, epoch: number, highestSeq: number): void {
    this.tracker.restore(controllerId, epoch, highestSeq);
  }

  // ---- commands -------------------------------------------------------------------------------

  private checkDoor(controllerId: string, door: number): void {
    if (!Number.isSafeInteger(door) || door < 1 || door > MAX_DOORS) {
      throw new DoorCommandError('invalid-argument', `door must be 1..${MAX_DOORS}`, controllerId);
    }
  }

  private async send(controllerId: string, args: CommandArgs): Promise<ReplyBody> {
    try {
      assertValidControllerId(controllerId);
    } catch (err) {
      throw new DoorCommandError('invalid-argument', (err as Error).message, String(controllerId));
    }
    if (this.stopped || !this.transport.connected) {
      throw new DoorCommandError('broker-unavailable', `cannot ${args.cmd} on ${controllerId}: the server is not connected to the MQTT broker`, controllerId);
    }
    if (this.status(controllerId) === 'offline') {
      throw new DoorCommandError('controller-offline', `cannot ${args.cmd} on ${controllerId}: the controller is offline`, controllerId);
    }
    const secret = await this.secrets.getSecret(controllerId);
    if (!secret) throw new DoorCommandError('unknown-controller', `no secret for controller ${controllerId}: not registered`, controllerId);

    const requestId = randomUUID();
    const body = {
      v: 1,
      ...args,
      requestId,
      replyTo: replyTopic(controllerId, this.options.replyScope),
      ts: this.clock.nowMs(),
      // Once we report no-reply, the command must not run any more (e.g. delivered after a reconnect).
      ttlMs: Math.min(this.timeoutMs, MAX_TTL_MS),
      nonce: newNonce(),
    } as RepliedCommandBody;
    const topic = commandTopic(controllerId);
    const payload = JSON.stringify(signEnvelope(secret, topic, body));

    const reply = new Promise<ReplyBody>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(requestId);
        reject(
          new DoorCommandError(
            'no-reply',
            `controller ${controllerId} did not reply to ${args.cmd} within ${this.timeoutMs} ms (status ${this.status(controllerId)})`,
            controllerId,
          ),
        );
      }, this.timeoutMs);
      this.pending.set(requestId, { controllerId, cmd: args.cmd, timer, resolve, reject });
    });
    // Not awaited: the reply can overtake our PUBACK, and a publish stuck in mqtt.js' offline
    // queue must not hold the caller past the timeout.
    this.transport.publish(topic, payload, { qos: 1 }).catch((err: Error) => {
      const p = this.pending.get(requestId);
      if (!p) return;
      clearTimeout(p.timer);
      this.pending.delete(requestId);
      p.reject(new DoorCommandError('broker-unavailable', `publishing ${args.cmd} for ${controllerId} failed: ${err.message}`, controllerId));
    });
    return reply;
  }

  // ---- incoming -------------------------------------------------------------------------------

  private async handle(kind: TopicKind, topic: string, payload: Buffer): Promise<void> {
    if (kind === 'event' && this.eventGate) await this.eventGate.promise;
    const parsed = parseTopic(topic);
    if (!parsed || parsed.kind !== kind) return;
    const controllerId = parsed.controllerId;
    const envelope = parseEnvelope(payload);
    if (!envelope.ok) return this.security('malformed-message', topic, envelope.error, controllerId);
    const secret = await this.secrets.getSecret(controllerId);
    if (!secret) return this.security('unknown-controller', topic, 'message from a controller without a registered secret', controllerId);
    if (!verifyEnvelope(secret, topic, envelope.value)) {
      return this.security(
        `forged-${kind === 'reply' ? 'reply' : kind === 'event' ? 'event' : kind === 'state' ? 'state' : 'status'}`,
        topic,
        'MAC does not verify',
        controllerId,
      );
    }
    const body = envelope.value.body as { controllerId?: unknown };
    if (body.controllerId !== controllerId) return this.security('malformed-message', topic, 'body names another controller than its topic', controllerId);
    // Before anything orders by these times (status, door state, event epochs) or stores them.
    const ahead = aheadOfClock({ ts: (body as { ts?: unknown }).ts, epoch: (body as { epoch?: unknown }).epoch }, this.clock.nowMs());
    if (ahead)
      return this.security('future-timestamp', topic, `${ahead.field} ${ahead.value} is ahead of the server clock by more than the allowed skew`, controllerId);
    switch (kind) {
      case 'reply':
        return this.onReply(topic, controllerId, body);
      case 'event':
        return this.onEvent(topic, controllerId, body, secret, this.secrets.owns ? await this.secrets.owns(controllerId) : true);
      case 'state':
        return this.onState(topic, controllerId, body);
      case 'status':
        return this.onStatus(topic, controllerId, body);
      case 'cmd':
        return;
    }
  }

  private onReply(topic: string, controllerId: string, raw: unknown): void {
    const v = validateReply(raw);
    if (!v.ok) return this.security('malformed-message', topic, v.error, controllerId);
    const reply = v.value;
    if (reply.doors) this.applySnapshot(controllerId, reply.doors, reply.ts);
    const p = this.pending.get(reply.requestId);
    // Unknown request ids are QoS 1 duplicates, late replies after a timeout, or "replayed"
    // answers to a duplicate delivery of an already executed command: all harmless, all ignored.
    if (!p || p.controllerId !== controllerId) return;
    clearTimeout(p.timer);
    this.pending.delete(reply.requestId);
    if (reply.ok) p.resolve(reply);
    else
      p.reject(
        new DoorCommandError(
          'rejected',
          `controller ${controllerId} rejected ${p.cmd}: ${reply.code}${reply.reason ? ` (${reply.reason})` : ''}`,
          controllerId,
          reply,
        ),
      );
  }

  private onEvent(topic: string, controllerId: string, raw: unknown, secret: Buffer, owned: boolean): void {
    const v = validateEvent(raw);
    if (!v.ok) return this.security('malformed-message', topic, v.error, controllerId);
    const ev = v.value;
    if (!owned) {
      // Another instance's controller: show its doors, but leave sequence, records and the
      // acknowledgement to the owner (an ack from us would let the controller drop an event
      // the owner never stored).
      this.applyEvent(controllerId, ev);
      return;
    }
    const verdict = this.tracker.accept(controllerId, ev.epoch, ev.seq);
    const view = this.view(controllerId);
    if (verdict.kind === 'new') {
      const at = this.clock.now();
      if (verdict.gap) {
        this.logger.warn(`events ${verdict.gap.from}..${verdict.gap.to} of ${controllerId} missing so far`);
        this.emit('gap', { controllerId, epoch: ev.epoch, ...verdict.gap, at });
      }
      this.applyEvent(controllerId, ev);
      if (ev.type === 'command-rejected')
        this.security('command-rejected', topic, `controller rejected a command: ${ev.detail ?? 'unspecified'}`, controllerId);
      this.emit('door-event', {
        controllerId,
        epoch: ev.epoch,
        seq: ev.seq,
        type: ev.type,
        door: ev.door,
        detail: ev.detail,
        occurredAt: new Date(ev.ts),
        receivedAt: at,
      });
    }
    if (verdict.kind !== 'stale-epoch') this.scheduleAck(controllerId, view, secret);
  }

  private onState(topic: string, controllerId: string, raw: unknown): void {
    const v = validateState(raw);
    if (!v.ok) return this.security('malformed-message', topic, v.error, controllerId);
    this.applySnapshot(controllerId, v.value.doors, v.value.ts);
  }

  private onStatus(topic: string, controllerId: string, raw: unknown): void {
    const v = validateStatus(raw);
    if (!v.ok) return this.security('malformed-message', topic, v.error, controllerId);
    const s = v.value;
    const view = this.view(controllerId);
    // A will and the birth of the same connection carry the same ts, and the will comes last; a
    // will of an older connection arriving after a newer birth carries an older ts and is ignored.
    if (s.ts < view.statusTs || (s.ts === view.statusTs && s.status === 'online' && view.status === 'offline')) return;
    view.statusTs = s.ts;
    if (view.status === s.status) return;
    view.status = s.status;
    this.logger.log(`controller ${controllerId} is ${s.status}`);
    this.emit('status', { controllerId, status: s.status, at: this.clock.now() });
    if (s.status === 'offline') {
      for (const [id, p] of this.pending) {
        if (p.controllerId !== controllerId) continue;
        clearTimeout(p.timer);
        this.pending.delete(id);
        p.reject(new DoorCommandError('controller-offline', `controller ${controllerId} went offline before replying to ${p.cmd}`, controllerId));
      }
    }
  }

  // ---- state ----------------------------------------------------------------------------------

  private view(controllerId: string): ControllerView {
    let v = this.controllers.get(controllerId);
    if (!v) {
      v = { status: 'unknown', statusTs: 0, doors: new Map(), doorTs: new Map() };
      this.controllers.set(controllerId, v);
    }
    return v;
  }

  private applySnapshot(controllerId: string, doors: DoorState[], ts: number): void {
    const view = this.view(controllerId);
    for (const d of doors) {
      if (ts < (view.doorTs.get(d.door) ?? 0)) continue;
      view.doorTs.set(d.door, ts);
      this.setDoor(controllerId, { ...d });
    }
  }

  private applyEvent(controllerId: string, ev: EventBody): void {
    if (ev.door === undefined) return;
    const view = this.view(controllerId);
    if (ev.ts < (view.doorTs.get(ev.door) ?? 0)) return; // a replayed old event must not overwrite newer state
    const cur: DoorState = view.doors.get(ev.door) ?? { door: ev.door, locked: true, open: false, mode: 'normal', alarm: 'none' };
    const next = { ...cur };
    switch (ev.type) {
      case 'opened':
        next.open = true;
        break;
      case 'forced-open':
        next.open = true;
        next.alarm = 'forced-open';
        break;
      case 'held-open':
        next.alarm = 'held-open';
        break;
      case 'closed':
        next.open = false;
        next.alarm = 'none';
        break;
      case 'unlocked':
        next.locked = false;
        break;
      case 'locked':
        next.locked = true;
        break;
      case 'mode-changed':
        if (DOOR_MODES.includes(ev.detail as DoorMode)) next.mode = ev.detail as DoorMode;
        break;
      default:
        return;
    }
    view.doorTs.set(ev.door, ev.ts);
    this.setDoor(controllerId, next);
  }

  private setDoor(controllerId: string, state: DoorState): void {
    const view = this.view(controllerId);
    const prev = view.doors.get(state.door);
    view.doors.set(state.door, state);
    if (!prev || prev.locked !== state.locked || prev.open !== state.open || prev.mode !== state.mode || prev.alarm !== state.alarm) {
      this.emit('door-state', { controllerId, state: { ...state } });
    }
  }

  // ---- acknowledgements ------------------------------------------------------------------------

  /**
   * The controller keeps every event until the server acknowledges it (cumulatively, up to the
   * highest seq with nothing missing below), and replays the rest on reconnect. This, not broker
   * persistence, is what makes the event record complete across broker restarts.
   */
  private scheduleAck(controllerId: string, view: ControllerView, secret: Buffer): void {
    if (this.stopped || view.ackTimer) return;
    view.ackTimer = setTimeout(() => {
      view.ackTimer = undefined;
      const upTo = this.tracker.contiguous(controllerId);
      if (!upTo || upTo.seq === 0 || !this.transport.connected) return;
      const topic = commandTopic(controllerId);
      const body: CommandBody = {
        v: 1,
        cmd: 'ack-events',
        requestId: randomUUID(),
        epoch: upTo.epoch,
        seq: upTo.seq,
        ts: this.clock.nowMs(),
        nonce: newNonce(),
      };
      this.transport
        .publish(topic, JSON.stringify(signEnvelope(secret, topic, body)), { qos: 1 })
        .then(() => (view.ackedSeq = upTo))
        .catch((err: Error) => this.logger.warn(`acknowledging events of ${controllerId} failed: ${err.message}`));
    }, this.ackDelayMs);
  }

  private security(kind: SecurityEventKind, topic: string, reason: string, controllerId?: string): void {
    // One forged flood must not bury the log: a few lines per controller and minute, then a count.
    this.securityLog.warn(controllerId ?? topic, `security: ${kind} on ${topic}: ${reason}`);
    this.emit('security', { kind, controllerId, topic, reason, at: this.clock.now() });
  }
}
