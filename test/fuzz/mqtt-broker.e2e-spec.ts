import { connect as netConnect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import fc from 'fast-check';
import { commandTopic, eventTopic, newNonce, signEnvelope } from '@acs/door-protocol';
import { DoorCommandService } from '@acs/door-control';
import { MqttEdge } from '@acs/mqtt';
import { connectPacket, connectRawClient, fixedHeader, remainingLength, startVirtualController, type VirtualController, waitFor } from '@acs/mqtt/testing';
import { fuzzSettings } from '../support/fuzz.js';
import { post } from '../support/registry-fixture.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

jest.setTimeout(300_000);

const settings = fuzzSettings();
const runs = (n: number) => n * settings.factor;
const FUZZ_ADDRESS = '127.0.0.3';

interface Secrets {
  mqttUsername: string;
  mqttPassword: string;
  signingSecret: string;
}

function str(s: string): Buffer {
  const b = Buffer.from(s);
  const l = Buffer.alloc(2);
  l.writeUInt16BE(b.length);
  return Buffer.concat([l, b]);
}

/** Well-formed MQTT 3.1.1 packets (§3) to mutate: the fuzzer starts near valid input, where parsers break. */
function packets(topic: string): Buffer[] {
  const pub = (qos: number, payload: Buffer) => {
    const body = Buffer.concat([str(topic), qos > 0 ? Buffer.from([0, 7]) : Buffer.alloc(0), payload]);
    return Buffer.concat([fixedHeader(3, body.length, qos << 1), body]);
  };
  const sub = Buffer.concat([Buffer.from([0, 9]), str(topic), Buffer.from([1])]);
  const unsub = Buffer.concat([Buffer.from([0, 10]), str(topic)]);
  return [
    pub(0, Buffer.from('{}')),
    pub(1, Buffer.from(JSON.stringify({ body: { v: 1 }, mac: 'x' }))),
    pub(2, Buffer.alloc(40, 0x41)),
    Buffer.concat([fixedHeader(8, sub.length, 2), sub]),
    Buffer.concat([fixedHeader(10, unsub.length, 2), unsub]),
    Buffer.from([0x40, 0x02, 0x00, 0x07]), // PUBACK
    Buffer.from([0x62, 0x02, 0x00, 0x07]), // PUBREL
    Buffer.from([0xc0, 0x00]), // PINGREQ
    Buffer.from([0xe0, 0x00]), // DISCONNECT
    Buffer.concat([Buffer.from([0x30]), remainingLength(268_435_455)]), // the largest announcement there is
  ];
}

type Mutation =
  | { op: 'flip'; at: number; bit: number }
  | { op: 'set'; at: number; value: number }
  | { op: 'insert'; at: number; bytes: Uint8Array }
  | { op: 'cut'; at: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ op: fc.constant('set' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ op: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ maxLength: 16 }) }),
  fc.record({ op: fc.constant('cut' as const), at: fc.nat() }),
);

function mutate(base: Buffer, ms: Mutation[]): Buffer {
  let b = Buffer.from(base);
  for (const m of ms) {
    const at = b.length === 0 ? 0 : m.at % b.length;
    if (m.op === 'flip' && b.length > 0) b[at] ^= 1 << m.bit;
    else if (m.op === 'set' && b.length > 0) b[at] = m.value;
    else if (m.op === 'insert') b = Buffer.concat([b.subarray(0, at), Buffer.from(m.bytes), b.subarray(at)]);
    else if (m.op === 'cut') b = b.subarray(0, at);
  }
  return b;
}

/** Writes the bytes on a fresh socket (after logging in, when asked), then waits briefly for the broker to react, and closes. */
function send(port: number, chunks: Buffer[], login?: Buffer): Promise<void> {
  return new Promise((resolve) => {
    const sock = netConnect({ host: '127.0.0.1', port, localAddress: FUZZ_ADDRESS });
    let timer: NodeJS.Timeout | undefined;
    const done = () => {
      clearTimeout(timer);
      sock.destroy();
      resolve();
    };
    sock.on('error', done);
    sock.on('close', done);
    sock.setTimeout(2000, done);
    const blast = () => {
      for (const c of chunks) sock.write(c);
      timer = setTimeout(done, 15);
    };
    sock.once('connect', () => {
      if (!login) return blast();
      sock.write(login);
      let got = Buffer.alloc(0);
      const onData = (d: Buffer) => {
        got = Buffer.concat([got, d]);
        if (got.length < 4) return;
        sock.off('data', onData);
        blast();
      };
      sock.on('data', onData);
    });
  });
}

/**
 * Issue 16, fuzzing: the embedded broker of the whole server is fed random and mutated MQTT
 * packets, before and after CONNECT, and well-formed packets with hostile door messages. The
 * server never crashes or fails to handle a message, its connections do not leak, its memory
 * stays bounded, and a real controller keeps working throughout. `npm test`: fixed seed, short
 * budget; `npm run fuzz`: random seed, twenty times the cases.
 */
describe('fuzzing the embedded MQTT broker', () => {
  let t: TestApp;
  let port: number;
  let fuzzCtl: Secrets;
  let honest: Secrets;
  let vc: VirtualController;
  let baselineConnections: number;
  let rssBefore: number;

  beforeAll(async () => {
    // No refusal penalty: every case must reach the parser, not bounce off the penalty box.
    t = await startTestApp({ env: { READERS_ENABLED: 'false', LOG_LEVEL: 'warn', MQTT_REFUSAL_PENALTY_S: '0', MQTT_MAX_CONNECTIONS_PER_ADDRESS: '64' } });
    const site = await post<{ id: string }>(t, '/sites', { name: 'Fuzz site', timeZone: 'Europe/Amsterdam' });
    fuzzCtl = await post<Secrets>(t, '/controllers', { siteId: site.id, name: 'Fuzz controller', mqttId: 'fuzz-ctl' });
    honest = await post<Secrets>(t, '/controllers', { siteId: site.id, name: 'Honest controller', mqttId: 'fuzz-honest' });
    const edge = t.app.get(MqttEdge);
    port = edge.broker!.port;
    vc = await startVirtualController(
      edge.broker!.url,
      { controllerId: honest.mqttUsername, password: honest.mqttPassword, secret: Buffer.from(honest.signingSecret, 'base64') },
      { clock: t.clock, doors: 1 },
    );
    await waitFor(() => t.app.get(DoorCommandService).status(honest.mqttUsername) === 'online', 5000, 'honest controller online');
    baselineConnections = edge.broker!.openConnections;
    rssBefore = process.memoryUsage().rss;
  });

  afterAll(async () => {
    await vc?.stop();
    await t?.close();
  });

  const stillWorking = async () => {
    const doors = t.app.get(DoorCommandService);
    await expect(doors.ping(honest.mqttUsername)).resolves.toMatchObject({ ok: true });
  };

  it('random bytes and mutated packets before CONNECT', async () => {
    let cases = 0;
    const bases = [
      connectPacket('fuzz-anon', 'nobody', 'nothing'),
      connectPacket(fuzzCtl.mqttUsername, fuzzCtl.mqttUsername, fuzzCtl.mqttPassword),
      ...packets(eventTopic(fuzzCtl.mqttUsername)),
    ];
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.uint8Array({ maxLength: 600 }).map((b) => [Buffer.from(b)]),
          fc.tuple(fc.integer({ min: 0, max: bases.length - 1 }), fc.array(mutation, { maxLength: 6 })).map(([i, ms]) => [mutate(bases[i], ms)]),
        ),
        async (chunks) => {
          await send(port, chunks);
          cases++;
        },
      ),
      { seed: settings.seed, numRuns: runs(60) },
    );
    expect(cases).toBe(runs(60));
    await stillWorking();
  });

  it('mutated packets after a successful CONNECT', async () => {
    const login = connectPacket(fuzzCtl.mqttUsername, fuzzCtl.mqttUsername, fuzzCtl.mqttPassword);
    const bases = [...packets(eventTopic(fuzzCtl.mqttUsername)), ...packets(commandTopic(honest.mqttUsername)), ...packets('acs/v1/#'), login];
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.integer({ min: 0, max: bases.length - 1 }), fc.array(mutation, { maxLength: 4 })), { minLength: 1, maxLength: 5 }),
        async (picks) => {
          await send(
            port,
            picks.map(([i, ms]) => mutate(bases[i], ms)),
            login,
          );
        },
      ),
      { seed: settings.seed + 1, numRuns: runs(60) },
    );
    await stillWorking();
    // The honest controller never received anything but the server's signed commands.
    expect(vc.connected).toBe(true);
  });

  it("hostile door messages on the controller's own topics reach the door service and are refused cleanly", async () => {
    const edge = t.app.get(MqttEdge);
    const secret = Buffer.from(fuzzCtl.signingSecret, 'base64');
    const c = await connectRawClient(edge.broker!.url, { username: fuzzCtl.mqttUsername, password: fuzzCtl.mqttPassword, clientId: fuzzCtl.mqttUsername });
    const refused: string[] = [];
    const onSecurity = (e: { kind: string }) => refused.push(e.kind);
    t.app.get(DoorCommandService).on('security', onSecurity);
    const kinds = ['event', 'status', 'state', 'reply'] as const;
    const hostileNumber = fc.oneof(fc.constantFrom(4102444800000, -1, 0, Number.MAX_SAFE_INTEGER, 1e308, 2 ** 53 + 1), fc.integer(), fc.double());
    const body = fc.record(
      {
        v: fc.oneof(fc.constant(1), fc.anything()),
        controllerId: fc.oneof(fc.constant(fuzzCtl.mqttUsername), fc.string()),
        epoch: hostileNumber,
        seq: hostileNumber,
        ts: fc.oneof(fc.constant(t.clock.nowMs()), hostileNumber),
        type: fc.oneof(fc.constantFrom('opened', 'closed', 'tamper', 'forced-open'), fc.string()),
        status: fc.constantFrom('online', 'offline', 'bogus'),
        door: hostileNumber,
        doors: fc.oneof(fc.constant([]), fc.array(fc.anything(), { maxLength: 3 })),
        requestId: fc.string(),
        nonce: fc.oneof(fc.constant(newNonce()), fc.string()),
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...kinds), body, fc.boolean(), fc.option(fc.jsonValue(), { nil: undefined }), async (kind, b, sign, raw) => {
        const topic = `acs/v1/${fuzzCtl.mqttUsername}/${kind}`;
        let envelope: unknown = { body: b, mac: 'f'.repeat(64) };
        if (sign) {
          try {
            envelope = signEnvelope(secret, topic, b);
          } catch {
            // The canonical form refuses what it cannot sign (non-integers): such bodies go out with a bad MAC.
          }
        }
        const payload = JSON.stringify(raw !== undefined ? raw : envelope);
        await c.publishAsync(topic, payload, { qos: 1 });
      }),
      { seed: settings.seed + 2, numRuns: runs(150) },
    );
    await c.endAsync();
    t.app.get(DoorCommandService).off('security', onSecurity);
    // The cases reached the door service (most are refused there), and every one was handled:
    // the inbox logs "door message handling failed" for anything that threw.
    expect(refused.length).toBeGreaterThan(runs(150) / 2);
    expect(t.logs.text()).not.toContain('door message handling failed');
    await stillWorking();
  });

  it('ends with the connections it started with and bounded memory', async () => {
    const edge = t.app.get(MqttEdge);
    await waitFor(() => edge.broker!.openConnections === baselineConnections, 10_000, 'fuzz connections closed');
    // The Jest process holds the test's own allocations too: a coarse bound that a broker
    // buffering what it was fed (tens of MB announced per case) would exceed.
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(150 * 1024 * 1024);
    await stillWorking();
  });
});
