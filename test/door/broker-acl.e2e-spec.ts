import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type AddressInfo, type Server } from 'node:net';
import type { MqttClient } from 'mqtt';
import { commandTopic, eventTopic, replyTopic, stateTopic, statusTopic } from '@acs/door-protocol';
import { DEFAULT_EMBEDDED_PORT, EmbeddedBroker, EmbeddedBrokerError, InMemoryCredentialProvider } from '@acs/mqtt';
import { collect, connectRawClient, type ControllerIdentity, startTestBroker, Teardown, type TestBroker, waitFor } from '@acs/mqtt/testing';

/**
 * Nobody with a door controller's broker credentials may command a door, or impersonate or
 * eavesdrop on another controller (hardware/door-protocol/README.md §Broker access control).
 */
describe('embedded broker authentication and topic ACLs', () => {
  const suite = new Teardown();
  const perTest = new Teardown();
  let tb: TestBroker;
  let a: ControllerIdentity;
  let b: ControllerIdentity;
  let server: MqttClient;
  let serverSeen: Array<{ topic: string; payload: string }>;

  beforeAll(async () => {
    tb = suite.add(await startTestBroker({ hardening: { maxPayloadBytes: 4096 } }));
    a = tb.addController('door-ctl-a');
    b = tb.addController('door-ctl-b');
    server = suite.add(await connectRawClient(tb.url, { username: tb.server.username, password: tb.server.password, clientId: 'acs-server-observer' }));
    serverSeen = [];
    server.on('message', (topic, payload) => serverSeen.push({ topic, payload: payload.toString() }));
    await server.subscribeAsync('acs/v1/#', { qos: 1 });
  });
  afterAll(() => suite.run());
  afterEach(() => perTest.run());

  const asController = (id: ControllerIdentity, clientId = id.controllerId): Promise<MqttClient> =>
    connectRawClient(tb.url, { username: id.controllerId, password: id.password, clientId }).then((c) => perTest.add(c));

  /** Waits for the broker to drop `client` (aedes closes on an unauthorised PUBLISH [MQTT-3.3.5-2]). */
  const closed = (client: MqttClient): Promise<void> => new Promise((resolve) => (client.connected ? client.once('close', () => resolve()) : resolve()));

  describe('connect', () => {
    // CONNACK return codes [MQTT-3.2.2.3]: 2 identifier rejected, 4 bad user name or password, 5 not authorised
    it('refuses an anonymous client', async () => {
      await expect(connectRawClient(tb.url, { clientId: 'anon-1' })).rejects.toMatchObject({ code: 5 });
    });

    it('refuses a wrong password and an unknown user', async () => {
      await expect(connectRawClient(tb.url, { username: a.controllerId, password: 'not-the-password', clientId: a.controllerId })).rejects.toMatchObject({
        code: 4,
      });
      await expect(connectRawClient(tb.url, { username: 'nobody', password: 'whatever-password', clientId: 'nobody' })).rejects.toMatchObject({ code: 4 });
    });

    it('refuses a controller using another client id (no session takeover)', async () => {
      await expect(connectRawClient(tb.url, { username: a.controllerId, password: a.password, clientId: b.controllerId })).rejects.toMatchObject({ code: 2 });
      await expect(connectRawClient(tb.url, { username: a.controllerId, password: a.password, clientId: 'acs-server' })).rejects.toMatchObject({ code: 2 });
    });

    it('refuses a controller whose id squats the server client-id prefix', async () => {
      const squatter = tb.addController('acs-server-2');
      await expect(
        connectRawClient(tb.url, { username: squatter.controllerId, password: squatter.password, clientId: squatter.controllerId }),
      ).rejects.toMatchObject({ code: 2 });
    });

    it('accepts the server only with its client-id prefix', async () => {
      await expect(connectRawClient(tb.url, { username: tb.server.username, password: tb.server.password, clientId: 'door-ctl-a' })).rejects.toMatchObject({
        code: 2,
      });
    });
  });

  describe('publish', () => {
    it.each([
      ["another controller's event topic", () => eventTopic('door-ctl-b')],
      ["another controller's reply topic", () => replyTopic('door-ctl-b')],
      ["another controller's status topic", () => statusTopic('door-ctl-b')],
      ["another controller's command topic", () => commandTopic('door-ctl-b')],
      ['its own command topic', () => commandTopic('door-ctl-a')],
      ['a topic outside the tree', () => 'door/open'],
      ['a $SYS topic', () => '$SYS/broker/clients'],
    ])('drops a controller publishing on %s and disconnects it', async (_label, topicOf) => {
      const topic = topicOf();
      const victim = await asController(b);
      const victimSeen = collect(victim, 300);
      await victim.subscribeAsync(commandTopic(b.controllerId), { qos: 1 });
      const attacker = await asController(a);
      const before = serverSeen.length;
      const gone = closed(attacker);
      attacker.publish(topic, JSON.stringify({ body: { cmd: 'unlock', door: 1 }, mac: '00' }), { qos: 1 });
      await gone;
      await expect(victimSeen).resolves.toEqual([]);
      expect(serverSeen.slice(before).filter((m) => m.topic === topic)).toEqual([]);
      expect(tb.denials.at(-1)).toMatchObject({ action: 'publish', clientId: a.controllerId, topic });
    });

    it('lets a controller publish its own event, reply, state and status topics', async () => {
      const ctl = await asController(a);
      const topics = [
        eventTopic(a.controllerId),
        replyTopic(a.controllerId),
        `${replyTopic(a.controllerId)}/srv-1`,
        stateTopic(a.controllerId),
        statusTopic(a.controllerId),
      ];
      for (const t of topics) await ctl.publishAsync(t, '{}', { qos: 1 });
      await waitFor(() => topics.every((t) => serverSeen.some((m) => m.topic === t)), 2000, 'all five topics at the server');
      expect(ctl.connected).toBe(true);
    });

    it('refuses retained events and replies from a controller', async () => {
      const ctl = await asController(a);
      const gone = closed(ctl);
      ctl.publish(eventTopic(a.controllerId), '{}', { qos: 1, retain: true });
      await gone;
      expect(tb.denials.at(-1)).toMatchObject({ reason: 'event messages must not be retained' });
    });

    it('refuses a retained command even from the server (it would fire on every reconnect)', async () => {
      const srv = perTest.add(await connectRawClient(tb.url, { username: tb.server.username, password: tb.server.password, clientId: 'acs-server-retain' }));
      const gone = closed(srv);
      srv.publish(commandTopic(a.controllerId), '{}', { qos: 1, retain: true });
      await gone;
      expect(tb.denials.at(-1)).toMatchObject({ reason: 'commands must not be retained' });
    });

    it('refuses the server publishing as a controller', async () => {
      const srv = perTest.add(await connectRawClient(tb.url, { username: tb.server.username, password: tb.server.password, clientId: 'acs-server-forge' }));
      const gone = closed(srv);
      srv.publish(eventTopic(a.controllerId), '{}', { qos: 1 });
      await gone;
      expect(tb.denials.at(-1)).toMatchObject({ reason: 'the server publishes only commands' });
    });

    it('refuses an oversized payload', async () => {
      const ctl = await asController(a);
      const gone = closed(ctl);
      ctl.publish(eventTopic(a.controllerId), Buffer.alloc(4097, 0x7b), { qos: 1 });
      await gone;
      expect(tb.denials.at(-1)).toMatchObject({ reason: 'payload exceeds 4096 bytes' });
    });

    it("refuses a last will on another controller's status topic", async () => {
      const before = serverSeen.length;
      const ctl = perTest.add(
        await connectRawClient(tb.url, {
          username: a.controllerId,
          password: a.password,
          clientId: a.controllerId,
          will: { topic: statusTopic(b.controllerId), payload: Buffer.from('offline'), qos: 1, retain: true },
        }),
      );
      const gone = closed(ctl);
      ctl.stream.destroy(); // no DISCONNECT, so the broker would publish the will [MQTT-3.1.2-8]
      await gone;
      await waitFor(() => tb.denials.some((d) => d.topic === statusTopic(b.controllerId)), 2000, 'will refusal');
      expect(serverSeen.slice(before).filter((m) => m.topic === statusTopic(b.controllerId))).toEqual([]);
    });
  });

  describe('subscribe', () => {
    it.each([
      ["another controller's command topic", commandTopic('door-ctl-b')],
      ['all command topics', 'acs/v1/+/cmd'],
      ["another controller's events", eventTopic('door-ctl-b')],
      ['everything', '#'],
      ["the broker's $SYS tree", '$SYS/#'],
    ])('refuses a controller subscribing to %s (SUBACK 0x80) and delivers nothing', async (_label, filter) => {
      const ctl = await asController(a);
      const got = collect(ctl, 300);
      // [MQTT-3.9.3-2] 0x80 = failure for that filter; mqtt.js 5 turns it into a rejection
      await expect(ctl.subscribeAsync(filter, { qos: 1 })).rejects.toMatchObject({ packet: { cmd: 'suback', granted: [128] } });
      await server.publishAsync(commandTopic(b.controllerId), '{"probe":1}', { qos: 1 });
      await expect(got).resolves.toEqual([]);
    });

    it('grants a controller its own command topic and delivers its commands only', async () => {
      const ctl = await asController(a);
      const granted = await ctl.subscribeAsync(commandTopic(a.controllerId), { qos: 1 });
      expect(granted.map((g) => g.qos)).toEqual([1]);
      const got = collect(ctl, 300);
      await server.publishAsync(commandTopic(a.controllerId), '{"probe":"a"}', { qos: 1 });
      await server.publishAsync(commandTopic(b.controllerId), '{"probe":"b"}', { qos: 1 });
      await expect(got).resolves.toEqual([{ topic: commandTopic(a.controllerId), payload: '{"probe":"a"}' }]);
    });
  });
});

describe('embedded broker with a credential provider returning a bad id', () => {
  it('refuses the connection instead of building a wildcard ACL from it', async () => {
    const broker = new EmbeddedBroker({
      port: 0,
      credentials: { authenticate: () => Promise.resolve({ kind: 'controller', controllerId: '+' }) },
    });
    await broker.start();
    try {
      await expect(connectRawClient(broker.url, { username: '+', password: 'whatever-password', clientId: '+' })).rejects.toMatchObject({ code: 2 });
    } finally {
      await broker.stop();
    }
  });
});

describe('embedded broker with a failing credential provider', () => {
  it('answers "server unavailable" (CONNACK 3) so the device retries instead of treating it as a bad password', async () => {
    const broker = new EmbeddedBroker({ port: 0, credentials: { authenticate: () => Promise.reject(new Error('SQLITE_BUSY')) } });
    await broker.start();
    try {
      await expect(connectRawClient(broker.url, { username: 'c1', password: 'whatever-password', clientId: 'c1' })).rejects.toMatchObject({ code: 3 });
    } finally {
      await broker.stop();
    }
  });
});

describe('embedded broker start', () => {
  it('does not default to the standard MQTT port', () => {
    expect(DEFAULT_EMBEDDED_PORT).not.toBe(1883);
  });

  it('fails to start on a port in use with a message naming the setting', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((r) => blocker.listen({ host: '127.0.0.1', port: 0 }, () => r()));
    const port = (blocker.address() as AddressInfo).port;
    const broker = new EmbeddedBroker({ host: '127.0.0.1', port, credentials: new InMemoryCredentialProvider() });
    try {
      const started = broker.start();
      await expect(started).rejects.toThrow(EmbeddedBrokerError);
      await expect(started).rejects.toThrow(`embedded MQTT broker cannot listen on 127.0.0.1:${port}: the port is already in use`);
      await expect(started).rejects.toThrow('Set MQTT_EMBEDDED_PORT to a free port');
      expect(broker.running).toBe(false);
    } finally {
      await new Promise<void>((r) => blocker.close(() => r()));
    }
  });

  it('names a custom setting when told which one chose the port', async () => {
    const first = new EmbeddedBroker({ port: 0, credentials: new InMemoryCredentialProvider() });
    await first.start();
    try {
      const second = new EmbeddedBroker({ port: first.port, credentials: new InMemoryCredentialProvider(), portSetting: 'ACS_MQTT_PORT' });
      await expect(second.start()).rejects.toMatchObject({ code: 'port-in-use', message: expect.stringContaining('Set ACS_MQTT_PORT') });
    } finally {
      await first.stop();
    }
  });
});
