import { commandTopic, parseTopic, TOPIC_PREFIX } from '@acs/door-protocol';
import { CLUSTER_TOPIC_PREFIX, isClusterTopic } from './cluster-topics.js';
import type { MqttPrincipal } from './credentials.js';

/**
 * Topic ACL of the embedded broker (hardware/door-protocol/README.md §Broker access control).
 * Returns the reason for a denial, or `null` when allowed.
 *
 * - Only the server publishes, and only commands; commands are never retained (a retained command
 *   would fire again on every reconnect of the door).
 * - A controller publishes only its own reply/event/state/status topics; only state and status may
 *   be retained (status is the birth/last-will pair).
 * - `$`-topics are reserved to the broker ([MQTT-4.7.2-1]); aedes' default authorizePublish refuses
 *   `$SYS/` and this check replaces it, so it must keep refusing.
 */
export function publishDenial(principal: MqttPrincipal, topic: string, retain: boolean): string | null {
  if (topic.startsWith('$')) return '$-topics are reserved';
  if (isClusterTopic(topic)) {
    if (principal.kind !== 'server') return 'only servers talk on the cluster topics';
    return retain ? 'cluster notices must not be retained' : null;
  }
  const parsed = parseTopic(topic);
  if (!parsed) return 'topic is outside the acs/v1 tree';
  if (principal.kind === 'server') {
    if (parsed.kind !== 'cmd') return 'the server publishes only commands';
    if (retain) return 'commands must not be retained';
    return null;
  }
  if (parsed.controllerId !== principal.controllerId) return 'topic belongs to another controller';
  switch (parsed.kind) {
    case 'cmd':
      return 'only the server publishes commands';
    case 'reply':
    case 'event':
      return retain ? `${parsed.kind} messages must not be retained` : null;
    case 'state':
    case 'status':
      return null;
  }
}

/** A controller subscribes to exactly its own command topic; the server to filters inside the tree. */
export function subscribeDenial(principal: MqttPrincipal, filter: string): string | null {
  if (principal.kind === 'server') {
    if (filter === `${CLUSTER_TOPIC_PREFIX}/#` || filter.startsWith(`${CLUSTER_TOPIC_PREFIX}/`)) return null;
    return filter === `${TOPIC_PREFIX}/#` || filter.startsWith(`${TOPIC_PREFIX}/`) ? null : 'filter is outside the acs/v1 tree';
  }
  return filter === commandTopic(principal.controllerId) ? null : 'a controller subscribes only to its own command topic';
}

/** Belt and braces behind subscribeDenial: a controller connection receives nothing but its own commands. */
export function mayForward(principal: MqttPrincipal, topic: string): boolean {
  return principal.kind === 'server' || topic === commandTopic(principal.controllerId);
}
