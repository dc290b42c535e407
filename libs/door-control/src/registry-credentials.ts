import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { AppConfig } from '@acs/config';
import { verifyMosquittoPassword } from '@acs/crypto';
import type { BrokerCredentialProvider, ControllerSecretProvider, MqttPrincipal } from '@acs/mqtt';
import { DeviceService, DeviceWiringService, RegistryChanges } from '@acs/registry';

/**
 * The embedded broker's controller accounts come from the registry: username = the controller's
 * MQTT id, password checked against the stored Mosquitto-format hash. A rotated password works
 * from the next connection on.
 */
@Injectable()
export class RegistryBrokerCredentials implements BrokerCredentialProvider {
  constructor(
    private readonly wiring: Pick<DeviceWiringService, 'controllerLogin'>,
    private readonly serverPrefix: string,
  ) {}

  async authenticate(username: string, password: Buffer): Promise<MqttPrincipal | null> {
    // A controller id may never pass for (and so take over) the server's own session.
    if (username.startsWith(this.serverPrefix)) return null;
    const c = await this.wiring.controllerLogin(username);
    if (!c || !verifyMosquittoPassword(password.toString('utf8'), c.mqttPasswordHash)) return null;
    return { kind: 'controller', controllerId: c.mqttId };
  }
}

/** Signing secrets by MQTT id, decrypted on first use and dropped when the controller changes. */
@Injectable()
export class RegistryControllerSecrets implements ControllerSecretProvider, OnModuleDestroy {
  private readonly cache = new Map<string, Buffer>();
  private readonly hosts = new Map<string, string | null>();
  private readonly unsubscribe: () => void;

  constructor(
    private readonly wiring: DeviceWiringService,
    private readonly devices: DeviceService,
    changes: RegistryChanges,
    private readonly config: AppConfig,
  ) {
    this.unsubscribe = changes.subscribe((c) => {
      if (c.kind === 'controller') {
        this.cache.clear();
        this.hosts.clear();
      }
    });
  }

  /** A controller is this instance's when its registry `host` is our INSTANCE_ID. */
  async owns(mqttId: string): Promise<boolean> {
    let host = this.hosts.get(mqttId);
    if (host === undefined) {
      const c = await this.wiring.controllerByMqttId(mqttId);
      host = c?.host ?? null;
      this.hosts.set(mqttId, host);
    }
    return host === this.config.INSTANCE_ID;
  }

  async getSecret(mqttId: string): Promise<Buffer | null> {
    const cached = this.cache.get(mqttId);
    if (cached) return cached;
    const c = await this.wiring.controllerByMqttId(mqttId);
    if (!c) return null;
    const secret = await this.devices.controllerSigningSecret(c.id);
    this.cache.set(mqttId, secret);
    return secret;
  }

  onModuleDestroy(): void {
    this.unsubscribe();
  }
}
