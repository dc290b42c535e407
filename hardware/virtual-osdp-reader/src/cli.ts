import { Command, InvalidArgumentError } from 'commander';
import type { Server } from 'node:net';
import { handleControlLine, listenControl, serveControl } from './control.js';
import { VirtualOsdpSerialAttachment } from './serial.attachment.js';
import { VirtualOsdpTcpServer } from './tcp.attachment.js';
import { VirtualOsdpBus } from './virtual-osdp-bus.js';
import type { VirtualPdOptions } from './pd-model.js';

function int(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`"${value}" is not a non-negative integer`);
  return n;
}

function key(value: string): Buffer {
  if (!/^[0-9a-f]{32}$/i.test(value)) throw new InvalidArgumentError('an SCBK is 32 hex digits (16 bytes)');
  return Buffer.from(value, 'hex');
}

interface PdSpec {
  address: number;
  scbk?: Buffer;
  installMode?: boolean;
}

/** `1`, `2:install`, `3:<32 hex digits>` (the libosdp harness's spelling). */
function pdSpec(value: string, previous: PdSpec[] = []): PdSpec[] {
  const [address, extra] = value.split(':');
  const n = int(address);
  if (n > 126) throw new InvalidArgumentError('a PD address is 0..126');
  const spec: PdSpec = { address: n };
  if (extra === 'install') spec.installMode = true;
  else if (extra !== undefined) spec.scbk = key(extra);
  return [...previous, spec];
}

interface CliOptions {
  serial?: string;
  tcp?: string;
  controlPort?: number;
  stdin: boolean;
  address?: PdSpec[];
  scbk?: Buffer;
  installMode?: boolean;
  requireSecure?: boolean;
  baud: number;
  state?: string;
  interByteTimeout?: number;
}

export interface RunningOsdpSimulator {
  bus: VirtualOsdpBus;
  /** `tcp://host:port` when listening on TCP. */
  tcpUrl?: string;
  controlPort?: number;
  close(): Promise<void>;
}

function buildProgram(): Command {
  return new Command()
    .name('sim:osdp')
    .description('Virtual OSDP v2.2 card readers (PDs with keypad, LED, buzzer, text, tamper) on one RS-485 line')
    .option('--serial <path>', 'attach to a serial device, e.g. one end of a socat pty pair')
    .option('--tcp <[host:]port>', 'listen as a raw-TCP serial device server, e.g. 127.0.0.1:5003')
    .option('--control-port <port>', 'also serve the control protocol on this TCP port', int)
    .option('--no-stdin', 'do not read control commands from stdin')
    .option('--address <addr[:install|:scbk-hex]>', 'a PD on the line (repeat for several)', pdSpec)
    .option('--scbk <hex>', 'SCBK of every PD without its own (none: the PDs start in install mode)', key)
    .option('--install-mode', 'accept the default key SCBK-D (until KEYSET sets a new key)')
    .option('--require-secure', 'answer only ID, CAP, CHLNG and SCRYPT outside a secure channel (NAK 6)')
    .option('--baud <rate>', 'line speed', int, 9600)
    .option('--state <file>', "JSON file standing in for the PDs' non-volatile memory (keys set by KEYSET, COMSET)")
    .option('--inter-byte-timeout <ms>', 'drop a partly received packet after this much silence (default 20)', int);
}

/** Parse `argv` (without node and script), start the simulator and return handles to stop it. */
export async function runOsdpSimulator(argv: string[], log: (line: string) => void = () => undefined): Promise<RunningOsdpSimulator> {
  const program = buildProgram().exitOverride();
  program.parse(argv, { from: 'user' });
  const opts = program.opts<CliOptions>();
  if (!opts.serial && !opts.tcp) throw new Error('give --serial <path> or --tcp <[host:]port>');
  const specs = opts.address ?? [{ address: 1 }];
  const pds: Array<Omit<VirtualPdOptions, 'clock' | 'random' | 'store'>> = specs.map((s) => ({
    address: s.address,
    baudRate: opts.baud,
    scbk: s.scbk ?? opts.scbk ?? null,
    installMode: s.installMode ?? opts.installMode,
    requireSecure: opts.requireSecure,
  }));
  const bus = new VirtualOsdpBus({ pds, statePath: opts.state, interByteTimeoutMs: opts.interByteTimeout || undefined });
  bus.on('log', (line: string) => log(`virtual-osdp: ${line}`));

  const closers: Array<() => Promise<void>> = [];
  const running: RunningOsdpSimulator = { bus, close: async () => void (await Promise.allSettled(closers.splice(0).map((c) => c()))) };
  try {
    if (opts.serial) {
      const attachment = new VirtualOsdpSerialAttachment(bus);
      await attachment.open(opts.serial, opts.baud);
      closers.push(() => attachment.close());
      log(`virtual-osdp: ${bus.pds.length} PD(s) attached to ${opts.serial} at ${opts.baud} baud`);
    }
    if (opts.tcp) {
      const split = opts.tcp.lastIndexOf(':');
      const [host, port] = split >= 0 ? [opts.tcp.slice(0, split), opts.tcp.slice(split + 1)] : ['127.0.0.1', opts.tcp];
      const portNumber = Number(port);
      if (!Number.isInteger(portNumber) || portNumber < 0 || portNumber > 65535) throw new Error(`--tcp port "${port}" is not a TCP port`);
      const server = new VirtualOsdpTcpServer(bus);
      const bound = await server.listen(portNumber, host);
      closers.push(() => server.close());
      running.tcpUrl = bound.url;
      log(`virtual-osdp: ${bus.pds.length} PD(s) listening on ${bound.url}`);
    }
    if (opts.controlPort !== undefined) {
      const control: { server: Server; port: number } = await listenControl(bus, opts.controlPort);
      closers.push(() => new Promise<void>((resolve) => control.server.close(() => resolve())));
      running.controlPort = control.port;
      log(`virtual-osdp: control protocol on tcp://127.0.0.1:${control.port}`);
    }
    if (opts.stdin) {
      serveControl(bus, process.stdin, process.stdout);
      log('virtual-osdp: control commands on stdin (help for the list)');
    }
  } catch (err) {
    await running.close();
    throw err;
  }
  log(handleControlLine(bus, 'status'));
  return running;
}
