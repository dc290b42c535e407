import { isOwnReplyTopic } from './topics.js';
import type { SignedEnvelope } from './signing.js';
import { bodyValidator, type DoorMessageKey } from './schema-validation.js';

/**
 * Message bodies of protocol v1 (hardware/door-protocol/README.md §Messages). Every body carries
 * `v`, `ts` (ms since the epoch, sender's clock) and `nonce`; the envelope adds the MAC.
 *
 * The schemas that bodies are validated against are the payload schemas of
 * hardware/door-protocol/asyncapi.yaml (generated/door-schemas.ts, compiled in
 * schema-validation.ts). The types and constants below describe the same messages for TypeScript;
 * messages-contract.spec.ts proves the three agree on every message.
 */
export const MESSAGE_VERSION = 1;
/** Upper bound for any payload on the tree; larger payloads are dropped before JSON parsing. */
export const MAX_MESSAGE_BYTES = 4096;
export const MAX_DOORS = 64;
/** 10 minutes: longer openings are a mode change (held-unlocked), not a timed unlock. */
export const MAX_UNLOCK_MS = 600_000;

export const DOOR_MODES = ['normal', 'locked-down', 'held-unlocked', 'emergency-release'] as const;
export type DoorMode = (typeof DOOR_MODES)[number];

export const COMMAND_NAMES = ['unlock', 'lock', 'set-mode', 'read-state', 'ping', 'ack-events'] as const;
export type CommandName = (typeof COMMAND_NAMES)[number];

export const REPLY_CODES = ['ok', 'bad-mac', 'stale', 'replayed', 'invalid', 'unknown-door', 'mode-forbids', 'busy', 'fenced'] as const;
export type ReplyCode = (typeof REPLY_CODES)[number];

export const EVENT_TYPES = [
  'opened',
  'closed',
  'forced-open',
  'held-open',
  'tamper',
  'request-to-exit',
  'power',
  'unlocked',
  'locked',
  'mode-changed',
  'command-rejected',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export type DoorAlarm = 'none' | 'forced-open' | 'held-open';

export interface DoorState {
  door: number;
  /** Relay de-energised / strike locked. */
  locked: boolean;
  /** Door contact reports open. */
  open: boolean;
  mode: DoorMode;
  alarm: DoorAlarm;
}

interface CommandCommon {
  v: 1;
  requestId: string;
  ts: number;
  /**
   * How long after `ts` the command may still run. The server sets it to its reply timeout, so a
   * command it has already reported as failed cannot open a door later (delayed by a reconnect,
   * say). The controller applies min(ttlMs, its max skew).
   */
  ttlMs?: number;
  nonce: string;
  /**
   * Fencing token of the instance holding this controller's lease (controllers that fail over).
   * The controller keeps the highest it has accepted and refuses a lower one (`fenced`): the
   * sender lost the controller to another instance. Absent on staff commands from any instance.
   */
  fence?: number;
}
interface RepliedCommand extends CommandCommon {
  /** Must be one of the controller's own reply topics; the controller refuses anything else. */
  replyTo: string;
}
export interface UnlockCommand extends RepliedCommand {
  cmd: 'unlock';
  door: number;
  durationMs: number;
}
export interface LockCommand extends RepliedCommand {
  cmd: 'lock';
  door: number;
}
export interface SetModeCommand extends RepliedCommand {
  cmd: 'set-mode';
  door: number;
  mode: DoorMode;
}
export interface ReadStateCommand extends RepliedCommand {
  cmd: 'read-state';
}
export interface PingCommand extends RepliedCommand {
  cmd: 'ping';
}
/** Cumulative acknowledgement of events up to `seq` of `epoch`; never replied to. */
export interface AckEventsCommand extends CommandCommon {
  cmd: 'ack-events';
  epoch: number;
  seq: number;
}
export type CommandBody = UnlockCommand | LockCommand | SetModeCommand | ReadStateCommand | PingCommand | AckEventsCommand;
export type RepliedCommandBody = Exclude<CommandBody, AckEventsCommand>;

export interface ReplyBody {
  v: 1;
  controllerId: string;
  requestId: string;
  cmd: CommandName;
  ok: boolean;
  code: ReplyCode;
  reason?: string;
  doors?: DoorState[];
  ts: number;
  nonce: string;
}

export interface EventBody {
  v: 1;
  controllerId: string;
  /** Identifies one run of the controller's numbering (its boot time in ms); numbering restarts at 1 per epoch. */
  epoch: number;
  seq: number;
  type: EventType;
  door?: number;
  detail?: string;
  ts: number;
  nonce: string;
}

export interface StateBody {
  v: 1;
  controllerId: string;
  epoch: number;
  doors: DoorState[];
  ts: number;
  nonce: string;
}

export interface StatusBody {
  v: 1;
  controllerId: string;
  status: 'online' | 'offline';
  epoch: number;
  ts: number;
  nonce: string;
}

export type Validated<T> = { ok: true; value: T } | { ok: false; error: string };

const REQUEST_ID = /^[A-Za-z0-9_-]{8,64}$/;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Size-limit first, then JSON, then the envelope shape. The body is validated separately, after
 * the MAC check, so unauthenticated input never reaches the richer validators.
 */
export function parseEnvelope(payload: Buffer | string, maxBytes = MAX_MESSAGE_BYTES): Validated<SignedEnvelope<unknown>> {
  const size = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length;
  if (size > maxBytes) return { ok: false, error: `payload of ${size} bytes exceeds ${maxBytes}` };
  let parsed: unknown;
  try {
    parsed = JSON.parse(typeof payload === 'string' ? payload : payload.toString('utf8'));
  } catch {
    return { ok: false, error: 'payload is not JSON' };
  }
  if (!isPlainObject(parsed)) return { ok: false, error: 'envelope must be an object' };
  const keys = Object.keys(parsed);
  if (keys.length !== 2 || !('body' in parsed) || !('mac' in parsed)) return { ok: false, error: 'envelope must be exactly {body, mac}' };
  if (!isPlainObject(parsed.body)) return { ok: false, error: 'envelope.body must be an object' };
  if (typeof parsed.mac !== 'string') return { ok: false, error: 'envelope.mac must be a string' };
  return { ok: true, value: { body: parsed.body, mac: parsed.mac } };
}

/** The TypeScript type of every message of the AsyncAPI document, by its component key. */
export interface DoorMessageBodies {
  unlock: UnlockCommand;
  lock: LockCommand;
  setMode: SetModeCommand;
  readState: ReadStateCommand;
  ping: PingCommand;
  ackEvents: AckEventsCommand;
  reply: ReplyBody;
  event: EventBody;
  state: StateBody;
  status: StatusBody;
}

/** One validator per AsyncAPI message, by component key; error paths start with the message kind. */
export const BODY_VALIDATORS: { [K in DoorMessageKey]: (body: unknown) => Validated<DoorMessageBodies[K]> } = {
  unlock: bodyValidator('unlock', 'command'),
  lock: bodyValidator('lock', 'command'),
  setMode: bodyValidator('setMode', 'command'),
  readState: bodyValidator('readState', 'command'),
  ping: bodyValidator('ping', 'command'),
  ackEvents: bodyValidator('ackEvents', 'command'),
  reply: bodyValidator('reply', 'reply'),
  event: bodyValidator('event', 'event'),
  state: bodyValidator('state', 'state'),
  status: bodyValidator('status', 'status'),
};

/** Command validators by wire name (`cmd`). */
const COMMAND_VALIDATORS: Record<CommandName, (body: unknown) => Validated<CommandBody>> = {
  unlock: BODY_VALIDATORS.unlock,
  lock: BODY_VALIDATORS.lock,
  'set-mode': BODY_VALIDATORS.setMode,
  'read-state': BODY_VALIDATORS.readState,
  ping: BODY_VALIDATORS.ping,
  'ack-events': BODY_VALIDATORS.ackEvents,
};

/** Validates a command body; `controllerId` is the receiving controller, whose reply topic `replyTo` must be. */
export function validateCommand(body: unknown, controllerId: string): Validated<CommandBody> {
  if (!isPlainObject(body)) return { ok: false, error: 'command must be an object' };
  const cmd = body.cmd;
  if (typeof cmd !== 'string' || !Object.hasOwn(COMMAND_VALIDATORS, cmd)) {
    return { ok: false, error: `command.cmd must be one of ${COMMAND_NAMES.join('|')}` };
  }
  const result = COMMAND_VALIDATORS[cmd as CommandName](body);
  // Beyond the schema: the reply topic must be this controller's own (README §What a controller must reject).
  if (result.ok && 'replyTo' in result.value && !isOwnReplyTopic(controllerId, result.value.replyTo)) {
    return { ok: false, error: "command.replyTo is not this controller's reply topic" };
  }
  return result;
}

export const validateReply = BODY_VALIDATORS.reply;
export const validateEvent = BODY_VALIDATORS.event;
export const validateState = BODY_VALIDATORS.state;
export const validateStatus = BODY_VALIDATORS.status;

/** Best-effort extraction of a request id from an unauthenticated body, used only to address a rejection reply. */
export function peekRequest(body: unknown, controllerId: string): { requestId: string; replyTo: string; cmd: CommandName } | null {
  if (!isPlainObject(body)) return null;
  const { requestId, replyTo, cmd } = body;
  if (typeof requestId !== 'string' || !REQUEST_ID.test(requestId)) return null;
  if (typeof replyTo !== 'string' || !isOwnReplyTopic(controllerId, replyTo)) return null;
  if (typeof cmd !== 'string' || !(COMMAND_NAMES as readonly string[]).includes(cmd) || cmd === 'ack-events') return null;
  return { requestId, replyTo, cmd: cmd as CommandName };
}
