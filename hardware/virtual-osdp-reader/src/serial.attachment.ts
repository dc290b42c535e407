import { SerialPort } from 'serialport';
import type { VirtualOsdpBus } from './virtual-osdp-bus.js';

/** How often a held partial packet is checked against the inter-character timeout. */
const TICK_MS = 5;

/**
 * The bus on a real serial device, e.g. one end of a socat pseudo-terminal pair:
 * `socat -d -d pty,raw,echo=0,link=/tmp/osdp-pd pty,raw,echo=0,link=/tmp/osdp-acu`.
 */
export class VirtualOsdpSerialAttachment {
  private port?: SerialPort;
  private timer?: NodeJS.Timeout;

  constructor(private readonly bus: VirtualOsdpBus) {}

  async open(path: string, baudRate = this.bus.pds[0]?.baudRate ?? 9600): Promise<void> {
    const port = new SerialPort({ path, baudRate, autoOpen: false });
    await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
    this.port = port;
    const onOutput = (bytes: Buffer) => {
      if (port.isOpen) port.write(bytes);
    };
    // After osdp_COM has gone out, a line whose PDs all moved to one new speed follows them (a pty ignores it).
    const onComset = ({ baudRate: next }: { baudRate: number }) => {
      if (!this.bus.pds.every((pd) => pd.baudRate === next)) return;
      port.drain(() => port.isOpen && port.update({ baudRate: next }, () => undefined));
    };
    this.bus.on('output', onOutput);
    this.bus.on('comset', onComset);
    port.on('data', (chunk: Buffer) => this.bus.receive(chunk));
    port.on('error', () => undefined);
    this.timer = setInterval(() => this.bus.tick(), TICK_MS);
    this.timer.unref();
    port.once('close', () => {
      this.bus.off('output', onOutput);
      this.bus.off('comset', onComset);
      clearInterval(this.timer);
      if (this.port === port) this.port = undefined;
    });
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    const port = this.port;
    if (!port?.isOpen) return;
    await new Promise<void>((resolve) => port.close(() => resolve()));
  }
}
