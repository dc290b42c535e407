import { connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from '@jest/globals';
import { VirtualReaderTcpServer } from './tcp.attachment.js';
import { VirtualReader } from './virtual-reader.js';

describe('VirtualReaderTcpServer (a serial device server on TCP)', () => {
  let server: VirtualReaderTcpServer | undefined;
  const sockets: Socket[] = [];
  afterEach(async () => {
    for (const s of sockets) s.destroy();
    await server?.close();
  });
  const client = async (port: number) => {
    const s = connect(port, '127.0.0.1');
    s.on('error', () => undefined);
    sockets.push(s);
    await once(s, 'connect');
    return s;
  };

  it('with newClientWins drops the old client’s connection when a new client connects (host failover)', async () => {
    server = new VirtualReaderTcpServer(new VirtualReader(), { newClientWins: true });
    const { port } = await server.listen(0);
    const first = await client(port);
    const closed = once(first, 'close');
    await client(port);
    await closed;
    expect(first.destroyed).toBe(true);
    expect(server.hasClient).toBe(true);
  });

  it('without it refuses the second client and keeps the first', async () => {
    server = new VirtualReaderTcpServer(new VirtualReader());
    const { port } = await server.listen(0);
    const first = await client(port);
    const second = await client(port);
    await once(second, 'close');
    expect(first.destroyed).toBe(false);
  });
});
