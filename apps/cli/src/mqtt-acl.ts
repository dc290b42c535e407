import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DataSource } from 'typeorm';
import type { AppConfig } from '@acs/config';
import { type MosquittoAuthInput, renderMosquittoAuth, serverUsername } from '@acs/mqtt';
import { ControllerEntity, mqttIdReservedBy } from '@acs/registry';

/**
 * Mosquitto password-file and ACL entries for every registered controller, from the hashes the
 * registry stores (no plaintext needed), plus the server's own account.
 */
export async function mosquittoAuthInput(config: AppConfig, ds: DataSource, instances: string[] = []): Promise<MosquittoAuthInput & { skipped: string[] }> {
  if (!config.MQTT_SERVER_PASSWORD) {
    throw new Error('set MQTT_SERVER_PASSWORD: the password file needs the server account that the server will connect with');
  }
  const all = await ds.getRepository(ControllerEntity).find({ select: { mqttId: true, mqttPasswordHash: true }, order: { mqttId: 'ASC' } });
  // Registered before such ids were refused: left out (and named), so they cannot break the file for every controller.
  const skipped = all.filter((c) => mqttIdReservedBy(c.mqttId, config.MQTT_SERVER_USERNAME)).map((c) => c.mqttId);
  const controllers = all.filter((c) => !skipped.includes(c.mqttId));
  return {
    server: { username: config.MQTT_SERVER_USERNAME, password: config.MQTT_SERVER_PASSWORD },
    // Several server instances: one account each (username = client id under
    // use_username_as_clientid), with the server's rights and the shared password.
    extraServers: instances.map((id) => ({ username: serverUsername(config.MQTT_SERVER_USERNAME, id), password: config.MQTT_SERVER_PASSWORD! })),
    controllers: controllers.map((c) => ({ controllerId: c.mqttId, passwordHash: c.mqttPasswordHash })),
    skipped,
  };
}

export async function mosquittoFiles(
  config: AppConfig,
  ds: DataSource,
  instances: string[] = [],
): Promise<{ passwordFile: string; aclFile: string; controllers: number; skipped: string[] }> {
  const input = await mosquittoAuthInput(config, ds, instances);
  return { ...renderMosquittoAuth(input), controllers: input.controllers.length, skipped: input.skipped };
}

export function writeMosquittoFiles(dir: string, files: { passwordFile: string; aclFile: string }): string[] {
  const paths = [join(dir, 'mosquitto.passwd'), join(dir, 'mosquitto.acl')];
  writeFileSync(paths[0], files.passwordFile, { mode: 0o600 });
  writeFileSync(paths[1], files.aclFile, { mode: 0o600 });
  return paths;
}
