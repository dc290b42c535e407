/**
 * The versioned topic tree of the door-controller protocol (hardware/door-protocol/README.md §Topics).
 *
 *   acs/v1/<controllerId>/cmd            server -> controller   signed commands, QoS 1, never retained
 *   acs/v1/<controllerId>/reply[/<scope>] controller -> server  signed replies, QoS 1
 *   acs/v1/<controllerId>/event          controller -> server   signed, sequenced events, QoS 1
 *   acs/v1/<controllerId>/state          controller -> server   signed door state, QoS 1, retained
 *   acs/v1/<controllerId>/status         controller -> server   signed online/offline (birth + last will), retained
 */
export const TOPIC_ROOT = 'acs';
export const PROTOCOL_VERSION = 1;
export const TOPIC_PREFIX = `${TOPIC_ROOT}/v${PROTOCOL_VERSION}`;

export type TopicKind = 'cmd' | 'reply' | 'event' | 'state' | 'status';
export const TOPIC_KINDS: readonly TopicKind[] = ['cmd', 'reply', 'event', 'state', 'status'];

/**
 * Controller ids and reply scopes become topic levels, Mosquitto ACL lines and client ids, so they
 * exclude every character with a meaning there: `/` (level separator), `+` and `#` (wildcards,
 * [MQTT-4.7.1-1]), `$` (reserved prefix, [MQTT-4.7.2-1]), `%` (Mosquitto ACL substitution),
 * whitespace/newlines (ACL-file injection), `:` (password-file separator) and NUL ([MQTT-1.5.3-2]).
 * Mosquitto < 1.4.12 let a `#`/`+` username bypass pattern ACLs (GHSA-vcg2-pq78-9mhr).
 */
const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export function isValidControllerId(id: unknown): id is string {
  return typeof id === 'string' && ID_PATTERN.test(id);
}

export function assertValidControllerId(id: unknown): asserts id is string {
  if (!isValidControllerId(id)) {
    throw new RangeError(`invalid controller id ${JSON.stringify(id)}: use 1-64 of [A-Za-z0-9_.-], starting with a letter or digit`);
  }
}

export function isValidReplyScope(scope: unknown): scope is string {
  return isValidControllerId(scope);
}

function topic(controllerId: string, kind: TopicKind): string {
  assertValidControllerId(controllerId);
  return `${TOPIC_PREFIX}/${controllerId}/${kind}`;
}

export const commandTopic = (controllerId: string): string => topic(controllerId, 'cmd');
export const eventTopic = (controllerId: string): string => topic(controllerId, 'event');
export const stateTopic = (controllerId: string): string => topic(controllerId, 'state');
export const statusTopic = (controllerId: string): string => topic(controllerId, 'status');

/** `acs/v1/<id>/reply`, or `acs/v1/<id>/reply/<scope>` when several server instances share a broker. */
export function replyTopic(controllerId: string, scope?: string): string {
  const base = topic(controllerId, 'reply');
  if (scope === undefined) return base;
  if (!isValidReplyScope(scope)) throw new RangeError(`invalid reply scope ${JSON.stringify(scope)}`);
  return `${base}/${scope}`;
}

/** Subscription filters the server uses; `#` also matches the parent level ([MQTT-4.7.1-2]). */
export const SERVER_SUBSCRIPTIONS = {
  reply: `${TOPIC_PREFIX}/+/reply/#`,
  event: `${TOPIC_PREFIX}/+/event`,
  state: `${TOPIC_PREFIX}/+/state`,
  status: `${TOPIC_PREFIX}/+/status`,
} as const;

export interface ParsedTopic {
  controllerId: string;
  kind: TopicKind;
  /** Reply scope, only for `reply/<scope>`. */
  scope?: string;
}

/** Parses a concrete (wildcard-free) topic of the tree; anything else is `null`. */
export function parseTopic(value: string): ParsedTopic | null {
  const levels = value.split('/');
  if (levels.length < 4 || levels.length > 5) return null;
  const [root, version, controllerId, kind, scope] = levels;
  if (root !== TOPIC_ROOT || version !== `v${PROTOCOL_VERSION}`) return null;
  if (!isValidControllerId(controllerId)) return null;
  if (!(TOPIC_KINDS as readonly string[]).includes(kind)) return null;
  if (levels.length === 5) {
    if (kind !== 'reply' || !isValidReplyScope(scope)) return null;
    return { controllerId, kind: 'reply', scope };
  }
  return { controllerId, kind: kind as TopicKind };
}

/** True when `replyTo` is the controller's own reply topic (a controller must never reply elsewhere). */
export function isOwnReplyTopic(controllerId: string, replyTo: string): boolean {
  const parsed = parseTopic(replyTo);
  return parsed !== null && parsed.kind === 'reply' && parsed.controllerId === controllerId;
}

/**
 * MQTT topic-filter matching ([MQTT-4.7.1-2] `#` matches the parent and any number of levels,
 * [MQTT-4.7.1-3] `+` matches exactly one level, [MQTT-4.7.2-1] filters starting with a wildcard
 * do not match topics starting with `$`).
 */
export function topicMatches(filter: string, value: string): boolean {
  if (value.startsWith('$') && (filter.startsWith('+') || filter.startsWith('#'))) return false;
  const f = filter.split('/');
  const t = value.split('/');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return i === f.length - 1;
    if (i >= t.length) return false;
    if (f[i] !== '+' && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}
