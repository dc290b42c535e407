import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { commandTopic, eventTopic } from '@acs/door-protocol';
import {
  connectPacket,
  connectRawClient,
  fixedHeader,
  idleUntilClosed,
  publishHead,
  startTestBroker,
  streamHostile,
  Teardown,
  type TestBroker,
  waitFor,
} from '@acs/mqtt/testing';
import { setTimeout as sleep } from 'node:timers/promises';

const MB = 1024 * 1024;

/**
 * Issue 16 item 1: a client announcing a huge packet is refused from the fixed header, before the
 * body is buffered, whether or not it has logged in; a CONNECT must arrive in time; connections
 * are capped per address and in total. The broker keeps serving real clients throughout.
 */
describe('embedded broker against hostile clients', () => {
  const suite = new Teardown();
  let tb: TestBroker;

  beforeAll(async () => {
    tb = suite.add(await startTestBroker({ hardening: { maxConnectionsPerAddress: 6, maxConnections: 10, refusalPenaltyMs: 0 } }));
  });
  afterAll(() => suite.run());

  it('closes a client that announces a 200 MB CONNECT at its fixed header, before streaming it in', async () => {
    const r = await streamHostile(tb.port, { head: fixedHeader(1, 200 * MB), limit: 64 * MB });
    expect(r.closedByServer).toBe(true);
    // Loopback socket buffers take a few MB before the close is seen; the point is that the stream stops.
    expect(r.bodyBytesWritten).toBeLessThan(16 * MB);
    expect(r.closedAfterMs).toBeLessThan(2000);
    expect(tb.denials.at(-1)).toMatchObject({ action: 'connection', reason: expect.stringContaining('CONNECT announces 209715200 bytes') });
  });

  it('closes a client that never logs in and sends a 200 MB PUBLISH first', async () => {
    const r = await streamHostile(tb.port, { head: publishHead('acs/v1/x/event', 200 * MB), limit: 64 * MB });
    expect(r.closedByServer).toBe(true);
    expect(r.bodyBytesWritten).toBeLessThan(16 * MB);
    expect(tb.denials.at(-1)).toMatchObject({ action: 'connection', reason: expect.stringContaining('not CONNECT') });
  });

  it('closes an authenticated controller announcing a 50 MB PUBLISH, before the payload is read', async () => {
    const id = tb.addController();
    const r = await streamHostile(tb.port, {
      login: connectPacket(id.controllerId, id.controllerId, id.password),
      head: publishHead(eventTopic(id.controllerId), 50 * MB),
      limit: 64 * MB,
    });
    expect(r.closedByServer).toBe(true);
    expect(r.bodyBytesWritten).toBeLessThan(16 * MB);
    expect(tb.denials.at(-1)).toMatchObject({ action: 'connection', clientId: id.controllerId, reason: expect.stringContaining('packet type 3 announces') });
  });

  it('accepts a publish at the payload limit and refuses one just over the packet limit', async () => {
    const id = tb.addController();
    const ok = await connectRawClient(tb.url, { username: id.controllerId, password: id.password, clientId: id.controllerId });
    await ok.publishAsync(eventTopic(id.controllerId), Buffer.alloc(8192), { qos: 1 });
    expect(ok.connected).toBe(true);
    await ok.endAsync();
    const r = await streamHostile(tb.port, {
      login: connectPacket(id.controllerId, id.controllerId, id.password),
      head: publishHead(eventTopic(id.controllerId), 9217),
      limit: 4 * MB,
    });
    expect(r.closedByServer).toBe(true);
    expect(tb.denials.at(-1)).toMatchObject({ clientId: id.controllerId, reason: expect.stringContaining('limit 9216') });
  });

  it('closes a connection that sends no CONNECT within the deadline (default 5 s)', async () => {
    const silent = await idleUntilClosed(tb.port);
    expect(silent.closedAfterMs).toBeGreaterThan(4000);
    expect(silent.closedAfterMs).toBeLessThan(6500);
  }, 15_000);

  it('closes a CONNECT trickled in too slowly at the same deadline', async () => {
    const packet = connectPacket('slowpoke', 'nobody', 'nothing-here');
    const trickle = idleUntilClosed(tb.port, packet.subarray(0, 5));
    const closed = await trickle;
    expect(closed.closedAfterMs).toBeLessThan(6500);
  }, 15_000);

  it('caps connections per address and in total; a closed one frees its slot', async () => {
    const sockets: Array<{ destroy(): void }> = [];
    const open = async (localAddress: string) => {
      const { connect } = await import('node:net');
      const s = connect({ host: '127.0.0.1', port: tb.port, localAddress });
      s.on('error', () => {});
      await new Promise((r) => s.once('connect', r));
      sockets.push(s);
      return s;
    };
    try {
      for (let i = 0; i < 6; i++) await open('127.0.0.2');
      await waitFor(() => tb.broker.openConnections === 6, 2000, 'six connections');
      const refused = await idleUntilClosed(tb.port, undefined, '127.0.0.2');
      expect(refused.closedAfterMs).toBeLessThan(1000);
      expect(tb.denials.at(-1)).toMatchObject({ action: 'connection', address: '127.0.0.2', reason: 'too-many-from-address' });
      // Another address still gets in, up to the total of 10.
      for (let i = 0; i < 4; i++) await open('127.0.0.3');
      await waitFor(() => tb.broker.openConnections === 10, 2000, 'ten connections');
      const full = await idleUntilClosed(tb.port, undefined, '127.0.0.4');
      expect(full.closedAfterMs).toBeLessThan(1000);
      expect(tb.denials.at(-1)).toMatchObject({ reason: 'too-many-connections' });
      sockets.pop()!.destroy();
      await waitFor(() => tb.broker.openConnections === 9, 2000, 'a freed slot');
      const id = tb.addController();
      const c = await connectRawClient(tb.url, { username: id.controllerId, password: id.password, clientId: id.controllerId });
      expect(c.connected).toBe(true);
      await c.endAsync();
    } finally {
      for (const s of sockets) s.destroy();
    }
  });

  it('shuts an address whose packet was refused out for the penalty time, and only that address', async () => {
    const strict = await startTestBroker({ hardening: { refusalPenaltyMs: 1500 } });
    try {
      const r = await streamHostile(strict.port, { head: fixedHeader(1, 200 * MB), limit: 16 * MB, localAddress: '127.0.0.5' });
      expect(r.closedByServer).toBe(true);
      const again = await idleUntilClosed(strict.port, connectPacket('x', 'y', 'z'), '127.0.0.5');
      expect(again.closedAfterMs).toBeLessThan(500);
      expect(strict.denials.at(-1)).toMatchObject({ address: '127.0.0.5', reason: 'address-penalised' });
      const id = strict.addController();
      const honest = await connectRawClient(strict.url, { username: id.controllerId, password: id.password, clientId: id.controllerId });
      expect(honest.connected).toBe(true);
      await honest.endAsync();
      await sleep(1600);
      const later = await streamHostile(strict.port, {
        login: connectPacket(id.controllerId, id.controllerId, id.password),
        head: publishHead(eventTopic(id.controllerId), 10),
        limit: 10,
        localAddress: '127.0.0.5',
      });
      expect(later.closedByServer).toBe(false); // logged in and published after the penalty ran out
    } finally {
      await strict.stop();
    }
  });

  it('keeps serving real clients: the server side still reaches a controller', async () => {
    const id = tb.addController();
    const ctl = await connectRawClient(tb.url, { username: id.controllerId, password: id.password, clientId: id.controllerId });
    const server = await connectRawClient(tb.url, { username: tb.server.username, password: tb.server.password, clientId: 'acs-server-hostile-probe' });
    await ctl.subscribeAsync(commandTopic(id.controllerId), { qos: 1 });
    const got = new Promise<string>((r) => ctl.once('message', (_t, p) => r(p.toString())));
    await server.publishAsync(commandTopic(id.controllerId), 'ping', { qos: 1 });
    expect(await got).toBe('ping');
    await ctl.endAsync();
    await server.endAsync();
  });
});
