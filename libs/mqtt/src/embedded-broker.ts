import { readFile } from 'node:fs/promises';
import { createServer as createNetServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import type { Aedes, AedesOptions, AuthenticateError, Client } from 'aedes';
import { type Clock, SystemClock } from '@acs/clock';
import { isValidControllerId } from '@acs/door-protocol';
import type { MqttPrincipal, BrokerCredentialProvider } from './credentials.js';
import { mayForward, publishDenial, subscribeDenial } from './broker-acl.js';
import { SILENT_LOGGER, type MqttLogger } from './logger.js';
import { CONNECT_PACKET_TYPE, GatedConnection, type GateRefusal } from './packet-gate.js';
import { ConnectionLimits } from './connection-limits.js';
import { RateLimitedLog } from './rate-limited-log.js';

/**
 * Default port of the embedded broker. Not 1883: the hosts this runs on usually have Mosquitto
 * listening there already, and quietly sharing or shadowing it would be worse than failing.
 * 18830 is unassigned and easy to recognise as "the embedded MQTT broker".
 */
export const DEFAULT_EMBEDDED_PORT = 18830;
export const DEFAULT_PORT_SETTING = 'MQTT_EMBEDDED_PORT';
export const DEFAULT_SERVER_CLIENT_ID_PREFIX = 'acs-server';

export interface EmbeddedBrokerTlsOptions {
  certFile: string;
  keyFile: string;
  /** CA bundle for client certificates; with `requireClientCert` clients must present one it signed. */
  caFile?: string;
  requireClientCert?: boolean;
}

/** Limits that stop a misbehaving or hostile client from exhausting the broker (docs/mqtt-hardening.md). */
export interface EmbeddedBrokerHardening {
  /** The tree is 4-5 levels deep; anything deeper is refused before persistence (aedes clamps to 100). */
  maxTopicLevels?: number;
  /** ms a socket may take to complete its CONNECT packet. */
  connectTimeout?: number;
  /** Highest keepalive (s) a client may ask for. */
  keepaliveLimit?: number;
  /** Packets queued per client before authentication completes. */
  queueLimit?: number;
  /** ms a slow subscriber may block delivery before it is disconnected. */
  drainTimeout?: number;
  /** Inbound QoS 2 in flight per client (GHSA-5jvp-3p2v-5qgf). */
  maxInflightInbound?: number;
  maxClientsIdLength?: number;
  /** Larger PUBLISH payloads close the connection. */
  maxPayloadBytes?: number;
  /**
   * Largest Remaining Length of any packet, before or after CONNECT; a larger one closes the
   * connection from its fixed header, before its body is read (see packet-gate.ts).
   */
  maxPacketBytes?: number;
  /** Open connections in total; beyond it new ones are closed at once. */
  maxConnections?: number;
  /** Open connections from one client address. */
  maxConnectionsPerAddress?: number;
  /** ms during which an address whose packet the gate refused has its new connections closed at once (0: off). */
  refusalPenaltyMs?: number;
}

export interface EmbeddedBrokerOptions {
  /** Interface to bind; default 127.0.0.1. Use 0.0.0.0 only together with TLS. */
  host?: string;
  /** Default {@link DEFAULT_EMBEDDED_PORT}; 0 picks a free port (tests). */
  port?: number;
  credentials: BrokerCredentialProvider;
  tls?: EmbeddedBrokerTlsOptions;
  /**
   * Server connections must use client ids starting with this; controller ids starting with it
   * are refused, so no controller can take over (and thereby disconnect) the server's session.
   */
  serverClientIdPrefix?: string;
  hardening?: EmbeddedBrokerHardening;
  /** Name of the setting that chose the port, quoted in the "port in use" error. */
  portSetting?: string;
  logger?: MqttLogger;
  /** Windows of the rate-limited refusal log. */
  clock?: Clock;
  /** Called for every refused connection, publish or subscription (feed to the audit log). */
  onDenied?: (denial: BrokerDenial) => void;
}

export interface BrokerDenial {
  /** `connection`: refused by the connection caps or the packet gate, before any MQTT identity. */
  action: 'connection' | 'connect' | 'publish' | 'subscribe';
  clientId: string;
  /** The client's network address (connection refusals; for the others where known). */
  address?: string;
  username?: string;
  topic?: string;
  reason: string;
}

const DEFAULT_HARDENING: Required<EmbeddedBrokerHardening> = {
  maxTopicLevels: 8,
  connectTimeout: 5_000,
  keepaliveLimit: 300,
  queueLimit: 64,
  drainTimeout: 10_000,
  maxInflightInbound: 100,
  maxClientsIdLength: 64,
  maxPayloadBytes: 8192,
  // The payload limit plus room for the topic and packet id of our topic tree.
  maxPacketBytes: 8192 + 1024,
  maxConnections: 1000,
  maxConnectionsPerAddress: 32,
  refusalPenaltyMs: 10_000,
};

export class EmbeddedBrokerError extends Error {
  constructor(
    message: string,
    readonly code: 'port-in-use' | 'listen-failed' | 'tls-files',
  ) {
    super(message);
    this.name = 'EmbeddedBrokerError';
  }
}

// MQTT 3.1.1 CONNACK return codes [MQTT-3.2.2.3]
const RC_IDENTIFIER_REJECTED = 2;
const RC_SERVER_UNAVAILABLE = 3;
const RC_BAD_USERNAME_OR_PASSWORD = 4;
const RC_NOT_AUTHORIZED = 5;

function authError(message: string, returnCode: number): AuthenticateError {
  return Object.assign(new Error(message), { returnCode }) as AuthenticateError;
}

/**
 * The aedes broker the server embeds when no external broker URL is configured: authenticated,
 * per-controller topic ACLs, TCP_NODELAY on every socket, optional TLS.
 */
export class EmbeddedBroker {
  private aedes?: Aedes;
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  private readonly principals = new WeakMap<Client, MqttPrincipal>();
  private readonly hardening: Required<EmbeddedBrokerHardening>;
  private readonly logger: MqttLogger;
  private readonly serverPrefix: string;
  private boundPort?: number;
  private readonly limits: ConnectionLimits;
  private readonly denialLog: RateLimitedLog;

  constructor(private readonly options: EmbeddedBrokerOptions) {
    this.hardening = { ...DEFAULT_HARDENING, ...options.hardening };
    this.logger = options.logger ?? SILENT_LOGGER;
    const clock = options.clock ?? new SystemClock();
    this.denialLog = new RateLimitedLog(this.logger, clock);
    this.serverPrefix = options.serverClientIdPrefix ?? DEFAULT_SERVER_CLIENT_ID_PREFIX;
    this.limits = new ConnectionLimits(this.hardening.maxConnections, this.hardening.maxConnectionsPerAddress, this.hardening.refusalPenaltyMs, () =>
      clock.nowMs(),
    );
  }

  get port(): number {
    if (this.boundPort === undefined) throw new Error('embedded broker is not started');
    return this.boundPort;
  }

  get host(): string {
    return this.options.host ?? '127.0.0.1';
  }

  get url(): string {
    return `${this.options.tls ? 'mqtts' : 'mqtt'}://${this.host}:${this.port}`;
  }

  get running(): boolean {
    return this.server !== undefined;
  }

  get connectedClients(): number {
    return this.aedes?.connectedClients ?? 0;
  }

  /** Open sockets, authenticated or not. */
  get openConnections(): number {
    return this.limits.open;
  }

  async start(): Promise<void> {
    if (this.server) return;
    const { Aedes } = await import('aedes');
    const h = this.hardening;
    const opts: AedesOptions = {
      connectTimeout: h.connectTimeout,
      keepaliveLimit: h.keepaliveLimit,
      queueLimit: h.queueLimit,
      drainTimeout: h.drainTimeout,
      maxInflightInbound: h.maxInflightInbound,
      maxClientsIdLength: h.maxClientsIdLength,
      maxTopicLevels: h.maxTopicLevels,
      authenticate: (client, username, password, done) => {
        this.authenticate(client, username, password).then(
          (principal) => {
            this.principals.set(client, principal);
            done(null, true);
          },
          (err: AuthenticateError) => {
            this.deny({ action: 'connect', clientId: client.id, username, address: addressOf(client), reason: err.message });
            done(err, false);
          },
        );
      },
      authorizePublish: (client, packet, done) => {
        // client is null only for a will restored from persistence of a dead client; nobody vouches for it.
        const principal = client ? this.principals.get(client) : undefined;
        let reason = principal ? publishDenial(principal, packet.topic, packet.retain) : 'unauthenticated';
        if (!reason && packet.payload.length > h.maxPayloadBytes) reason = `payload exceeds ${h.maxPayloadBytes} bytes`;
        if (reason) {
          this.deny({ action: 'publish', clientId: client?.id ?? '(none)', address: client ? addressOf(client) : undefined, topic: packet.topic, reason });
          // MQTT 3.1.1 has no negative PUBACK; aedes closes the connection [MQTT-3.3.5-2].
          return done(new Error(reason));
        }
        done(null);
      },
      authorizeSubscribe: (client, sub, done) => {
        const principal = this.principals.get(client);
        const reason = principal ? subscribeDenial(principal, sub.topic) : 'unauthenticated';
        if (reason) {
          this.deny({ action: 'subscribe', clientId: client.id, address: addressOf(client), topic: sub.topic, reason });
          return done(null, null); // SUBACK 0x80 for this filter [MQTT-3.9.3-2]
        }
        done(null, sub);
      },
      authorizeForward: (client, packet) => {
        const principal = this.principals.get(client);
        return principal && mayForward(principal, packet.topic) ? packet : null;
      },
    };
    const aedes = await Aedes.createBroker(opts);
    aedes.on('clientError', (client, err) => this.logger.debug?.(`client ${client.id}: ${err.message}`));
    aedes.on('connectionError', (client, err) => this.logger.debug?.(`connection ${client.id ?? '?'}: ${err.message}`));

    const onSocket = (sock: Socket): void => {
      const address = sock.remoteAddress ?? 'unknown';
      const admitted = this.limits.admit(address);
      if (!admitted.ok) {
        sock.destroy();
        this.deny({ action: 'connection', clientId: '(none)', address, reason: admitted.reason });
        return;
      }
      // Nagle + delayed ACK adds ~40-88 ms to every QoS 1 round trip on loopback (TCP_NODELAY, RFC 896 / RFC 1122 §4.2.3.2).
      sock.setNoDelay(true);
      this.sockets.add(sock);
      sock.once('close', () => {
        this.sockets.delete(sock);
        admitted.release();
      });
      const conn = new GatedConnection(sock, h.maxPacketBytes, (refusal) => {
        this.limits.penalise(address);
        const client = (conn as unknown as { client?: Client }).client;
        this.deny({ action: 'connection', clientId: client?.id ?? '(none)', address, reason: describeRefusal(refusal) });
      });
      // aedes gets the connection (and builds a client, a parser and its timers) only once a CONNECT
      // header of acceptable size has passed: a flood of refused connections then costs a socket
      // each, nothing more. Until then the deadline is ours; after it, aedes' connectTimeout.
      const deadline = setTimeout(() => {
        sock.destroy();
        this.deny({ action: 'connection', clientId: '(none)', address, reason: 'no CONNECT in time' });
      }, h.connectTimeout);
      sock.once('close', () => clearTimeout(deadline));
      conn.once('connect-header', () => {
        clearTimeout(deadline);
        aedes.handle(conn as unknown as Socket);
      });
    };
    let server: Server;
    if (this.options.tls) {
      const t = this.options.tls;
      let key: Buffer, cert: Buffer, ca: Buffer | undefined;
      try {
        [key, cert, ca] = await Promise.all([readFile(t.keyFile), readFile(t.certFile), t.caFile ? readFile(t.caFile) : undefined]);
      } catch (err) {
        aedes.close();
        throw new EmbeddedBrokerError(`embedded MQTT broker TLS files unreadable: ${(err as Error).message}`, 'tls-files');
      }
      server = createTlsServer({ key, cert, ca, requestCert: t.requireClientCert ?? false, rejectUnauthorized: t.requireClientCert ?? false }, onSocket);
    } else {
      server = createNetServer(onSocket);
    }

    const port = this.options.port ?? DEFAULT_EMBEDDED_PORT;
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ host: this.host, port }, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } catch (err) {
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
      const e = err as NodeJS.ErrnoException;
      const setting = this.options.portSetting ?? DEFAULT_PORT_SETTING;
      if (e.code === 'EADDRINUSE') {
        throw new EmbeddedBrokerError(
          `embedded MQTT broker cannot listen on ${this.host}:${port}: the port is already in use ` +
            `(another broker?). Set ${setting} to a free port, or configure an external broker URL instead.`,
          'port-in-use',
        );
      }
      throw new EmbeddedBrokerError(`embedded MQTT broker cannot listen on ${this.host}:${port} (${setting}): ${e.message}`, 'listen-failed');
    }
    server.on('error', (err) => this.logger.error(`embedded MQTT broker: ${err.message}`));
    this.aedes = aedes;
    this.server = server;
    this.boundPort = (server.address() as AddressInfo).port;
    this.logger.log(`embedded MQTT broker listening on ${this.url}`);
  }

  /** Stops accepting, drops every connection (their wills fire) and closes the broker. */
  async stop(): Promise<void> {
    const server = this.server;
    const aedes = this.aedes;
    if (!server || !aedes) return;
    this.server = undefined;
    this.aedes = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    await new Promise<void>((resolve) => aedes.close(() => resolve()));
    for (const sock of this.sockets) sock.destroy();
    await closed;
    this.logger.log('embedded MQTT broker stopped');
  }

  private async authenticate(client: Client, username: string | undefined, password: Buffer | undefined): Promise<MqttPrincipal> {
    if (username === undefined || password === undefined) {
      throw authError('anonymous connections are refused', RC_NOT_AUTHORIZED);
    }
    let principal: MqttPrincipal | null;
    try {
      principal = await this.options.credentials.authenticate(username, password);
    } catch (err) {
      // A registry outage is not a wrong password: answer "server unavailable" so devices retry.
      this.logger.error(`MQTT credential check failed: ${(err as Error).message}`);
      throw authError('credential check unavailable', RC_SERVER_UNAVAILABLE);
    }
    if (!principal) throw authError('bad username or password', RC_BAD_USERNAME_OR_PASSWORD);
    if (principal.kind === 'controller') {
      // A registry could hand back an id with '/', '+' or '#'; it would turn topic ACLs into wildcards.
      if (!isValidControllerId(principal.controllerId)) throw authError('controller id is not a valid topic level', RC_IDENTIFIER_REJECTED);
      // Binding the client id to the identity stops a controller from taking over another
      // session: a CONNECT with an existing client id disconnects the holder [MQTT-3.1.4-2].
      if (client.id !== principal.controllerId) throw authError('controller client id must equal its controller id', RC_IDENTIFIER_REJECTED);
      if (principal.controllerId.startsWith(this.serverPrefix)) throw authError('controller id uses the reserved server prefix', RC_IDENTIFIER_REJECTED);
    } else if (!client.id.startsWith(this.serverPrefix)) {
      throw authError(`server client ids must start with ${this.serverPrefix}`, RC_IDENTIFIER_REJECTED);
    }
    return principal;
  }

  private deny(denial: BrokerDenial): void {
    // A flood of refusals from one client must not flood the log: a few lines per client and window, then a count.
    this.denialLog.warn(
      `${denial.clientId}@${denial.address ?? '?'}`,
      `MQTT ${denial.action} refused for client ${denial.clientId}${denial.address ? ` from ${denial.address}` : ''}${denial.topic ? ` on ${denial.topic}` : ''}: ${denial.reason}`,
    );
    this.options.onDenied?.(denial);
  }
}

function addressOf(client: Client): string | undefined {
  return (client.conn as unknown as { remoteAddress?: string } | undefined)?.remoteAddress;
}

function describeRefusal(r: GateRefusal): string {
  switch (r.reason) {
    case 'packet-too-large':
      return `${r.packetType === CONNECT_PACKET_TYPE ? 'CONNECT' : `packet type ${r.packetType}`} announces ${r.announced} bytes, limit ${r.limit}`;
    case 'malformed-length':
      return 'malformed remaining length';
    case 'connect-expected':
      return `first packet is type ${r.packetType}, not CONNECT`;
  }
}
