import { EventEmitter } from 'node:events';
import { Socket } from 'node:net';
import type { FingerprintTransport, TransportCloseInfo } from '../transport.js';

export interface TcpTransportOptions {
  host: string;
  port: number;
  /** Give up on the TCP handshake after this long. Default 3000 ms. */
  connectTimeoutMs?: number;
}

/**
 * Raw TCP as served by serial device servers (Moxa NPort "TCP server" mode, ser2net raw, socat):
 * the socket carries exactly the UART bytes. A closed socket is treated like an unplug.
 */
export class TcpTransport extends EventEmitter implements FingerprintTransport {
  readonly description: string;
  private socket?: Socket;
  private closedByUs = false;

  constructor(private readonly options: TcpTransportOptions) {
    super();
    if (!options.host || !Number.isInteger(options.port) || options.port <= 0 || options.port > 65535) {
      throw new TypeError(`invalid TCP endpoint ${options.host}:${options.port}`);
    }
    this.description = `tcp://${options.host}:${options.port}`;
  }

  get isOpen(): boolean {
    return this.socket !== undefined && !this.socket.destroyed && this.socket.readyState === 'open';
  }

  async open(): Promise<void> {
    if (this.socket) throw new Error(`${this.description} is already open`);
    const socket = new Socket();
    this.closedByUs = false;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`connect to ${this.description} timed out`));
      }, this.options.connectTimeoutMs ?? 3000);
      socket.once('error', (err) => {
        clearTimeout(timer);
        socket.destroy();
        reject(err);
      });
      socket.connect({ host: this.options.host, port: this.options.port }, () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve();
      });
    });
    // Frames are tiny and latency-bound: Nagle would add up to 40 ms per command.
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 10_000);
    this.socket = socket;
    let lastError: Error | undefined;
    socket.on('data', (chunk: Buffer) => this.emit('data', chunk));
    socket.on('error', (err) => (lastError = err));
    socket.once('close', () => {
      this.socket = undefined;
      const info: TransportCloseInfo = { disconnected: !this.closedByUs, error: lastError };
      this.emit('close', info);
    });
  }

  async write(data: Buffer): Promise<void> {
    const socket = this.socket;
    if (!socket || socket.destroyed) throw new Error(`${this.description} is not open`);
    await new Promise<void>((resolve, reject) => socket.write(data, (err) => (err ? reject(err) : resolve())));
  }

  async close(): Promise<void> {
    const socket = this.socket;
    if (!socket) return;
    this.closedByUs = true;
    await new Promise<void>((resolve) => {
      socket.once('close', () => resolve());
      socket.destroy();
    });
  }
}
