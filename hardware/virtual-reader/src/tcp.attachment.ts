import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { VirtualReader } from './virtual-reader.js';

/**
 * The reader behind a raw-TCP serial device server (one client at a time, bytes as on the
 * UART). A second client is refused, as device servers in exclusive mode do.
 */
export class VirtualReaderTcpServer {
  private server?: Server;
  private client?: Socket;

  constructor(private readonly reader: VirtualReader) {}

  async listen(port = 0, host = '127.0.0.1'): Promise<{ host: string; port: number; url: string }> {
    const server = createServer((socket) => this.onConnection(socket));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    const address = server.address() as AddressInfo;
    return { host, port: address.port, url: `tcp://${host}:${address.port}` };
  }

  private onConnection(socket: Socket): void {
    if (this.client) {
      socket.destroy();
      return;
    }
    socket.setNoDelay(true);
    this.client = socket;
    const onOutput = (bytes: Buffer) => {
      if (!socket.destroyed) socket.write(bytes);
    };
    this.reader.on('output', onOutput);
    this.reader.attach();
    socket.on('data', (chunk: Buffer) => this.reader.receive(chunk));
    socket.on('error', () => undefined);
    socket.once('close', () => {
      this.reader.off('output', onOutput);
      this.reader.detach();
      if (this.client === socket) this.client = undefined;
    });
  }

  /** Simulate a network drop: the client sees its socket close. */
  dropClient(): void {
    this.client?.destroy();
  }

  get hasClient(): boolean {
    return this.client !== undefined;
  }

  async close(): Promise<void> {
    this.client?.destroy();
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
