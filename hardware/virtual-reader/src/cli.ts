import { Command, InvalidArgumentError } from 'commander';
import type { Server } from 'node:net';
import { handleControlLine, listenControl, serveControl } from './control.js';
import { VirtualReaderSerialAttachment } from './serial.attachment.js';
import { VirtualReaderTcpServer } from './tcp.attachment.js';
import { R503_TIMING } from './module-timing.js';
import { VirtualReader } from './virtual-reader.js';

function int(value: string): number {
  const n = value.startsWith('0x') ? parseInt(value.slice(2), 16) : Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`"${value}" is not a non-negative integer`);
  return n;
}

function hex32(value: string): number {
  if (!/^(0x)?[0-9a-f]{1,8}$/i.test(value)) throw new InvalidArgumentError(`"${value}" is not a 32-bit hex value`);
  return parseInt(value.replace(/^0x/i, ''), 16) >>> 0;
}

interface CliOptions {
  serial?: string;
  tcp?: string;
  controlPort?: number;
  stdin: boolean;
  flash?: string;
  capacity: number;
  templateSize: number;
  packetSize: number;
  address?: number;
  password?: number;
  serialNumber: string;
  pace?: boolean;
  moduleTiming?: boolean;
  readyByte?: boolean;
  seed?: number;
  finger?: string;
  image: string;
  interByteTimeout?: number;
}

export interface RunningSimulator {
  reader: VirtualReader;
  /** `tcp://host:port` when listening on TCP. */
  tcpUrl?: string;
  controlPort?: number;
  close(): Promise<void>;
}

function buildProgram(): Command {
  return new Command()
    .name('sim:reader')
    .description('Virtual R503-class fingerprint reader speaking the ZhianTec serial protocol')
    .option('--serial <path>', 'attach to a serial device, e.g. one end of a socat pty pair')
    .option('--tcp <[host:]port>', 'listen as a raw-TCP serial device server, e.g. 127.0.0.1:5001')
    .option('--control-port <port>', 'also serve the control protocol on this TCP port', int)
    .option('--no-stdin', 'do not read control commands from stdin')
    .option('--flash <file>', 'JSON file standing in for the module flash (library, notepad, password)')
    .option('--capacity <n>', 'library capacity', int, 200)
    .option('--template-size <bytes>', 'template size reported by ReadProdInfo', int, 1536)
    .option('--packet-size <bytes>', 'initial packet size 32/64/128/256', int, 128)
    .option('--address <hex>', 'initial module address', hex32)
    .option('--password <hex>', 'initial module password', hex32)
    .option('--serial-number <text>', 'serial number in ReadProdInfo', 'VR000001')
    .option('--pace', 'emulate wire speed at the module baud rate (57600 by default)')
    .option('--module-timing', "take the R503 datasheet's processing times (capture, extraction, search per template) before answering")
    .option('--ready-byte', 'send the R503 0x55 ready byte when a host attaches')
    .option('--seed <n>', 'seed for capture noise', int)
    .option('--finger <name>', 'start with this finger on the sensor')
    .option('--image <WxH>', 'UpImage geometry (R503 192x192; ZFM/pyfingerprint 256x288)', '192x192')
    .option('--inter-byte-timeout <ms>', 'drop a partly received frame after this much silence (default 100; 0 waits forever)', int);
}

/**
 * Parse `argv` (without node and script), start the simulator and return handles to stop it.
 * `log` receives the human-readable startup lines.
 */
export async function runSimulator(argv: string[], log: (line: string) => void = () => undefined): Promise<RunningSimulator> {
  const program = buildProgram().exitOverride();
  program.parse(argv, { from: 'user' });
  const opts = program.opts<CliOptions>();
  if (!opts.serial && !opts.tcp) throw new Error('give --serial <path> or --tcp <[host:]port>');
  const image = /^(\d+)x(\d+)$/.exec(opts.image);
  if (!image) throw new Error(`--image must look like 192x192, got "${opts.image}"`);

  const reader = new VirtualReader({
    flashPath: opts.flash,
    capacity: opts.capacity,
    templateSize: opts.templateSize,
    packetSize: opts.packetSize,
    address: opts.address,
    password: opts.password,
    serialNumber: opts.serialNumber,
    pace: opts.pace,
    timing: opts.moduleTiming ? R503_TIMING : undefined,
    readyByte: opts.readyByte,
    seed: opts.seed,
    imageWidth: Number(image[1]),
    imageHeight: Number(image[2]),
    interByteTimeoutMs: opts.interByteTimeout,
  });
  if (opts.finger) reader.place(opts.finger);

  const closers: Array<() => Promise<void>> = [];
  const running: RunningSimulator = {
    reader,
    close: async () => {
      await Promise.allSettled(closers.splice(0).map((c) => c()));
    },
  };
  try {
    if (opts.serial) {
      const attachment = new VirtualReaderSerialAttachment(reader);
      await attachment.open(opts.serial);
      closers.push(() => attachment.close());
      log(
        `virtual-reader: attached to ${opts.serial} at ${reader.baudRate} baud${opts.pace ? ' (paced)' : ''}${opts.moduleTiming ? ' (R503 module timing)' : ''}`,
      );
    }
    if (opts.tcp) {
      const split = opts.tcp.lastIndexOf(':');
      const [host, port] = split >= 0 ? [opts.tcp.slice(0, split), opts.tcp.slice(split + 1)] : ['127.0.0.1', opts.tcp];
      const server = new VirtualReaderTcpServer(reader);
      const portNumber = Number(port);
      if (!Number.isInteger(portNumber) || portNumber < 0 || portNumber > 65535) throw new Error(`--tcp port "${port}" is not a TCP port`);
      const bound = await server.listen(portNumber, host);
      closers.push(() => server.close());
      running.tcpUrl = bound.url;
      log(`virtual-reader: listening on ${bound.url}${opts.pace ? ` (paced at ${reader.baudRate} baud)` : ''}`);
    }
    if (opts.controlPort !== undefined) {
      const control: { server: Server; port: number } = await listenControl(reader, opts.controlPort);
      closers.push(() => new Promise<void>((resolve) => control.server.close(() => resolve())));
      running.controlPort = control.port;
      log(`virtual-reader: control protocol on tcp://127.0.0.1:${control.port}`);
    }
    if (opts.stdin) {
      serveControl(reader, process.stdin, process.stdout);
      log('virtual-reader: control commands on stdin (help for the list)');
    }
  } catch (err) {
    await running.close();
    throw err;
  }
  log(handleControlLine(reader, 'status'));
  return running;
}
