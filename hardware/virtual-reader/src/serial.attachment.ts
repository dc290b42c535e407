import { SerialPort } from 'serialport';
import type { VirtualReader } from './virtual-reader.js';

/**
 * The reader on a real serial device, e.g. one end of a socat pseudo-terminal pair:
 * `socat -d -d pty,raw,echo=0,link=/tmp/vr-dev pty,raw,echo=0,link=/tmp/vr-host`.
 */
export class VirtualReaderSerialAttachment {
  private port?: SerialPort;

  constructor(private readonly reader: VirtualReader) {}

  async open(path: string, baudRate = this.reader.baudRate): Promise<void> {
    const port = new SerialPort({ path, baudRate, autoOpen: false });
    await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
    this.port = port;
    const onOutput = (bytes: Buffer) => {
      if (port.isOpen) port.write(bytes);
    };
    this.reader.on('output', onOutput);
    this.reader.attach();
    port.on('data', (chunk: Buffer) => this.reader.receive(chunk));
    port.on('error', () => undefined);
    port.once('close', () => {
      this.reader.off('output', onOutput);
      this.reader.detach();
      if (this.port === port) this.port = undefined;
    });
  }

  async close(): Promise<void> {
    const port = this.port;
    if (!port?.isOpen) return;
    await new Promise<void>((resolve) => port.close(() => resolve()));
  }
}
