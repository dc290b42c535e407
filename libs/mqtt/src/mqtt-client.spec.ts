import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from '@jest/globals';
import { AcsMqttClient } from './mqtt-client.js';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * A broker that answers CONNECT with CONNACK (accepted, no session) and then reads and drops
 * everything: QoS 1 PUBLISHes are never acknowledged, as when the broker stalls, or when the
 * connection dies before the PUBACKs are read. Byte level: MQTT 3.1.1 §3.2 (CONNACK is 0x20,
 * remaining length 2, flags 0, return code 0).
 */
async function silentBroker(): Promise<{ url: string; sockets: Set<Socket>; publishes: () => number; lastPacketId: () => number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let publishes = 0;
  let lastPacketId = -1;
  const server: Server = createServer((sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => undefined);
    let connected = false;
    sock.on('data', (chunk) => {
      if (!connected) {
        connected = true;
        sock.write(Buffer.from([0x20, 0x02, 0x00, 0x00]));
        return;
      }
      // Fixed header type 3 = PUBLISH (§3.3.1); counted to make sure the test really has one in
      // flight. Its packet id follows the topic (§3.3.2); the remaining length is one byte here.
      if (chunk[0] >> 4 === 3) {
        publishes++;
        const topicLength = chunk.readUInt16BE(2);
        lastPacketId = chunk.readUInt16BE(4 + topicLength);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `mqtt://127.0.0.1:${port}`,
    sockets,
    publishes: () => publishes,
    lastPacketId: () => lastPacketId,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Settles with 'ended' or 'hung', so a regression fails the test instead of stalling Jest. */
function within(ms: number, p: Promise<void>): Promise<'ended' | 'hung'> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'hung'>((resolve) => (timer = setTimeout(() => resolve('hung'), ms)));
  return Promise.race([p.then(() => 'ended' as const), deadline]).finally(() => clearTimeout(timer));
}

const waitFor = async (cond: () => boolean) => {
  for (let i = 0; i < 200 && !cond(); i++) await sleep(10);
  expect(cond()).toBe(true);
};

describe('AcsMqttClient.end', () => {
  const cleanup: Array<() => Promise<void>> = [];
  afterEach(async () => {
    while (cleanup.length > 0) await cleanup.pop()!();
  });

  it('returns when the connection drops while QoS 1 publishes wait for their PUBACK (the purge benchmark hang)', async () => {
    const broker = await silentBroker();
    cleanup.push(broker.close);
    const client = new AcsMqttClient({ url: broker.url, clientId: 'acs-server-end-1', keepaliveSec: 60, endGraceMs: 60_000 });
    await client.connect();
    void client.publish('acs/cluster/v1/registry', '{}', { qos: 1 }).catch(() => undefined);
    await waitFor(() => broker.publishes() === 1);
    const ending = client.end();
    // The broker drops us after the graceful end began, as aedes does when a blocked event loop
    // let the keepalive (1.5 x 30 s) run out: the PUBACK can never come now.
    for (const s of broker.sockets) s.destroy();
    expect(await within(3000, ending)).toBe('ended');
  });

  it('gives up waiting for PUBACKs after the grace period when the broker never answers', async () => {
    const broker = await silentBroker();
    cleanup.push(broker.close);
    const client = new AcsMqttClient({ url: broker.url, clientId: 'acs-server-end-2', keepaliveSec: 60, endGraceMs: 300 });
    await client.connect();
    void client.publish('acs/cluster/v1/registry', '{}', { qos: 1 }).catch(() => undefined);
    await waitFor(() => broker.publishes() === 1);
    const started = Date.now();
    expect(await within(3000, client.end())).toBe('ended');
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    // Forced: nothing is left connected to the broker.
    await waitFor(() => broker.sockets.size === 0);
  });

  it('still waits for outstanding PUBACKs when the broker answers them', async () => {
    const broker = await silentBroker();
    cleanup.push(broker.close);
    const client = new AcsMqttClient({ url: broker.url, clientId: 'acs-server-end-3', keepaliveSec: 60, endGraceMs: 5000 });
    await client.connect();
    void client.publish('acs/cluster/v1/registry', '{}', { qos: 1 }).catch(() => undefined);
    await waitFor(() => broker.publishes() === 1);
    let ended = false;
    const ending = client.end().then(() => {
      ended = true;
    });
    await sleep(100);
    expect(ended).toBe(false);
    // PUBACK (§3.4): type 4, remaining length 2, the packet id of the PUBLISH.
    const [sock] = broker.sockets;
    const id = broker.lastPacketId();
    sock.write(Buffer.from([0x40, 0x02, id >> 8, id & 0xff]));
    expect(await within(3000, ending)).toBe('ended');
  });
});
