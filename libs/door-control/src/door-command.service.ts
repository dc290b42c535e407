import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import type { Clock } from '@acs/clock';
import {
  assertValidControllerId,
  commandTopic,
  type CommandBody,
  type DoorMode,
  type DoorState,
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
import { type ControllerSecretProvider, type DoorTransport, type MqttLogger, RateLimitedLog, SILENT_LOGGER } from '@acs/mqtt';
import { ControllerViews } from './controller-views.js';
import { type ControllerStatus, DoorCommandError, type DoorCommandServiceOptions, type DoorEdgeEvents, type SecurityEventKind } from './door-command.types.js';
import { PendingCommands } from './pending-commands.js';

/** Upper bound of a command's ttlMs in the v1 schema. */
const MAX_TTL_MS = 600_000;

type CommandArgs =
  | { cmd: 'unlock'; door: number; durationMs: number }
  | { cmd: 'lock'; door: number }
  | { cmd: 'set-mode'; door: number; mode: DoorMode }
  | { cmd: 'read-state' }
  | { cmd: 'ping' };

/**
 * Server side of the door protocol: sends signed commands and correlates replies by request id
 * ({@link PendingCommands}), tracks controller status and door state ({@link ControllerViews}),
 * ingests signed events (dedup by sequence, gap notices, cumulative acknowledgement) and reports
 * anything inauthentic as a security event. It runs on any {@link DoorTransport}; the MQTT edge
 * starts it before connecting (see MqttEdge.attach).
 */
export class DoorCommandService extends EventEmitter<DoorEdgeEvents> {
  private readonly views = new ControllerViews((controllerId, state) => this.emit('door-state', { controllerId, state }));
  private readonly pending: PendingCommands;
  private readonly tracker = new SequenceTracker();
  /** One acknowledgement timer per controller, so a burst of events costs one ack. */
  private readonly ackTimers = new Map<string, NodeJS.Timeout | undefined>();
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
    this.pending = new PendingCommands(this.timeoutMs, (id) => this.status(id));
    this.logger = logger ?? SILENT_LOGGER;
    this.securityLog = new RateLimitedLog(this.logger, clock);
  }

  async start(): Promise<void> {
    this.stopped = false;
    const enqueue = (kind: TopicKind) => (topic: string, payload: Buffer) => {
      this.emit('message', { kind });
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
    this.pending.stopped();
    for (const timer of this.ackTimers.values()) clearTimeout(timer);
  }

  /** Every failure, argument errors included, arrives as a rejected promise with a DoorCommandError. */
  /**
   * `owned`: the unlock follows a badge-in at this instance, so this instance must serve the
   * controller; for one that fails over, the command then carries the lease's fencing token
   * (refused `not-owner` here, or `fenced` by the controller, once another instance took it over).
   */
  async unlock(controllerId: string, door: number, durationMs: number, opts: { owned?: boolean } = {}): Promise<ReplyBody> {
    this.checkDoor(controllerId, door);
    if (!Number.isSafeInteger(durationMs) || durationMs < 1 || durationMs > MAX_UNLOCK_MS) {
      throw new DoorCommandError('invalid-argument', `unlock duration must be 1..${MAX_UNLOCK_MS} ms`, controllerId);
    }
    return this.send(controllerId, { cmd: 'unlock', door, durationMs }, opts.owned === true);
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
    return this.views.status(controllerId);
  }

  doorState(controllerId: string, door: number): DoorState | undefined {
    return this.views.doorState(controllerId, door);
  }

  doorStates(controllerId: string): DoorState[] {
    return this.views.doorStates(controllerId);
  }

  /** Sequence numbers the server is still missing for the controller's current epoch. */
  missingEvents(controllerId: string): number[] {
    return this.tracker.missing(controllerId);
  }

  /** Seeds deduplication from the durable event record after a server restart. */
  restoreSequence(controllerId: string, epoch: number, highestSeq: number): void {
    this.tracker.restore(controllerId, epoch, highestSeq);
  }

  /**
   * After a failover lease changed hands: forget the event sequence of every controller this
   * instance no longer serves (so a later takeover restores it from the durable record rather
   * than trusting an old memory), and report the tracked ones.
   */
  async forgetUnowned(): Promise<void> {
    if (!this.secrets.owns) return;
    for (const id of this.tracker.controllers()) if (!(await this.secrets.owns(id))) this.tracker.forget(id);
  }

  /** Whether this instance has an event sequence for the controller (it served it since it last restored). */
  tracksSequence(controllerId: string): boolean {
    return this.tracker.has(controllerId);
  }

  // ---- commands -------------------------------------------------------------------------------

  private checkDoor(controllerId: string, door: number): void {
    if (!Number.isSafeInteger(door) || door < 1 || door > MAX_DOORS) {
      throw new DoorCommandError('invalid-argument', `door must be 1..${MAX_DOORS}`, controllerId);
    }
  }

  private async send(controllerId: string, args: CommandArgs, mustOwn = false): Promise<ReplyBody> {
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
    // Lock and door modes are staff commands, accepted from any instance (lockdown must work from anywhere).
    const purpose = args.cmd === 'lock' || args.cmd === 'set-mode' ? 'staff' : 'serve';
    const fence = this.secrets.fenceFor ? await this.secrets.fenceFor(controllerId, purpose) : null;
    if (fence === false && mustOwn)
      throw new DoorCommandError('not-owner', `cannot ${args.cmd} on ${controllerId}: another server instance serves it now`, controllerId);

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
      // The serving instance always says so: its first command after a takeover raises the controller's fence.
      ...(typeof fence === 'number' ? { fence } : {}),
    } as RepliedCommandBody;
    const topic = commandTopic(controllerId);
    const payload = JSON.stringify(signEnvelope(secret, topic, body));

    const reply = this.pending.wait(requestId, controllerId, args.cmd);
    // Not awaited: the reply can overtake our PUBACK, and a publish stuck in mqtt.js' offline
    // queue must not hold the caller past the timeout.
    this.transport.publish(topic, payload, { qos: 1 }).catch((err: Error) => this.pending.publishFailed(requestId, err.message));
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
    if (reply.doors) this.views.applySnapshot(controllerId, reply.doors, reply.ts);
    this.pending.settle(controllerId, reply);
  }

  private onEvent(topic: string, controllerId: string, raw: unknown, secret: Buffer, owned: boolean): void {
    const v = validateEvent(raw);
    if (!v.ok) return this.security('malformed-message', topic, v.error, controllerId);
    const ev = v.value;
    if (!owned) {
      // Another instance's controller: show its doors, but leave sequence, records and the
      // acknowledgement to the owner (an ack from us would let the controller drop an event
      // the owner never stored).
      this.views.applyEvent(controllerId, ev);
      return;
    }
    const verdict = this.tracker.accept(controllerId, ev.epoch, ev.seq);
    if (verdict.kind === 'new') {
      const at = this.clock.now();
      if (verdict.gap) {
        this.logger.warn(`events ${verdict.gap.from}..${verdict.gap.to} of ${controllerId} missing so far`);
        this.emit('gap', { controllerId, epoch: ev.epoch, ...verdict.gap, at });
      }
      this.views.applyEvent(controllerId, ev);
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
    if (verdict.kind !== 'stale-epoch') this.scheduleAck(controllerId, secret);
  }

  private onState(topic: string, controllerId: string, raw: unknown): void {
    const v = validateState(raw);
    if (!v.ok) return this.security('malformed-message', topic, v.error, controllerId);
    this.views.applySnapshot(controllerId, v.value.doors, v.value.ts);
  }

  private onStatus(topic: string, controllerId: string, raw: unknown): void {
    const v = validateStatus(raw);
    if (!v.ok) return this.security('malformed-message', topic, v.error, controllerId);
    const s = v.value;
    if (!this.views.applyStatus(controllerId, s)) return;
    this.logger.log(`controller ${controllerId} is ${s.status}`);
    this.emit('status', { controllerId, status: s.status, at: this.clock.now() });
    if (s.status === 'offline') this.pending.controllerOffline(controllerId);
  }

  // ---- acknowledgements ------------------------------------------------------------------------

  /**
   * The controller keeps every event until the server acknowledges it (cumulatively, up to the
   * highest seq with nothing missing below), and replays the rest on reconnect. This, not broker
   * persistence, is what makes the event record complete across broker restarts.
   */
  private scheduleAck(controllerId: string, secret: Buffer): void {
    if (this.stopped || this.ackTimers.get(controllerId)) return;
    const timer = setTimeout(() => void this.sendAck(controllerId, secret), this.ackDelayMs);
    this.ackTimers.set(controllerId, timer);
  }

  private async sendAck(controllerId: string, secret: Buffer): Promise<void> {
    this.ackTimers.set(controllerId, undefined);
    // Only the serving instance acknowledges, under its fence: an acknowledgement from an instance
    // that lost the controller would let it drop events the new owner never recorded.
    const fence = this.secrets.fenceFor ? await this.secrets.fenceFor(controllerId).catch(() => false as const) : null;
    if (fence === false) return;
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
      ...(fence !== null ? { fence } : {}),
    };
    this.transport
      .publish(topic, JSON.stringify(signEnvelope(secret, topic, body)), { qos: 1 })
      .catch((err: Error) => this.logger.warn(`acknowledging events of ${controllerId} failed: ${err.message}`));
  }

  private security(kind: SecurityEventKind, topic: string, reason: string, controllerId?: string): void {
    // One forged flood must not bury the log: a few lines per controller and minute, then a count.
    this.securityLog.warn(controllerId ?? topic, `security: ${kind} on ${topic}: ${reason}`);
    this.emit('security', { kind, controllerId, topic, reason, at: this.clock.now() });
  }
}
