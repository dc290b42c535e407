import { Injectable, type OnModuleDestroy, Optional } from '@nestjs/common';
import { DeviceOwnership, type DeviceClaim, type DevicePlacement } from '@acs/cluster';
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
  private readonly placements = new Map<string, DevicePlacement | null>();
  private readonly unsubscribe: () => void;

  constructor(
    private readonly wiring: DeviceWiringService,
    private readonly devices: DeviceService,
    changes: RegistryChanges,
    private readonly config: AppConfig,
    @Optional() private readonly ownership?: DeviceOwnership,
  ) {
    this.unsubscribe = changes.subscribe((c) => {
      if (c.kind === 'controller') {
        this.cache.clear();
        this.placements.clear();
      }
    });
  }

  /**
   * A controller is this instance's when its registry `host` is our INSTANCE_ID, or, for one with
   * a failover group, while this instance holds that group's lease for its host (asked each time:
   * the lease can end between two messages).
   */
  async owns(mqttId: string): Promise<boolean> {
    return (await this.claim(mqttId)).mine;
  }

  async fenceFor(mqttId: string, purpose: 'serve' | 'staff' = 'serve'): Promise<number | null | false> {
    const c = await this.claim(mqttId);
    if (!c.mine) return false;
    if (purpose === 'staff' && c.throughOutage) return null;
    return c.fence?.token ?? null;
  }

  private async claim(mqttId: string): Promise<DeviceClaim> {
    let placement = this.placements.get(mqttId);
    if (placement === undefined) {
      const c = await this.wiring.controllerByMqttId(mqttId);
      placement = c ? { host: c.host, failoverGroup: c.failoverGroup } : null;
      this.placements.set(mqttId, placement);
    }
    if (!placement) return { mine: false };
    if (this.ownership) return this.ownership.claim(placement);
    return placement.host === this.config.INSTANCE_ID ? { mine: true, fence: null } : { mine: false };
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
