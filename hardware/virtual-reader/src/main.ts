import { Command, InvalidArgumentError } from 'commander';
import { handleControlLine, listenControl, serveControl } from './control.js';
import { VirtualReaderSerialAttachment } from './serial.attachment.js';
import { VirtualReaderTcpServer } from './tcp.attachment.js';
import { VirtualReader } from './virtual-reader.js';

function int(value: string): number {
  const n = value.startsWith('0x') ? parseInt(value.slice(2), 16) : Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`"${value}" is not a non-negative integer`);
  return n;
}

function hex32(value: string): number {
  const n = parseInt(value.replace(/^0x/i, ''), 16);
  if (!/^(0x)?[0-9a-f]{1,8}$/i.test(value) || Number.isNaN(n)) throw new InvalidArgumentError(`"${value}" is not a 32-bit hex value`);
  return n >>> 0;
}

const program = new Command()
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
  .option('--ready-byte', 'send the R503 0x55 ready byte when a host attaches')
  .option('--seed <n>', 'seed for capture noise', int)
  .option('--finger <name>', 'start with this finger on the sensor')
  .option('--image <WxH>', 'UpImage geometry (R503 192x192; ZFM/pyfingerprint 256x288)', '192x192')
  .parse();

const opts = program.opts<{
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
  readyByte?: boolean;
  seed?: number;
  finger?: string;
  image: string;
}>();

if (!opts.serial && !opts.tcp) {
  program.error('give --serial <path> or --tcp <[host:]port>');
}

const image = /^(\d+)x(\d+)$/.exec(opts.image) ?? program.error(`--image must look like 192x192, got "${opts.image}"`);

const reader = new VirtualReader({
  imageWidth: Number(image[1]),
  imageHeight: Number(image[2]),
  flashPath: opts.flash,
  capacity: opts.capacity,
  templateSize: opts.templateSize,
  packetSize: opts.packetSize,
  address: opts.address,
  password: opts.password,
  serialNumber: opts.serialNumber,
  pace: opts.pace,
  readyByte: opts.readyByte,
  seed: opts.seed,
});
if (opts.finger) reader.place(opts.finger);

const closers: Array<() => Promise<void>> = [];
if (opts.serial) {
  const attachment = new VirtualReaderSerialAttachment(reader);
  await attachment.open(opts.serial);
  closers.push(() => attachment.close());
  console.log(`virtual-reader: attached to ${opts.serial} at ${reader.baudRate} baud${opts.pace ? ' (paced)' : ''}`);
}
if (opts.tcp) {
  const [host, port] = opts.tcp.includes(':') ? [opts.tcp.slice(0, opts.tcp.lastIndexOf(':')), opts.tcp.slice(opts.tcp.lastIndexOf(':') + 1)] : ['127.0.0.1', opts.tcp];
  const server = new VirtualReaderTcpServer(reader);
  const bound = await server.listen(int(port), host);
  closers.push(() => server.close());
  console.log(`virtual-reader: listening on ${bound.url}${opts.pace ? ` (paced at ${reader.baudRate} baud)` : ''}`);
}
if (opts.controlPort !== undefined) {
  const { server, port } = await listenControl(reader, opts.controlPort);
  closers.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  console.log(`virtual-reader: control protocol on tcp://127.0.0.1:${port}`);
}
if (opts.stdin) {
  serveControl(reader, process.stdin, process.stdout);
  console.log('virtual-reader: control commands on stdin (help for the list)');
}
console.log(handleControlLine(reader, 'status'));

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await Promise.allSettled(closers.map((c) => c()));
  process.exit(0);
}
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
