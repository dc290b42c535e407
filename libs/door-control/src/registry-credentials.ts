import { Injectable, type OnModuleDestroy, Optional } from '@nestjs/common';
import { DeviceOwnership, type DeviceClaim, type DevicePlacement } from '@acs/cluster';
import { AppConfig } from '@acs/config';
import { verifyMosquittoPassword } from '@acs/crypto';
import { isConnectionError } from '@acs/database';
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
  private cache = new Map<string, Buffer>();
  private placements = new Map<string, DevicePlacement | null>();
  // What was known before the last controller change: used only while the database cannot be
  // read (degraded mode, docs/failover.md), so a change announced by another instance during an
  // outage does not leave this one unable to verify its own controllers' replies.
  private lastCache = new Map<string, Buffer>();
  private lastPlacements = new Map<string, DevicePlacement | null>();
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
        this.lastCache = new Map([...this.lastCache, ...this.cache]);
        this.lastPlacements = new Map([...this.lastPlacements, ...this.placements]);
        this.cache = new Map();
        this.placements = new Map();
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
      const known = this.lastPlacements.get(mqttId);
      placement = await this.orLastKnown(known, async () => {
        const c = await this.wiring.controllerByMqttId(mqttId);
        return c ? { host: c.host, failoverGroup: c.failoverGroup } : null;
      });
      this.placements.set(mqttId, placement);
      this.lastPlacements.delete(mqttId);
    }
    if (!placement) return { mine: false };
    if (this.ownership) return this.ownership.claim(placement);
    return placement.host === this.config.INSTANCE_ID ? { mine: true, fence: null } : { mine: false };
  }

  async getSecret(mqttId: string): Promise<Buffer | null> {
    const cached = this.cache.get(mqttId);
    if (cached) return cached;
    const secret = await this.orLastKnown(this.lastCache.get(mqttId), async () => {
      const c = await this.wiring.controllerByMqttId(mqttId);
      return c ? this.devices.controllerSigningSecret(c.id) : null;
    });
    if (secret) {
      this.cache.set(mqttId, secret);
      this.lastCache.delete(mqttId);
    }
    return secret;
  }

  /** The registry's answer, or, when the database is unreachable, the one known before the change. */
  private async orLastKnown<T>(known: T | undefined, read: () => Promise<T>): Promise<T> {
    try {
      return await read();
    } catch (err) {
      if (known === undefined || !isConnectionError(err)) throw err;
      return known;
    }
  }

  onModuleDestroy(): void {
    this.unsubscribe();
  }
}
