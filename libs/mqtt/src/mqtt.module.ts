import { type DynamicModule, Inject, Injectable, Logger, Module, type OnApplicationShutdown, type OnModuleInit, type Provider } from '@nestjs/common';
import { createHash, timingSafeEqual } from 'node:crypto';
import { type BrokerCredentialProvider } from './credentials.js';
import { EmbeddedBroker, type EmbeddedBrokerOptions } from './embedded-broker.js';
import { AcsMqttClient, type AcsMqttClientOptions } from './mqtt-client.js';

export const MQTT_MODULE_OPTIONS = Symbol('MQTT_MODULE_OPTIONS');

export interface MqttModuleOptions {
  /**
   * External broker (e.g. mqtt://127.0.0.1:1883). When absent the module starts the embedded
   * broker and connects to it.
   */
  brokerUrl?: string;
  /** The server's own broker identity. With the embedded broker it is also registered with it. */
  server: { username: string; password: string; clientId?: string };
  /** Embedded broker settings (port default 18830, see DEFAULT_EMBEDDED_PORT). */
  embedded?: Omit<EmbeddedBrokerOptions, 'credentials'> & {
    /** Controller credentials; the server's own are added by the module. */
    credentials: BrokerCredentialProvider;
  };
  client?: Omit<AcsMqttClientOptions, 'url' | 'username' | 'password' | 'clientId' | 'logger'>;
}

/**
 * Something that routes topics on the server's client (the door command service): started before
 * the client connects, because a resumed persistent session delivers its queued messages right
 * after CONNACK and a message without a route is lost; stopped before the client ends.
 */
export interface MqttParticipant {
  start(): Promise<void>;
  stop(): void;
}

/**
 * Composes the broker (embedded only) and the server's MQTT client, and runs them and their
 * attached participants with the application's lifecycle.
 */
@Injectable()
export class MqttEdge implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('MqttEdge');
  readonly broker?: EmbeddedBroker;
  readonly client: AcsMqttClient;
  private readonly participants: MqttParticipant[] = [];

  constructor(@Inject(MQTT_MODULE_OPTIONS) options: MqttModuleOptions) {
    const serverPrincipal = options.server;
    if (!options.brokerUrl) {
      if (!options.embedded) throw new Error('MqttModule: configure either brokerUrl or embedded');
      const controllers = options.embedded.credentials;
      this.broker = new EmbeddedBroker({
        ...options.embedded,
        logger: options.embedded.logger ?? new Logger('EmbeddedMqttBroker'),
        credentials: {
          // The server's identity is fixed by configuration; everything else is a controller.
          authenticate: async (username, password) => {
            if (username === serverPrincipal.username) {
              const a = createHash('sha256').update(password).digest();
              const b = createHash('sha256').update(serverPrincipal.password).digest();
              return timingSafeEqual(a, b) ? { kind: 'server', username } : null;
            }
            const p = await controllers.authenticate(username, password);
            return p?.kind === 'controller' ? p : null;
          },
        },
      });
    }
    this.client = new AcsMqttClient({
      ...options.client,
      // The embedded broker's URL is known only once it listens (port 0 in tests).
      url: options.brokerUrl ?? 'mqtt://embedded.invalid',
      username: serverPrincipal.username,
      password: serverPrincipal.password,
      clientId: serverPrincipal.clientId ?? serverPrincipal.username,
      logger: new Logger('MqttClient'),
    });
  }

  /** Call while providers are built (before the module initialises), as the door-control module does. */
  attach(participant: MqttParticipant): void {
    this.participants.push(participant);
  }

  async onModuleInit(): Promise<void> {
    if (this.broker) await this.broker.start();
    // Routes first: a resumed persistent session delivers queued events right after CONNACK.
    for (const p of this.participants) await p.start();
    await this.client.connect(this.broker?.url);
    this.logger.log('MQTT door edge ready');
  }

  async onApplicationShutdown(): Promise<void> {
    for (const p of this.participants) p.stop();
    await this.client.end();
    await this.broker?.stop();
  }
}

@Module({})
export class MqttModule {
  static forRoot(options: MqttModuleOptions): DynamicModule {
    return MqttModule.build([{ provide: MQTT_MODULE_OPTIONS, useValue: options }]);
  }

  /** For wiring from config/registry providers: `forRootAsync({ imports, inject, useFactory })`. */
  static forRootAsync(opts: {
    imports?: DynamicModule['imports'];
    inject?: Array<string | symbol | (abstract new (...args: never[]) => unknown)>;
    useFactory: (...args: never[]) => MqttModuleOptions | Promise<MqttModuleOptions>;
  }): DynamicModule {
    return { ...MqttModule.build([{ provide: MQTT_MODULE_OPTIONS, inject: opts.inject ?? [], useFactory: opts.useFactory }]), imports: opts.imports ?? [] };
  }

  private static build(optionProviders: Provider[]): DynamicModule {
    return {
      module: MqttModule,
      global: true,
      providers: [...optionProviders, MqttEdge, { provide: AcsMqttClient, inject: [MqttEdge], useFactory: (edge: MqttEdge) => edge.client }],
      exports: [MqttEdge, AcsMqttClient],
    };
  }
}
