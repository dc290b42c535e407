import { EventEmitter } from 'node:events';
import type { FingerprintTransport, TransportCloseInfo } from '../transport.js';

/**
 * The module's end of the line as a byte pipe, for tests at the link and command seams: every
 * host write is recorded (and handed to `respond`, which plays the module), `reply()` puts bytes
 * on the line, `drop()` is the cable pulled. It keeps the {@link FingerprintTransport} contract.
 */
export class FakeTransport extends EventEmitter implements FingerprintTransport {
  readonly description = 'fake://reader';
  /** Every buffer the host wrote, in order. */
  readonly written: Buffer[] = [];
  /** Plays the module: gets each host write, may answer with `reply()`. */
  respond?: (data: Buffer) => void;
  /** When set, writes reject with it (a port that went away under the host). */
  writeError?: Error;
  private open_ = false;

  get isOpen(): boolean {
    return this.open_;
  }

  async open(): Promise<void> {
    this.open_ = true;
  }

  async write(data: Buffer): Promise<void> {
    if (this.writeError) throw this.writeError;
    if (!this.open_) throw new Error('port not open');
    this.written.push(Buffer.from(data));
    this.respond?.(data);
  }

  /** Bytes from the module, delivered on the next turn as a real port would. */
  reply(data: Buffer): void {
    setImmediate(() => this.emit('data', data));
  }

  /** The other side went away. */
  drop(error?: Error): void {
    this.closeWith({ disconnected: true, error });
  }

  async close(): Promise<void> {
    this.closeWith({ disconnected: false });
  }

  private closeWith(info: TransportCloseInfo): void {
    if (!this.open_) return;
    this.open_ = false;
    this.emit('close', info);
  }
}
