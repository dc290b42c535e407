import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { Test } from '@nestjs/testing';
import { commandTopic, eventTopic, newNonce, replyTopic, signEnvelope, statusTopic, type EventBody, type ReplyBody } from '@acs/door-protocol';
import { DoorCommandError, DoorCommandModule, DoorCommandService, type DoorEventRecord, type GapNotice, type SecurityEvent } from '@acs/door-control';
import { startServerSide, type TestServerSide } from '@acs/door-control/testing';
import { InMemoryControllerSecretProvider, InMemoryCredentialProvider, MqttEdge, MqttModule } from '@acs/mqtt';
import {
  connectRawClient,
  type ControllerIdentity,
  startTestBroker,
  startVirtualController,
  Teardown,
  type TestBroker,
  VirtualController,
  waitFor,
} from '@acs/mqtt/testing';

describe('DoorCommandService against a virtual controller', () => {
  const teardown = new Teardown();
  let tb: TestBroker;
  let id: ControllerIdentity;
  let controller: VirtualController;
  let side: TestServerSide;
  let doors: DoorCommandService;
  let events: DoorEventRecord[];
  let security: SecurityEvent[];
  let gaps: GapNotice[];

  beforeEach(async () => {
    tb = teardown.add(await startTestBroker());
    id = tb.addController();
    controller = teardown.add(await startVirtualController(tb.url, id, { doors: 2, heldOpenMs: 150, rexUnlockMs: 100 }));
    side = teardown.add(await startServerSide(tb.url, tb.server, tb.secrets, { commandTimeoutMs: 500 }));
    doors = side.doors;
    events = [];
    security = [];
    gaps = [];
    doors.on('door-event', (e) => events.push(e));
    doors.on('security', (s) => security.push(s));
    doors.on('gap', (g) => gaps.push(g));
    await waitFor(() => doors.status(id.controllerId) === 'online', 2000, 'retained online status');
  });

  afterEach(() => teardown.run());

  const types = (): string[] => events.map((e) => `${e.type}${e.door ? `:${e.door}` : ''}`);

  it("unlocks a door, resolves with the controller's reply and tracks the door state", async () => {
    const reply = await doors.unlock(id.controllerId, 2, 150);
    expect(reply).toMatchObject({ ok: true, code: 'ok', cmd: 'unlock', doors: [{ door: 2, locked: false, open: false, mode: 'normal' }] });
    expect(doors.doorState(id.controllerId, 2)).toMatchObject({ locked: false });
    await waitFor(() => doors.doorState(id.controllerId, 2)?.locked === true, 2000, 'relock event');
    expect(types()).toEqual(['unlocked:2', 'locked:2']);
    expect(controller.relayActivations(2)).toBe(1);
  });

  it('routes replies to a per-server scope when several servers share the broker', async () => {
    const other = teardown.add(await startServerSide(tb.url, tb.server, tb.secrets, { replyScope: 'srv-b', commandTimeoutMs: 500 }));
    await waitFor(() => other.doors.status(id.controllerId) === 'online', 2000, 'second server sees the controller');
    await expect(other.doors.ping(id.controllerId)).resolves.toMatchObject({ ok: true });
    await expect(doors.ping(id.controllerId)).resolves.toMatchObject({ ok: true });
  });

  it('reads state, pings, locks early and changes modes', async () => {
    await expect(doors.readState(id.controllerId)).resolves.toMatchObject({ doors: [{ door: 1 }, { door: 2 }] });
    await expect(doors.ping(id.controllerId)).resolves.toMatchObject({ ok: true, cmd: 'ping' });
    await doors.unlock(id.controllerId, 1, 60_000);
    await expect(doors.lock(id.controllerId, 1)).resolves.toMatchObject({ doors: [{ door: 1, locked: true }] });
    await expect(doors.setMode(id.controllerId, 1, 'held-unlocked')).resolves.toMatchObject({ doors: [{ locked: false, mode: 'held-unlocked' }] });
    expect(doors.doorState(id.controllerId, 1)).toMatchObject({ locked: false, mode: 'held-unlocked' });
  });

  it('fails with "rejected" and the controller\'s code when the mode forbids the command', async () => {
    await doors.setMode(id.controllerId, 1, 'locked-down');
    const attempt = doors.unlock(id.controllerId, 1, 1000);
    await expect(attempt).rejects.toBeInstanceOf(DoorCommandError);
    await expect(attempt).rejects.toMatchObject({ code: 'rejected', reply: { code: 'mode-forbids' }, message: expect.stringContaining('door is locked down') });
    expect(controller.relayActivations(1)).toBe(0);
  });

  it('fails fast with "controller-offline" once the last will has marked the controller offline', async () => {
    await controller.kill();
    await waitFor(() => doors.status(id.controllerId) === 'offline', 2000, 'last will');
    const started = Date.now();
    await expect(doors.unlock(id.controllerId, 1, 1000)).rejects.toMatchObject({
      code: 'controller-offline',
      message: expect.stringContaining('the controller is offline'),
    });
    expect(Date.now() - started).toBeLessThan(100);
  });

  it("fails a waiting command at once when the controller's last will arrives, not at the timeout", async () => {
    // A controller that accepts the command but dies before answering.
    const dying = tb.addController();
    const status = (st: 'online' | 'offline'): string =>
      JSON.stringify(
        signEnvelope(dying.secret, statusTopic(dying.controllerId), {
          v: 1,
          controllerId: dying.controllerId,
          status: st,
          epoch: 1,
          ts: 1_000,
          nonce: newNonce(),
        }),
      );
    const raw = teardown.add(
      await connectRawClient(tb.url, {
        username: dying.controllerId,
        password: dying.password,
        clientId: dying.controllerId,
        will: { topic: statusTopic(dying.controllerId), payload: Buffer.from(status('offline')), qos: 1, retain: true },
      }),
    );
    await raw.subscribeAsync(commandTopic(dying.controllerId), { qos: 1 });
    await raw.publishAsync(statusTopic(dying.controllerId), status('online'), { qos: 1, retain: true });
    await waitFor(() => doors.status(dying.controllerId) === 'online', 2000, 'online');
    raw.once('message', () => raw.stream.destroy()); // no DISCONNECT: the broker publishes the will [MQTT-3.1.2-8]
    const started = Date.now();
    await expect(doors.unlock(dying.controllerId, 1, 1000)).rejects.toMatchObject({
      code: 'controller-offline',
      message: expect.stringContaining('went offline before replying to unlock'),
    });
    expect(Date.now() - started).toBeLessThan(400); // the timeout is 500 ms
  });

  it('sees a graceful stop as offline too, and online again after a restart', async () => {
    await controller.stop();
    await waitFor(() => doors.status(id.controllerId) === 'offline', 2000, 'offline status');
    const again = teardown.add(await startVirtualController(tb.url, id));
    await waitFor(() => doors.status(id.controllerId) === 'online', 2000, 'online again');
    await expect(doors.ping(again.controllerId)).resolves.toMatchObject({ ok: true });
  });

  it('fails with "no-reply" within the timeout when nobody answers', async () => {
    const silent = tb.addController();
    const started = Date.now();
    await expect(doors.unlock(silent.controllerId, 1, 1000)).rejects.toMatchObject({
      code: 'no-reply',
      message: expect.stringContaining('did not reply to unlock within 500 ms (status unknown)'),
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(490);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('fails with "unknown-controller" without publishing for an unregistered controller', async () => {
    await expect(doors.unlock('not-registered', 1, 1000)).rejects.toMatchObject({ code: 'unknown-controller' });
  });

  it('refuses invalid arguments before touching the broker', async () => {
    await expect(doors.unlock('a/b', 1, 1000)).rejects.toMatchObject({ code: 'invalid-argument' });
    await expect(doors.unlock(id.controllerId, 0, 1000)).rejects.toBeInstanceOf(DoorCommandError);
    await expect(doors.unlock(id.controllerId, 1, 600_001)).rejects.toThrow('unlock duration must be 1..600000 ms');
    await expect(doors.setMode(id.controllerId, 1, 'party' as never)).rejects.toMatchObject({ code: 'invalid-argument' });
  });

  it('fails with "broker-unavailable" when the server has no broker connection', async () => {
    await side.client.end();
    await expect(doors.ping(id.controllerId)).rejects.toMatchObject({ code: 'broker-unavailable' });
  });

  it("records forced-open, held-open, request-to-exit and closed from the door's own state", async () => {
    controller.openDoor(1); // strike locked -> forced
    await waitFor(() => types().includes('held-open:1'), 2000, 'held-open after 150 ms');
    expect(doors.doorState(id.controllerId, 1)).toMatchObject({ open: true, alarm: 'held-open' });
    controller.closeDoor(1);
    controller.pressExit(1);
    controller.openDoor(1); // released by the exit button -> a normal opening
    controller.closeDoor(1);
    controller.tamper();
    await waitFor(() => events.length === 9, 2000, 'nine events');
    // 'locked' comes when the 100 ms exit-button release ends, after everything else here.
    expect(types()).toEqual(['forced-open:1', 'held-open:1', 'closed:1', 'request-to-exit:1', 'unlocked:1', 'opened:1', 'closed:1', 'tamper', 'locked:1']);
    expect(events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(doors.doorState(id.controllerId, 1)).toMatchObject({ open: false, alarm: 'none', locked: true });
    await waitFor(() => controller.pendingEvents === 0, 2000, 'server acknowledgement of all events');
  });

  describe("with a client holding the controller's broker credentials", () => {
    // The broker lets these through (right user, right topic); only the MAC tells them apart.
    const publishAs = async (identity: ControllerIdentity, topic: string, payload: unknown): Promise<void> => {
      await controller.kill(); // free the client id
      const raw = teardown.add(
        await connectRawClient(tb.url, { username: identity.controllerId, password: identity.password, clientId: identity.controllerId }),
      );
      await raw.publishAsync(topic, JSON.stringify(payload), { qos: 1 });
    };

    const event = (seq: number, over: Partial<EventBody> = {}): EventBody => ({
      v: 1,
      controllerId: id.controllerId,
      epoch: 1_000,
      seq,
      type: 'opened',
      door: 1,
      ts: Date.now(),
      nonce: newNonce(),
      ...over,
    });

    it('rejects a forged event and reports it as a security event', async () => {
      await publishAs(id, eventTopic(id.controllerId), signEnvelope(Buffer.alloc(32, 1), eventTopic(id.controllerId), event(1, { type: 'closed' })));
      await waitFor(() => security.length > 0, 2000, 'security event');
      expect(security[0]).toMatchObject({ kind: 'forged-event', controllerId: id.controllerId, reason: 'MAC does not verify' });
      expect(events).toEqual([]);
    });

    it('rejects an authentic body naming another controller', async () => {
      await publishAs(id, eventTopic(id.controllerId), signEnvelope(id.secret, eventTopic(id.controllerId), event(1, { controllerId: 'someone-else' })));
      await waitFor(() => security.length > 0, 2000, 'security event');
      expect(security[0]).toMatchObject({ kind: 'malformed-message', reason: 'body names another controller than its topic' });
      expect(events).toEqual([]);
    });

    it('records a duplicated event once and reports a gap', async () => {
      const topic = eventTopic(id.controllerId);
      const first = signEnvelope(id.secret, topic, event(1));
      await publishAs(id, topic, first);
      const raw = teardown.add(await connectRawClient(tb.url, { username: id.controllerId, password: id.password, clientId: id.controllerId }));
      await raw.publishAsync(topic, JSON.stringify(first), { qos: 1 });
      await raw.publishAsync(topic, JSON.stringify(signEnvelope(id.secret, topic, event(3))), { qos: 1 });
      await waitFor(() => gaps.length === 1, 2000, 'gap notice');
      expect(events.map((e) => e.seq)).toEqual([1, 3]);
      expect(gaps[0]).toMatchObject({ controllerId: id.controllerId, epoch: 1_000, from: 2, to: 2 });
      expect(doors.missingEvents(id.controllerId)).toEqual([2]);
    });

    it('records a late, out-of-order event without letting it roll the door state back', async () => {
      const topic = eventTopic(id.controllerId);
      const t = Date.now();
      await publishAs(id, topic, signEnvelope(id.secret, topic, event(2, { type: 'closed', ts: t + 10 })));
      const raw = teardown.add(await connectRawClient(tb.url, { username: id.controllerId, password: id.password, clientId: id.controllerId }));
      await raw.publishAsync(topic, JSON.stringify(signEnvelope(id.secret, topic, event(1, { type: 'opened', ts: t }))), { qos: 1 });
      await waitFor(() => events.length === 2, 2000, 'both events');
      expect(events.map((e) => [e.seq, e.type])).toEqual([
        [2, 'closed'],
        [1, 'opened'],
      ]);
      expect(doors.missingEvents(id.controllerId)).toEqual([]);
      expect(doors.doorState(id.controllerId, 1)).toMatchObject({ open: false });
    });

    it('ignores a forged reply: the command still ends in no-reply and the forgery is reported', async () => {
      // A controller that never came online (status unknown), impersonated by someone with its broker password only.
      const target = tb.addController();
      const spy = teardown.add(await connectRawClient(tb.url, { username: tb.server.username, password: tb.server.password, clientId: 'acs-server-spy' }));
      await spy.subscribeAsync('acs/v1/+/cmd', { qos: 1 });
      const raw = teardown.add(await connectRawClient(tb.url, { username: target.controllerId, password: target.password, clientId: target.controllerId }));
      spy.on('message', (_topic, payload) => {
        const { body } = JSON.parse(payload.toString()) as { body: { requestId: string } };
        const reply: ReplyBody = {
          v: 1,
          controllerId: target.controllerId,
          requestId: body.requestId,
          cmd: 'unlock',
          ok: true,
          code: 'ok',
          ts: Date.now(),
          nonce: newNonce(),
        };
        void raw.publishAsync(replyTopic(target.controllerId), JSON.stringify(signEnvelope(Buffer.alloc(32, 9), replyTopic(target.controllerId), reply)), {
          qos: 1,
        });
      });
      await expect(doors.unlock(target.controllerId, 1, 1000)).rejects.toMatchObject({ code: 'no-reply' });
      expect(security).toEqual([expect.objectContaining({ kind: 'forged-reply', controllerId: target.controllerId })]);
    });

    it('reports events from a controller that has broker credentials but no registered secret', async () => {
      const stranger = tb.addController();
      tb.secrets.delete(stranger.controllerId);
      await publishAs(
        stranger,
        eventTopic(stranger.controllerId),
        signEnvelope(stranger.secret, eventTopic(stranger.controllerId), event(1, { controllerId: stranger.controllerId })),
      );
      await waitFor(() => security.length > 0, 2000, 'security event');
      expect(security[0]).toMatchObject({ kind: 'unknown-controller', controllerId: stranger.controllerId });
    });
  });

  it('keeps QoS 1 round trips sub-frame: TCP_NODELAY on broker and both clients', async () => {
    // Without NODELAY every round trip costs a delayed ACK, ~40-88 ms on Linux loopback (docs/mqtt-and-broker.md §TCP_NODELAY).
    const samples: number[] = [];
    for (let i = 0; i < 60; i++) {
      const t0 = process.hrtime.bigint();
      await doors.ping(id.controllerId);
      samples.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    samples.sort((x, y) => x - y);
    expect(samples[30]).toBeLessThan(20);
  });
});

describe('MqttModule with DoorCommandModule', () => {
  it('starts the embedded broker, connects the server and serves door commands through Nest', async () => {
    const credentials = new InMemoryCredentialProvider();
    const secrets = new InMemoryControllerSecretProvider();
    const id: ControllerIdentity = { controllerId: `nest-${randomUUID().slice(0, 8)}`, password: 'controller-password-1', secret: Buffer.alloc(32, 5) };
    credentials.addController(id.controllerId, id.password);
    secrets.set(id.controllerId, id.secret);
    const moduleRef = await Test.createTestingModule({
      imports: [
        MqttModule.forRoot({
          server: { username: 'acs-server', password: 'server-password-1' },
          embedded: { host: '127.0.0.1', port: 0, credentials },
        }),
        DoorCommandModule.forRoot({ controllerSecrets: secrets, commands: { commandTimeoutMs: 1000 } }),
      ],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    let controller: VirtualController | undefined;
    try {
      const edge = app.get(MqttEdge);
      controller = await startVirtualController(edge.broker!.url, id);
      const doors = app.get(DoorCommandService);
      await waitFor(() => doors.status(id.controllerId) === 'online', 2000, 'online');
      await expect(doors.unlock(id.controllerId, 1, 100)).resolves.toMatchObject({ ok: true });
    } finally {
      await controller?.stop();
      await app.close();
    }
    expect(app.get(MqttEdge).broker!.running).toBe(false);
  });

  it('takes its options from factories (forRootAsync), e.g. config for the edge and the device registry for the door commands', async () => {
    const REGISTRY = Symbol('registry');
    const SERVER = Symbol('server');
    const secrets = new InMemoryControllerSecretProvider();
    const moduleRef = await Test.createTestingModule({
      imports: [
        MqttModule.forRootAsync({
          inject: [SERVER],
          useFactory: (server: { username: string; password: string }) => ({ server, embedded: { port: 0, credentials: new InMemoryCredentialProvider() } }),
          imports: [
            {
              module: class ConfigModule {},
              providers: [{ provide: SERVER, useValue: { username: 'acs-server', password: 'server-password-2' } }],
              exports: [SERVER],
            },
          ],
        }),
        DoorCommandModule.forRootAsync({
          inject: [REGISTRY],
          useFactory: (registry: InMemoryControllerSecretProvider) => ({ controllerSecrets: registry }),
          imports: [{ module: class RegistryModule {}, providers: [{ provide: REGISTRY, useValue: secrets }], exports: [REGISTRY] }],
        }),
      ],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    try {
      expect(app.get(MqttEdge).client.connected).toBe(true);
      await expect(app.get(DoorCommandService).ping('never-registered')).rejects.toMatchObject({ code: 'unknown-controller' });
    } finally {
      await app.close();
    }
  });
});
