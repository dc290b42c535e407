import type { Socket } from 'node:net';
import { connect, type IClientOptions, type IClientPublishOptions, type IPublishPacket, type MqttClient } from 'mqtt';
import { topicMatches } from '@acs/door-protocol';
import { SILENT_LOGGER, type MqttLogger } from './logger.js';

export interface AcsMqttClientOptions {
  /** mqtt://host:port or mqtts://host:port */
  url: string;
  username?: string;
  password?: string;
  /**
   * Fixed, so the broker keeps this session (subscriptions and queued QoS 1 messages) while the
   * server is away [MQTT-3.1.2-4]. Two live processes must never share it.
   */
  clientId: string;
  /** Default false: a persistent session, so QoS 1 events published while we reconnect are kept. */
  clean?: boolean;
  keepaliveSec?: number;
  /** Longest `end()` waits for PUBACKs of QoS 1 messages in flight before it closes anyway. Default 2000. */
  endGraceMs?: number;
  reconnectPeriodMs?: number;
  connectTimeoutMs?: number;
  /** CA (PEM) for mqtts with a private CA. */
  ca?: string | Buffer;
  rejectUnauthorized?: boolean;
  logger?: MqttLogger;
}

export type MessageHandler = (topic: string, payload: Buffer, packet: IPublishPacket) => void;

/** The subset of the client the door command service needs; tests may hand it anything that fits. */
export interface DoorTransport {
  readonly connected: boolean;
  route(filter: string, handler: MessageHandler): Promise<void>;
  publish(topic: string, payload: string | Buffer, options?: { qos?: 0 | 1; retain?: boolean }): Promise<void>;
}

export class MqttConnectError extends Error {
  constructor(
    message: string,
    readonly returnCode?: number,
  ) {
    super(message);
    this.name = 'MqttConnectError';
  }
}

/**
 * The server's MQTT connection: plain mqtt.js (not Nest's MQTT transport, which rewrites payloads
 * that look like its own envelope), TCP_NODELAY, persistent session, automatic reconnect with
 * resubscription, and a small topic router.
 */
export class AcsMqttClient implements DoorTransport {
  private client?: MqttClient;
  private readonly routes: Array<{ filter: string; handler: MessageHandler }> = [];
  private readonly logger: MqttLogger;
  private readonly connectionListeners = new Set<(connected: boolean) => void>();
  /** Publishes not yet acknowledged (QoS 1) or written (QoS 0): what a graceful end waits for. */
  private readonly inFlight = new Set<Promise<unknown>>();

  private readonly options: AcsMqttClientOptions;

  constructor(options: AcsMqttClientOptions) {
    this.options = { ...options };
    this.logger = options.logger ?? SILENT_LOGGER;
  }

  get connected(): boolean {
    return this.client?.connected ?? false;
  }

  /** Called with true on every (re)connect and false on every loss of the connection. */
  onConnectionChange(listener: (connected: boolean) => void): () => void {
    this.connectionListeners.add(listener);
    return () => this.connectionListeners.delete(listener);
  }

  /**
   * Resolves on the first CONNACK. Rejects (and stops retrying) if the broker refuses the
   * credentials or nothing answers within the connect timeout; later outages reconnect silently.
   */
  async connect(url?: string): Promise<void> {
    if (this.client) return;
    if (url) this.options.url = url;
    const o = this.options;
    const opts: IClientOptions = {
      clientId: o.clientId,
      username: o.username,
      password: o.password,
      clean: o.clean ?? false,
      keepalive: o.keepaliveSec ?? 30,
      reconnectPeriod: o.reconnectPeriodMs ?? 1000,
      connectTimeout: o.connectTimeoutMs ?? 5000,
      protocolVersion: 4,
      // Subscriptions are restored by mqtt.js when the broker lost our session (sessionPresent=0).
      resubscribe: true,
      ca: o.ca,
      rejectUnauthorized: o.rejectUnauthorized,
    };
    const client = connect(o.url, opts);
    this.client = client;
    client.on('connect', (connack) => {
      // mqtt.js never sets TCP_NODELAY; without it every QoS 1 round trip waits for delayed ACKs (docs/mqtt-and-broker.md §TCP_NODELAY).
      (client.stream as unknown as Partial<Socket>).setNoDelay?.(true);
      this.logger.log(`MQTT connected to ${this.safeUrl()} (session ${connack.sessionPresent ? 'resumed' : 'new'})`);
      for (const l of this.connectionListeners) l(true);
    });
    client.on('offline', () => {
      this.logger.warn(`MQTT connection to ${this.safeUrl()} lost; reconnecting`);
      for (const l of this.connectionListeners) l(false);
    });
    client.on('message', (topic, payload, packet) => this.dispatch(topic, payload, packet));

    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => fail(new MqttConnectError(`no CONNACK from ${this.safeUrl()} within ${opts.connectTimeout} ms`)),
        (opts.connectTimeout ?? 5000) + 500,
      );
      const onConnect = (): void => {
        cleanup();
        resolve();
      };
      const onError = (err: Error & { code?: number | string }): void => {
        fail(new MqttConnectError(`MQTT broker ${this.safeUrl()} refused the connection: ${err.message}`, typeof err.code === 'number' ? err.code : undefined));
      };
      const cleanup = (): void => {
        clearTimeout(timer);
        client.off('connect', onConnect);
        client.off('error', onError);
      };
      const fail = (err: Error): void => {
        cleanup();
        this.client = undefined;
        client.end(true, () => reject(err));
      };
      client.once('connect', onConnect);
      client.once('error', onError);
    });
    client.on('error', (err) => this.logger.warn(`MQTT client error: ${err.message}`));
    // Routes registered before connecting; later reconnects are resubscribed by mqtt.js.
    for (const filter of new Set(this.routes.map((r) => r.filter))) await this.subscribe(filter);
  }

  /**
   * Registers a handler and subscribes (QoS 1) to its filter. Register before `connect()` when
   * the session is persistent: the broker delivers queued messages right after CONNACK, and a
   * message without a handler is lost to the application although the broker counts it delivered.
   */
  async route(filter: string, handler: MessageHandler): Promise<void> {
    this.routes.push({ filter, handler });
    if (this.client) await this.subscribe(filter);
  }

  private async subscribe(filter: string): Promise<void> {
    try {
      // mqtt.js 5 rejects when the SUBACK carries 0x80 [MQTT-3.9.3-2].
      await this.requireClient().subscribeAsync(filter, { qos: 1 });
    } catch (err) {
      throw new Error(`broker refused the subscription to ${filter}: ${(err as Error).message}`, { cause: err });
    }
  }

  async publish(topic: string, payload: string | Buffer, options: { qos?: 0 | 1; retain?: boolean } = {}): Promise<void> {
    const opts: IClientPublishOptions = { qos: options.qos ?? 1, retain: options.retain ?? false };
    const sent = this.requireClient().publishAsync(topic, payload, opts);
    this.inFlight.add(sent);
    try {
      await sent;
    } finally {
      this.inFlight.delete(sent);
    }
  }

  /**
   * Closes the connection: gracefully (DISCONNECT, [MQTT-3.14]) once the broker has acknowledged
   * the QoS 1 messages in flight, forced when the connection is gone or the acks take longer
   * than `endGraceMs`. mqtt.js's own graceful end is not used for the waiting: it switches
   * reconnection off first and then waits for its 'outgoingEmpty' event without a bound, so a
   * connection lost meanwhile (a broker restarting, or aedes closing us after a blocked event
   * loop let the keepalive run out) leaves the acks, the event and `end()` pending for ever, and
   * the application's shutdown with them.
   */
  async end(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (!client) return;
    const acked = client.connected && (await this.acksSettled(client, this.options.endGraceMs ?? 2000));
    // Forced (no DISCONNECT) when unacknowledged messages remain: they are given up, not sent.
    await client.endAsync(!(acked && client.connected));
  }

  /** True once every publish has its PUBACK; false when the connection closes or the grace runs out first. */
  private acksSettled(client: MqttClient, graceMs: number): Promise<boolean> {
    if (this.inFlight.size === 0) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      const done = (ok: boolean): void => {
        clearTimeout(timer);
        client.off('close', onClose);
        resolve(ok);
      };
      const onClose = (): void => done(false);
      const timer = setTimeout(() => done(false), graceMs);
      client.on('close', onClose);
      void Promise.allSettled([...this.inFlight]).then(() => done(true));
    });
  }

  private dispatch(topic: string, payload: Buffer, packet: IPublishPacket): void {
    for (const r of this.routes) {
      if (!topicMatches(r.filter, topic)) continue;
      try {
        r.handler(topic, payload, packet);
      } catch (err) {
        this.logger.error(`handler for ${r.filter} failed: ${(err as Error).message}`);
      }
    }
  }

  private requireClient(): MqttClient {
    if (!this.client) throw new Error('MQTT client is not connected; call connect() first');
    return this.client;
  }

  private safeUrl(): string {
    // Credentials in a URL must never reach the log.
    try {
      const u = new URL(this.options.url);
      u.username = '';
      u.password = '';
      return u.toString().replace(/\/$/, '');
    } catch {
      return '(invalid url)';
    }
  }
}
