import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import type { MqttClient } from 'mqtt';
import { commandTopic, newNonce, replyTopic, signEnvelope, SERVER_SUBSCRIPTIONS, type ReplyBody } from '@acs/door-protocol';
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

/**
 * The controller is the last line of defence: whoever can publish on its command topic (a
 * compromised server credential, a broker bug) must still not open the door without the secret,
 * with an old command, or by replaying a captured one (hardware/door-protocol/README.md §What a
 * controller must reject).
 */
describe('virtual controller command authenticity', () => {
  const teardown = new Teardown();
  let tb: TestBroker;
  let id: ControllerIdentity;
  let controller: VirtualController;
  let server: MqttClient;
  let replies: ReplyBody[];

  beforeEach(async () => {
    tb = teardown.add(await startTestBroker());
    id = tb.addController();
    controller = teardown.add(await startVirtualController(tb.url, id, { maxSkewMs: 5_000 }));
    server = teardown.add(
      await connectRawClient(tb.url, { username: tb.server.username, password: tb.server.password, clientId: `${tb.server.username}-raw` }),
    );
    replies = [];
    server.on('message', (_t, payload) => replies.push((JSON.parse(payload.toString()) as { body: ReplyBody }).body));
    await server.subscribeAsync(SERVER_SUBSCRIPTIONS.reply, { qos: 1 });
  });

  afterEach(() => teardown.run());

  function unlockBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
    return {
      v: 1,
      cmd: 'unlock',
      requestId: randomUUID(),
      replyTo: replyTopic(id.controllerId),
      door: 1,
      durationMs: 60_000,
      ts: Date.now(),
      nonce: newNonce(),
      ...overrides,
    };
  }

  async function send(payload: unknown): Promise<void> {
    await server.publishAsync(commandTopic(id.controllerId), JSON.stringify(payload), { qos: 1 });
  }

  async function replyTo(requestId: unknown): Promise<ReplyBody> {
    await waitFor(() => replies.some((r) => r.requestId === requestId), 3000, `reply to ${String(requestId)}`);
    return replies.find((r) => r.requestId === requestId)!;
  }

  it('executes a correctly signed, fresh command', async () => {
    const body = unlockBody();
    await send(signEnvelope(id.secret, commandTopic(id.controllerId), body));
    await expect(replyTo(body.requestId)).resolves.toMatchObject({ ok: true, code: 'ok', doors: [{ door: 1, locked: false }] });
    expect(controller.relayActivations(1)).toBe(1);
  });

  it('rejects a command with a bad MAC and leaves the relay alone', async () => {
    const body = unlockBody();
    const forged = signEnvelope(Buffer.alloc(32, 0x41), commandTopic(id.controllerId), body);
    await send(forged);
    await expect(replyTo(body.requestId)).resolves.toMatchObject({ ok: false, code: 'bad-mac' });
    expect(controller.relayActivations(1)).toBe(0);
    expect(controller.stats.rejectedBy['bad-mac']).toBe(1);
  });

  it('rejects a correctly signed command whose body was altered after signing', async () => {
    const body = unlockBody({ durationMs: 1000 });
    const env = signEnvelope(id.secret, commandTopic(id.controllerId), body);
    await send({ ...env, body: { ...body, durationMs: 600_000 } });
    await expect(replyTo(body.requestId)).resolves.toMatchObject({ code: 'bad-mac' });
    expect(controller.relayActivations(1)).toBe(0);
  });

  it("rejects a command signed for another controller's topic", async () => {
    const body = unlockBody();
    await send(signEnvelope(id.secret, commandTopic('some-other-controller'), body));
    await expect(replyTo(body.requestId)).resolves.toMatchObject({ code: 'bad-mac' });
    expect(controller.relayActivations(1)).toBe(0);
  });

  it('rejects a replayed command: the same signed message a second time does nothing', async () => {
    const body = unlockBody({ durationMs: 50 });
    const env = signEnvelope(id.secret, commandTopic(id.controllerId), body);
    await send(env);
    await expect(replyTo(body.requestId)).resolves.toMatchObject({ ok: true });
    await waitFor(() => controller.doorStates()[0].locked, 2000, 'relock after 50 ms');
    replies.length = 0;

    await send(env);
    await expect(replyTo(body.requestId)).resolves.toMatchObject({ ok: false, code: 'replayed' });
    expect(controller.relayActivations(1)).toBe(1);
    expect(controller.doorStates()[0].locked).toBe(true);
  });

  it.each([
    ['stale', -6_000],
    ['from the future', +6_000],
  ])('rejects a %s command outside the configured skew', async (_label, offset) => {
    const body = unlockBody({ ts: Date.now() + offset });
    await send(signEnvelope(id.secret, commandTopic(id.controllerId), body));
    await expect(replyTo(body.requestId)).resolves.toMatchObject({ ok: false, code: 'stale' });
    expect(controller.relayActivations(1)).toBe(0);
  });

  it('rejects a command older than its own ttl even inside the skew: the server has given up on it', async () => {
    const body = unlockBody({ ts: Date.now() - 2_000, ttlMs: 1_000 });
    await send(signEnvelope(id.secret, commandTopic(id.controllerId), body));
    await expect(replyTo(body.requestId)).resolves.toMatchObject({ ok: false, code: 'stale' });
    const fresh = unlockBody({ ts: Date.now() - 2_000, ttlMs: 3_000 });
    await send(signEnvelope(id.secret, commandTopic(id.controllerId), fresh));
    await expect(replyTo(fresh.requestId)).resolves.toMatchObject({ ok: true });
  });

  it('rejects a signed but invalid command and an unsigned one', async () => {
    const body = unlockBody({ door: 0 });
    await send(signEnvelope(id.secret, commandTopic(id.controllerId), body));
    await expect(replyTo(body.requestId)).resolves.toMatchObject({ code: 'invalid' });
    await send({ body: unlockBody(), mac: '' });
    await send('open sesame');
    await waitFor(() => controller.stats.rejected === 3, 2000, 'three rejections');
    expect(controller.stats.rejectedBy).toEqual({ invalid: 2, 'bad-mac': 1 });
    expect(controller.relayActivations(1)).toBe(0);
  });

  it('never replies outside its own reply topic, whatever replyTo says', async () => {
    const spy = teardown.add(
      await connectRawClient(tb.url, { username: tb.server.username, password: tb.server.password, clientId: `${tb.server.username}-spy` }),
    );
    const seen: string[] = [];
    spy.on('message', (t) => seen.push(t));
    await spy.subscribeAsync('acs/v1/#', { qos: 1 });
    const body = unlockBody({ replyTo: 'acs/v1/victim/event' });
    await send(signEnvelope(id.secret, commandTopic(id.controllerId), body));
    await waitFor(() => controller.stats.rejected === 1, 2000, 'rejection');
    expect(controller.relayActivations(1)).toBe(0);
    expect(seen.filter((t) => t.startsWith('acs/v1/victim'))).toEqual([]);
  });
});
