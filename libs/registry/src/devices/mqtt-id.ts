/**
 * Controller MQTT ids share the broker's username space with the server's own accounts: the
 * server's username (MQTT_SERVER_USERNAME, `acs-server` by default) and one `<username>-<instance>`
 * account per instance (`acsctl mqtt:acl --instances`). The embedded broker refuses controller ids
 * starting with the server's username (they could take over the server's session), and a
 * Mosquitto password file cannot hold one name twice, so such an id would make `acsctl mqtt:acl`
 * fail for every controller. Reserved: every id that starts with the server's username.
 */
export function mqttIdReservedBy(mqttId: string, serverUsername: string): 'server-account' | undefined {
  return mqttId.startsWith(serverUsername) ? 'server-account' : undefined;
}
