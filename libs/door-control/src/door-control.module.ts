import { randomBytes } from 'node:crypto';
import { Injectable, Module, type OnApplicationBootstrap } from '@nestjs/common';
import { Clock } from '@acs/clock';
import { AppConfig } from '@acs/config';
import { ReadinessRegistry } from '@acs/health';
import { type BrokerDenial, MqttEdge, MqttModule, serverUsername, type MqttModuleOptions } from '@acs/mqtt';
import { DeviceWiringService, RegistryModule } from '@acs/registry';
import { type DoorCommandModuleOptions, DoorCommandModule } from './door-command.module.js';
import { RegistryBrokerCredentials, RegistryControllerSecrets } from './registry-credentials.js';
import { BrokerDenialRelay, MqttSecurityAudit } from './security-audit.js';

/** Turns configuration and the registry into the MQTT edge's options. */
export function mqttOptions(config: AppConfig, devices: DeviceWiringService, clock: Clock, denials?: BrokerDenialRelay): MqttModuleOptions {
  const tls =
    config.MQTT_TLS_CERT_FILE && config.MQTT_TLS_KEY_FILE
      ? { certFile: config.MQTT_TLS_CERT_FILE, keyFile: config.MQTT_TLS_KEY_FILE, ...(config.MQTT_TLS_CA_FILE ? { caFile: config.MQTT_TLS_CA_FILE } : {}) }
      : undefined;
  return {
    ...(config.MQTT_BROKER_URL ? { brokerUrl: config.MQTT_BROKER_URL } : {}),
    server: {
      // Several instances on an external broker each have their own account and session (a second
      // CONNECT with the same client id takes the first one's session over [MQTT-3.1.4-3]);
      // `acsctl mqtt:acl --instances` writes those accounts.
      username: config.MQTT_BROKER_URL ? serverUsername(config.MQTT_SERVER_USERNAME, config.INSTANCE_ID) : config.MQTT_SERVER_USERNAME,
      ...(config.INSTANCE_ID === 'default' ? {} : { clientId: serverUsername(config.MQTT_SERVER_USERNAME, config.INSTANCE_ID) }),
      // With the embedded broker nobody else needs the server's password: a fresh one each start.
      password: config.MQTT_SERVER_PASSWORD ?? randomBytes(24).toString('base64url'),
    },
    ...(config.MQTT_BROKER_URL
      ? {}
      : {
          embedded: {
            host: config.MQTT_EMBEDDED_HOST,
            port: config.MQTT_EMBEDDED_PORT,
            portSetting: 'MQTT_EMBEDDED_PORT',
            serverClientIdPrefix: config.MQTT_SERVER_USERNAME,
            credentials: new RegistryBrokerCredentials(devices, config.MQTT_SERVER_USERNAME),
            hardening: {
              maxPacketBytes: config.MQTT_MAX_PACKET_BYTES,
              connectTimeout: config.MQTT_CONNECT_TIMEOUT_MS,
              maxConnections: config.MQTT_MAX_CONNECTIONS,
              maxConnectionsPerAddress: config.MQTT_MAX_CONNECTIONS_PER_ADDRESS,
              refusalPenaltyMs: config.MQTT_REFUSAL_PENALTY_S * 1000,
            },
            clock,
            ...(denials ? { onDenied: (d: BrokerDenial) => denials.emit('denial', d) } : {}),
            ...(tls ? { tls } : {}),
          },
        }),
  };
}

/** The door command service signs with the registry's controller secrets. */
export function doorCommandOptions(config: AppConfig, secrets: RegistryControllerSecrets, clock: Clock): DoorCommandModuleOptions {
  return {
    controllerSecrets: secrets,
    // Replies come back on our own reply topic, not to every instance.
    // Events wait for the badge-in service's handlers (it releases them once wired).
    commands: {
      commandTimeoutMs: config.MQTT_COMMAND_TIMEOUT_MS,
      holdEvents: true,
      ...(config.INSTANCE_ID === 'default' ? {} : { replyScope: config.INSTANCE_ID }),
    },
    clock,
  };
}

@Injectable()
class MqttReadiness implements OnApplicationBootstrap {
  constructor(
    private readonly readiness: ReadinessRegistry,
    private readonly edge: MqttEdge,
  ) {}

  onApplicationBootstrap(): void {
    this.readiness.register('broker', async () => {
      if (!this.edge.client.connected) throw new Error('not connected to the MQTT broker');
      return { embedded: this.edge.broker !== undefined };
    });
  }
}

@Module({
  imports: [RegistryModule],
  providers: [RegistryControllerSecrets, BrokerDenialRelay],
  // The registry too: the MQTT options read controller logins through it.
  exports: [RegistryControllerSecrets, BrokerDenialRelay, RegistryModule],
})
class DoorSecretsModule {}

/**
 * The door-controller edge wired to the registry: the embedded broker (unless MQTT_BROKER_URL
 * names an external one) authenticates controllers against their stored hashes, the door
 * command service (DoorCommandModule, on the MQTT module's client) signs with their registry
 * secrets, and /ready reports the broker.
 */
@Module({
  imports: [
    MqttModule.forRootAsync({
      imports: [DoorSecretsModule],
      inject: [AppConfig, DeviceWiringService, Clock, BrokerDenialRelay],
      useFactory: (config: AppConfig, devices: DeviceWiringService, clock: Clock, denials: BrokerDenialRelay) => mqttOptions(config, devices, clock, denials),
    }),
    DoorCommandModule.forRootAsync({
      imports: [DoorSecretsModule],
      inject: [AppConfig, RegistryControllerSecrets, Clock],
      useFactory: (config: AppConfig, secrets: RegistryControllerSecrets, clock: Clock) => doorCommandOptions(config, secrets, clock),
    }),
    DoorSecretsModule,
  ],
  providers: [MqttReadiness, MqttSecurityAudit],
  exports: [MqttSecurityAudit],
})
export class DoorControlModule {}
