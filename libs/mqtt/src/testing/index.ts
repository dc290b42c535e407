/**
 * Test helpers for the MQTT door edge: an authenticated embedded broker on a free port, virtual
 * controllers on it, and a teardown that closes all of it (the
 * MQTT.js TeardownHelper discipline). Import as `@acs/mqtt/testing` in jest.
 */
import { randomBytes } from 'node:crypto';
import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import type { Socket } from 'node:net';
import { EmbeddedBroker, type BrokerDenial, type EmbeddedBrokerOptions } from '../embedded-broker.js';
import { InMemoryControllerSecretProvider, InMemoryCredentialProvider } from '../credentials.js';
import { VirtualController, type VirtualControllerOptions } from '../../../../hardware/virtual-controller/src/virtual-controller.js';
import { setTimeout as sleep } from 'node:timers/promises';

export interface ControllerIdentity {
  controllerId: string;
  password: string;
  secret: Buffer;
}

export interface TestBroker {
  broker: EmbeddedBroker;
  url: string;
  port: number;
  credentials: InMemoryCredentialProvider;
  secrets: InMemoryControllerSecretProvider;
  server: { username: string; password: string };
  denials: BrokerDenial[];
  /** Registers broker credentials and an HMAC secret for a new controller. */
  addController(controllerId?: string): ControllerIdentity;
  stop(): Promise<void>;
}

export const TEST_SERVER_USERNAME = 'acs-server';

let counter = 0;
/** Unique per process and call, so suites sharing a broker (e.g. the Mosquitto on 1883) never collide. */
export function uniqueControllerId(prefix = 'ctl'): string {
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${++counter}`;
}

export function newIdentity(controllerId = uniqueControllerId()): ControllerIdentity {
  return { controllerId, password: randomBytes(12).toString('hex'), secret: randomBytes(32) };
}

/** Starts an embedded broker on 127.0.0.1 and a free port, with a server identity and no controllers. */
export async function startTestBroker(options: Partial<Omit<EmbeddedBrokerOptions, 'credentials'>> = {}): Promise<TestBroker> {
  const credentials = new InMemoryCredentialProvider();
  const secrets = new InMemoryControllerSecretProvider();
  const server = { username: TEST_SERVER_USERNAME, password: randomBytes(12).toString('hex') };
  credentials.addServer(server.username, server.password);
  const denials: BrokerDenial[] = [];
  const broker = new EmbeddedBroker({
    host: '127.0.0.1',
    port: 0,
    ...options,
    credentials,
    onDenied: (d) => {
      denials.push(d);
      options.onDenied?.(d);
    },
  });
  await broker.start();
  return {
    broker,
    url: broker.url,
    port: broker.port,
    credentials,
    secrets,
    server,
    denials,
    addController(controllerId) {
      const id = newIdentity(controllerId);
      credentials.addController(id.controllerId, id.password);
      secrets.set(id.controllerId, id.secret);
      return id;
    },
    stop: () => broker.stop(),
  };
}

/** Starts a virtual controller with the identity and waits until it is online (subscribed, birth sent). */
export async function startVirtualController(
  url: string,
  identity: ControllerIdentity,
  options: Partial<VirtualControllerOptions> = {},
): Promise<VirtualController> {
  const controller = new VirtualController({
    url,
    controllerId: identity.controllerId,
    password: identity.password,
    secret: identity.secret,
    reconnectPeriodMs: 100,
    ...options,
  });
  await controller.start();
  return controller;
}

/**
 * A bare mqtt.js client for probing the broker (ACL tests, independent observers). Resolves with
 * the client once connected, or rejects with the CONNACK error.
 */
export async function connectRawClient(url: string, options: IClientOptions): Promise<MqttClient> {
  const client = connect(url, { reconnectPeriod: 0, connectTimeout: 3000, protocolVersion: 4, ...options });
  try {
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('error', reject);
      client.once('close', () => reject(new Error('connection closed before CONNACK')));
    });
  } catch (err) {
    await client.endAsync(true);
    throw err;
  }
  client.on('error', () => {});
  (client.stream as unknown as Partial<Socket>).setNoDelay?.(true);
  return client;
}

type Closable = { stop(): Promise<void> } | { end(force?: boolean): unknown } | { close(): Promise<void> } | (() => Promise<void> | void);

/** Tracks everything a test opens and closes it in reverse order, errors collected, never thrown early. */
export class Teardown {
  private readonly items: Closable[] = [];

  add<T extends Closable>(item: T): T {
    this.items.push(item);
    return item;
  }

  async run(): Promise<void> {
    const errors: unknown[] = [];
    while (this.items.length > 0) {
      const item = this.items.pop()!;
      try {
        if (typeof item === 'function') await item();
        else if ('stop' in item) await item.stop();
        else if ('close' in item) await item.close();
        else if ('endAsync' in item) await (item as MqttClient).endAsync(true);
        else await item.end(true);
      } catch (err) {
        errors.push(err);
      }
    }
    if (errors.length > 0) throw new AggregateError(errors, 'teardown failed');
  }
}

/** Polls until the predicate holds; for real async I/O only (use fake timers for pure timing logic). */
export async function waitFor(predicate: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}

/** Resolves with the messages received on `topic` by `client` within `ms` (subscribe first). */
export function collect(client: MqttClient, ms: number): Promise<Array<{ topic: string; payload: string }>> {
  const got: Array<{ topic: string; payload: string }> = [];
  const onMessage = (topic: string, payload: Buffer): void => {
    got.push({ topic, payload: payload.toString() });
  };
  client.on('message', onMessage);
  return new Promise((resolve) =>
    setTimeout(() => {
      client.off('message', onMessage);
      resolve(got);
    }, ms),
  );
}

export { VirtualController };
export * from './hostile.js';
export { startMosquitto, runMosquittoTool, freePort, MOSQUITTO_BIN, type MosquittoInstance } from './mosquitto.js';
