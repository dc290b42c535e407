import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { VirtualOsdpBus } from './virtual-osdp-bus.js';

/**
 * The bus behind a raw-TCP serial device server (an RS-485 to Ethernet converter in exclusive
 * mode): one client at a time, bytes as on the line. A second client is refused.
 */
export class VirtualOsdpTcpServer {
  private server?: Server;
  private client?: Socket;
  private timer?: NodeJS.Timeout;

  constructor(private readonly bus: VirtualOsdpBus) {}

  async listen(port = 0, host = '127.0.0.1'): Promise<{ host: string; port: number; url: string }> {
    const server = createServer((socket) => this.onConnection(socket));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    this.timer = setInterval(() => this.bus.tick(), 5);
    this.timer.unref();
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
    this.bus.on('output', onOutput);
    socket.on('data', (chunk: Buffer) => this.bus.receive(chunk));
    socket.on('error', () => undefined);
    socket.once('close', () => {
      this.bus.off('output', onOutput);
      if (this.client === socket) this.client = undefined;
    });
  }

  /** Simulate a network drop: the client sees its socket close. */
  dropClient(): void {
    this.client?.destroy();
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    this.client?.destroy();
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
