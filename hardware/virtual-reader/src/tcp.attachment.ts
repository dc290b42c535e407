import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { VirtualReader } from './virtual-reader.js';

/**
 * The reader behind a raw-TCP serial device server (one client at a time, bytes as on the
 * UART). A second client is refused, as device servers in exclusive mode do; with
 * `newClientWins` the new client takes the line and the old one is dropped, as device servers
 * set up for host failover do (otherwise a server that froze with the connection open keeps the
 * reader from the instance taking over until TCP gives up on it).
 */
export class VirtualReaderTcpServer {
  private server?: Server;
  private client?: Socket;
  private detachClient?: () => void;

  constructor(
    private readonly reader: VirtualReader,
    private readonly options: { newClientWins?: boolean } = {},
  ) {}

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
    if (this.client && !this.options.newClientWins) {
      socket.destroy();
      return;
    }
    // Detach the old client first: bytes for the new one must not reach it meanwhile. Detaching
    // forgets it, so keep hold of it to drop its connection (the old client sees its socket close).
    const old = this.client;
    this.detachClient?.();
    old?.destroy();
    socket.setNoDelay(true);
    this.client = socket;
    const onOutput = (bytes: Buffer) => {
      if (!socket.destroyed) socket.write(bytes);
    };
    this.reader.on('output', onOutput);
    this.reader.attach();
    socket.on('data', (chunk: Buffer) => {
      if (this.client === socket) this.reader.receive(chunk);
    });
    socket.on('error', () => undefined);
    let attached = true;
    const detach = () => {
      if (!attached) return;
      attached = false;
      this.reader.off('output', onOutput);
      this.reader.detach();
      if (this.client === socket) {
        this.client = undefined;
        this.detachClient = undefined;
      }
    };
    this.detachClient = detach;
    socket.once('close', detach);
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
