import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { FakeClock } from '@acs/clock';
import { commandTopic, eventTopic, newNonce, replyTopic, signEnvelope, statusTopic, topicMatches, type EventBody, type ReplyBody } from '@acs/door-protocol';
import { type DoorTransport, InMemoryControllerSecretProvider, type MessageHandler } from '@acs/mqtt';
import { DoorCommandService } from './door-command.service.js';
import type { DoorEventRecord, SecurityEvent } from './door-command.types.js';

const CTL = 'ctl-unit-1';
const SECRET = Buffer.alloc(32, 7);

/** The broker seen from the server: routes by topic filter, publishes recorded. */
class FakeTransport implements DoorTransport {
  connected = true;
  readonly published: Array<{ topic: string; body: Record<string, unknown> }> = [];
  private readonly routes: Array<{ filter: string; handler: MessageHandler }> = [];
  async route(filter: string, handler: MessageHandler): Promise<void> {
    this.routes.push({ filter, handler });
  }
  async publish(topic: string, payload: string | Buffer): Promise<void> {
    this.published.push({ topic, body: (JSON.parse(payload.toString()) as { body: Record<string, unknown> }).body });
  }
  /** Delivers as the broker would, to every route whose filter matches. */
  deliver(topic: string, body: unknown, secret = SECRET): void {
    const payload = Buffer.from(JSON.stringify(signEnvelope(secret, topic, body)));
    for (const r of this.routes) {
      if (topicMatches(r.filter, topic)) r.handler(topic, payload, {} as Parameters<MessageHandler>[2]);
    }
  }
}

describe('DoorCommandService (on a fake transport)', () => {
  let clock: FakeClock;
  let transport: FakeTransport;
  let doors: DoorCommandService;
  let events: DoorEventRecord[];
  let security: SecurityEvent[];
  const flush = () => jest.advanceTimersByTimeAsync(0);
  const event = (seq: number, type: EventBody['type'] = 'opened', door = 1): EventBody => ({
    v: 1,
    controllerId: CTL,
    epoch: clock.nowMs() - 60_000,
    seq,
    type,
    door,
    ts: clock.nowMs(),
    nonce: newNonce(),
  });

  beforeEach(async () => {
    jest.useFakeTimers();
    clock = new FakeClock('2026-06-01T12:00:00Z');
    transport = new FakeTransport();
    const secrets = new InMemoryControllerSecretProvider();
    secrets.set(CTL, SECRET);
    doors = new DoorCommandService(transport, secrets, clock, { commandTimeoutMs: 1000, ackDelayMs: 20 });
    events = [];
    security = [];
    doors.on('door-event', (e) => events.push(e));
    doors.on('security', (e) => security.push(e));
    await doors.start();
  });
  afterEach(() => {
    doors.stop();
    jest.useRealTimers();
  });

  it('asks the fence for staff commands (lock, door modes) apart: none while the controller is kept only through a database outage', async () => {
    const secrets = new InMemoryControllerSecretProvider();
    secrets.set(CTL, SECRET);
    // As RegistryControllerSecrets answers while the lease is kept past its deadline through an outage.
    const fenced = Object.assign(secrets, { fenceFor: async (_id: string, purpose?: 'serve' | 'staff') => (purpose === 'staff' ? null : 7) });
    const served = new DoorCommandService(transport, fenced, clock, { commandTimeoutMs: 1000, ackDelayMs: 20 });
    await served.start();
    for (const send of [() => served.unlock(CTL, 1, 500, { owned: true }), () => served.setMode(CTL, 1, 'locked-down'), () => served.lock(CTL, 1)]) {
      send().catch(() => undefined);
      await flush();
    }
    const sent = transport.published.filter((p) => p.topic === commandTopic(CTL)).map((p) => [p.body.cmd, p.body.fence]);
    expect(sent).toEqual([
      ['unlock', 7],
      ['set-mode', undefined],
      ['lock', undefined],
    ]);
    served.stop();
  });

  it('signs an unlock for the controller and resolves with its authentic reply', async () => {
    const reply = doors.unlock(CTL, 1, 500);
    await flush();
    const [cmd] = transport.published;
    expect(cmd).toMatchObject({ topic: commandTopic(CTL), body: { cmd: 'unlock', door: 1, durationMs: 500, ttlMs: 1000, replyTo: replyTopic(CTL) } });
    const body: ReplyBody = {
      v: 1,
      controllerId: CTL,
      requestId: cmd.body.requestId as string,
      cmd: 'unlock',
      ok: true,
      code: 'ok',
      ts: clock.nowMs(),
      nonce: newNonce(),
    };
    transport.deliver(replyTopic(CTL), body);
    await expect(reply).resolves.toMatchObject({ ok: true, requestId: cmd.body.requestId });
  });

  it('reports a forged reply as a security event and lets the command time out', async () => {
    const reply = doors.ping(CTL);
    const settled = reply.catch((e: unknown) => e);
    await flush();
    const requestId = transport.published[0].body.requestId as string;
    transport.deliver(
      replyTopic(CTL),
      { v: 1, controllerId: CTL, requestId, cmd: 'ping', ok: true, code: 'ok', ts: clock.nowMs(), nonce: newNonce() },
      Buffer.alloc(32, 1),
    );
    await flush();
    expect(security).toMatchObject([{ kind: 'forged-reply', controllerId: CTL, reason: 'MAC does not verify' }]);
    await jest.advanceTimersByTimeAsync(1000);
    expect(await settled).toMatchObject({ code: 'no-reply' });
  });

  it('passes each event on once, notices a gap, and acknowledges what is contiguous once per burst', async () => {
    transport.deliver(eventTopic(CTL), event(1));
    transport.deliver(eventTopic(CTL), event(1)); // a duplicate delivery
    transport.deliver(eventTopic(CTL), event(3, 'closed'));
    await flush();
    expect(events.map((e) => e.seq)).toEqual([1, 3]);
    expect(doors.missingEvents(CTL)).toEqual([2]);
    await jest.advanceTimersByTimeAsync(20);
    expect(transport.published.map((p) => p.body)).toMatchObject([{ cmd: 'ack-events', seq: 1 }]);
    expect(doors.doorState(CTL, 1)).toMatchObject({ open: false });
  });

  it('fails waiting commands at once when the controller goes offline, and refuses new ones', async () => {
    const reply = doors.lock(CTL, 1).catch((e: unknown) => e);
    await flush();
    transport.deliver(statusTopic(CTL), { v: 1, controllerId: CTL, status: 'offline', epoch: clock.nowMs() - 60_000, ts: clock.nowMs(), nonce: newNonce() });
    await flush();
    expect(await reply).toMatchObject({ code: 'controller-offline' });
    await expect(doors.ping(CTL)).rejects.toMatchObject({ code: 'controller-offline' });
    transport.connected = false;
    await expect(doors.ping(CTL)).rejects.toMatchObject({ code: 'broker-unavailable' });
  });

  it('holds events until released when asked to', async () => {
    const held = new DoorCommandService(transport, new InMemoryControllerSecretProvider(), clock, { holdEvents: true });
    const seen: number[] = [];
    held.on('security', () => seen.push(-1));
    await held.start();
    transport.deliver(eventTopic(CTL), event(1));
    await flush();
    expect(seen).toEqual([]);
    held.releaseEvents();
    await flush();
    expect(seen).toEqual([-1]); // no secret in this one's provider: an unknown controller
    held.stop();
  });
});
