/**
 * Server-to-server notices when several instances share a broker (issue 11): "a reader of yours
 * has outbox work", "the registry changed", live monitor events. Outside the door tree
 * (acs/v1), so controllers can neither read nor write them; only server accounts may.
 */
export const CLUSTER_TOPIC_PREFIX = 'acs/cluster/v1';

export function clusterTopic(channel: string): string {
  return `${CLUSTER_TOPIC_PREFIX}/${channel}`;
}

export function isClusterTopic(topic: string): boolean {
  return topic.startsWith(`${CLUSTER_TOPIC_PREFIX}/`);
}

/**
 * The broker account of one instance of several: its own username (and client id), so a broker
 * that ties client ids to usernames (Mosquitto's use_username_as_clientid) keeps one session
 * per instance instead of letting them take each other's over [MQTT-3.1.4-3].
 */
export function serverUsername(base: string, instanceId: string): string {
  return instanceId === 'default' ? base : `${base}-${instanceId}`;
}
