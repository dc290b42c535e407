import { isOwnReplyTopic } from './topics.js';
import type { SignedEnvelope } from './signing.js';

/**
 * Message bodies of protocol v1 (hardware/door-protocol/README.md §Messages). Every body carries
 * `v`, `ts` (ms since the epoch, sender's clock) and `nonce`; the envelope adds the MAC.
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

export const REPLY_CODES = ['ok', 'bad-mac', 'stale', 'replayed', 'invalid', 'unknown-door', 'mode-forbids', 'busy'] as const;
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

// ---- hand schema -------------------------------------------------------------------------------

type Field =
  | { t: 'str'; re: RegExp; opt?: boolean }
  | { t: 'int'; min: number; max: number; opt?: boolean }
  | { t: 'bool' }
  | { t: 'enum'; values: readonly string[]; opt?: boolean }
  | { t: 'lit'; value: unknown }
  | { t: 'doors'; opt?: boolean };

const REQUEST_ID = /^[A-Za-z0-9_-]{8,64}$/;
const NONCE = /^[A-Za-z0-9_-]{16,64}$/;
const TEXT = /^[\x20-\x7e]{0,200}$/;
const TOPIC = /^[\x21-\x7e]{1,200}$/;
const TS: Field = { t: 'int', min: 0, max: 8_640_000_000_000_000 };
const SEQ: Field = { t: 'int', min: 1, max: Number.MAX_SAFE_INTEGER };
const DOOR: Field = { t: 'int', min: 1, max: MAX_DOORS };
const CONTROLLER_ID: Field = { t: 'str', re: /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/ };

const DOOR_STATE_SPEC: Record<string, Field> = {
  door: DOOR,
  locked: { t: 'bool' },
  open: { t: 'bool' },
  mode: { t: 'enum', values: DOOR_MODES },
  alarm: { t: 'enum', values: ['none', 'forced-open', 'held-open'] },
};

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function checkField(name: string, spec: Field, value: unknown): string | null {
  if (value === undefined) return 'opt' in spec && spec.opt ? null : `${name} is required`;
  switch (spec.t) {
    case 'str':
      return typeof value === 'string' && spec.re.test(value) ? null : `${name} is malformed`;
    case 'int':
      return Number.isSafeInteger(value) && (value as number) >= spec.min && (value as number) <= spec.max
        ? null
        : `${name} must be an integer in [${spec.min}, ${spec.max}]`;
    case 'bool':
      return typeof value === 'boolean' ? null : `${name} must be a boolean`;
    case 'enum':
      return typeof value === 'string' && spec.values.includes(value) ? null : `${name} must be one of ${spec.values.join('|')}`;
    case 'lit':
      return value === spec.value ? null : `${name} must be ${JSON.stringify(spec.value)}`;
    case 'doors': {
      if (!Array.isArray(value) || value.length > MAX_DOORS) return `${name} must be an array of at most ${MAX_DOORS}`;
      for (const [i, d] of value.entries()) {
        const err = checkObject(`${name}[${i}]`, DOOR_STATE_SPEC, d);
        if (err) return err;
      }
      return null;
    }
  }
}

/** Strict: unknown keys are refused so a typo or a smuggled field never passes silently. */
function checkObject(name: string, spec: Record<string, Field>, value: unknown): string | null {
  if (!isPlainObject(value)) return `${name} must be an object`;
  for (const key of Object.keys(value)) if (!Object.hasOwn(spec, key)) return `${name}.${key} is not allowed`;
  for (const [key, field] of Object.entries(spec)) {
    const err = checkField(`${name}.${key}`, field, value[key]);
    if (err) return err;
  }
  return null;
}

const COMMON: Record<string, Field> = {
  v: { t: 'lit', value: MESSAGE_VERSION },
  requestId: { t: 'str', re: REQUEST_ID },
  ts: TS,
  ttlMs: { t: 'int', min: 1, max: 600_000, opt: true },
  nonce: { t: 'str', re: NONCE },
};
const REPLIED: Record<string, Field> = { ...COMMON, replyTo: { t: 'str', re: TOPIC } };

const COMMAND_SPECS: Record<CommandName, Record<string, Field>> = {
  unlock: { ...REPLIED, cmd: { t: 'lit', value: 'unlock' }, door: DOOR, durationMs: { t: 'int', min: 1, max: MAX_UNLOCK_MS } },
  lock: { ...REPLIED, cmd: { t: 'lit', value: 'lock' }, door: DOOR },
  'set-mode': { ...REPLIED, cmd: { t: 'lit', value: 'set-mode' }, door: DOOR, mode: { t: 'enum', values: DOOR_MODES } },
  'read-state': { ...REPLIED, cmd: { t: 'lit', value: 'read-state' } },
  ping: { ...REPLIED, cmd: { t: 'lit', value: 'ping' } },
  'ack-events': { ...COMMON, cmd: { t: 'lit', value: 'ack-events' }, epoch: TS, seq: { t: 'int', min: 0, max: Number.MAX_SAFE_INTEGER } },
};

const REPLY_SPEC: Record<string, Field> = {
  v: { t: 'lit', value: MESSAGE_VERSION },
  controllerId: CONTROLLER_ID,
  requestId: { t: 'str', re: REQUEST_ID },
  cmd: { t: 'enum', values: COMMAND_NAMES },
  ok: { t: 'bool' },
  code: { t: 'enum', values: REPLY_CODES },
  reason: { t: 'str', re: TEXT, opt: true },
  doors: { t: 'doors', opt: true },
  ts: TS,
  nonce: { t: 'str', re: NONCE },
};

const EVENT_SPEC: Record<string, Field> = {
  v: { t: 'lit', value: MESSAGE_VERSION },
  controllerId: CONTROLLER_ID,
  epoch: TS,
  seq: SEQ,
  type: { t: 'enum', values: EVENT_TYPES },
  door: { ...DOOR, opt: true },
  detail: { t: 'str', re: TEXT, opt: true },
  ts: TS,
  nonce: { t: 'str', re: NONCE },
};

const STATE_SPEC: Record<string, Field> = {
  v: { t: 'lit', value: MESSAGE_VERSION },
  controllerId: CONTROLLER_ID,
  epoch: TS,
  doors: { t: 'doors' },
  ts: TS,
  nonce: { t: 'str', re: NONCE },
};

const STATUS_SPEC: Record<string, Field> = {
  v: { t: 'lit', value: MESSAGE_VERSION },
  controllerId: CONTROLLER_ID,
  status: { t: 'enum', values: ['online', 'offline'] },
  epoch: TS,
  ts: TS,
  nonce: { t: 'str', re: NONCE },
};

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

function validated<T>(spec: Record<string, Field>, name: string, body: unknown): Validated<T> {
  const error = checkObject(name, spec, body);
  return error ? { ok: false, error } : { ok: true, value: body as T };
}

/** Validates a command body; `controllerId` is the receiving controller, whose reply topic `replyTo` must be. */
export function validateCommand(body: unknown, controllerId: string): Validated<CommandBody> {
  if (!isPlainObject(body)) return { ok: false, error: 'command must be an object' };
  const cmd = body.cmd;
  if (typeof cmd !== 'string' || !(COMMAND_NAMES as readonly string[]).includes(cmd)) {
    return { ok: false, error: `command.cmd must be one of ${COMMAND_NAMES.join('|')}` };
  }
  const result = validated<CommandBody>(COMMAND_SPECS[cmd as CommandName], 'command', body);
  if (result.ok && 'replyTo' in result.value && !isOwnReplyTopic(controllerId, result.value.replyTo)) {
    return { ok: false, error: "command.replyTo is not this controller's reply topic" };
  }
  return result;
}

export const validateReply = (body: unknown): Validated<ReplyBody> => validated(REPLY_SPEC, 'reply', body);
export const validateEvent = (body: unknown): Validated<EventBody> => validated(EVENT_SPEC, 'event', body);
export const validateState = (body: unknown): Validated<StateBody> => validated(STATE_SPEC, 'state', body);
export const validateStatus = (body: unknown): Validated<StatusBody> => validated(STATUS_SPEC, 'status', body);

/** Best-effort extraction of a request id from an unauthenticated body, used only to address a rejection reply. */
export function peekRequest(body: unknown, controllerId: string): { requestId: string; replyTo: string; cmd: CommandName } | null {
  if (!isPlainObject(body)) return null;
  const { requestId, replyTo, cmd } = body;
  if (typeof requestId !== 'string' || !REQUEST_ID.test(requestId)) return null;
  if (typeof replyTo !== 'string' || !isOwnReplyTopic(controllerId, replyTo)) return null;
  if (typeof cmd !== 'string' || !(COMMAND_NAMES as readonly string[]).includes(cmd) || cmd === 'ack-events') return null;
  return { requestId, replyTo, cmd: cmd as CommandName };
}
