import type { BindingInterface, OpenOptions, PortInfo } from '@serialport/bindings-interface' with { 'resolution-mode': 'require' };
import type { MockPortBinding } from '@serialport/binding-mock' with { 'resolution-mode': 'require' };
import { SerialPortMock } from 'serialport';

const MockBinding = SerialPortMock.binding;
import type { VirtualReader } from './virtual-reader.js';

let nextPortId = 1;

/**
 * A serialport binding whose one port has a {@link VirtualReader} on the other end of the
 * cable. Built on @serialport/binding-mock, which has no device behind its ports: we wrap the
 * opened MockPortBinding so host writes reach the reader and the reader's bytes come back
 * through `emitData` (docs/r503-protocol.md §Host side: node-serialport).
 *
 * `unplug()` makes the pending read fail with a non-canceled error, which serialport turns into
 * `close` with `disconnected: true`, exactly like a USB adapter being pulled.
 */
export class VirtualReaderBinding implements BindingInterface<MockPortBinding> {
  readonly path: string;
  private reader: VirtualReader;
  private present = true;
  private current?: MockPortBinding;
  private detachCurrent?: () => void;

  constructor(reader: VirtualReader, path = `/dev/ttyVREADER${nextPortId++}`) {
    this.reader = reader;
    this.path = path;
    MockBinding.createPort(path, { echo: false, record: false });
  }

  /** The reader currently on the cable. */
  get device(): VirtualReader {
    return this.reader;
  }

  get isPortOpen(): boolean {
    return this.current?.isOpen ?? false;
  }

  async list(): Promise<PortInfo[]> {
    return (await MockBinding.list()).filter((p) => p.path === this.path);
  }

  async open(options: OpenOptions): Promise<MockPortBinding> {
    if (options.path !== this.path) throw new Error(`${options.path}: no such device (this binding serves ${this.path})`);
    if (!this.present) throw new Error(`Error: No such file or directory, cannot open ${this.path}`);
    const port = await MockBinding.open(options);
    const reader = this.reader;
    const originalWrite = port.write.bind(port);
    const originalClose = port.close.bind(port);
    const onOutput = (bytes: Buffer) => {
      if (port.isOpen && this.current === port) port.emitData(bytes);
    };
    reader.on('output', onOutput);
    reader.attach();
    const detach = () => {
      reader.off('output', onOutput);
      reader.detach();
      if (this.current === port) {
        this.current = undefined;
        this.detachCurrent = undefined;
      }
    };
    port.write = async (buffer: Buffer) => {
      await originalWrite(buffer);
      if (this.current === port) reader.receive(buffer);
    };
    port.close = async () => {
      detach();
      await originalClose();
    };
    this.current = port;
    this.detachCurrent = detach;
    return port;
  }

  /** Pull the cable: the open port reports a disconnect and re-opening fails until plug(). */
  unplug(): void {
    this.present = false;
    const port = this.current;
    this.detachCurrent?.();
    if (!port) return;
    const error = new Error('EIO: device unplugged');
    port.read = () => Promise.reject(error);
    // MockPortBinding keeps the waiting read in a private callback; fail it the way a real
    // binding fails a read on a vanished tty (EIO/ENXIO).
    const internals = port as unknown as { pendingRead: ((err?: Error) => void) | null };
    const pendingRead = internals.pendingRead;
    internals.pendingRead = null;
    pendingRead?.(error);
  }

  /** Put a reader (the same or a different, "swapped" one) back on the cable. */
  plug(reader: VirtualReader = this.reader): void {
    this.reader = reader;
    this.present = true;
  }
}
