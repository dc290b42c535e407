import { createInterface } from 'node:readline';
import { createServer, type AddressInfo, type Server } from 'node:net';
import type { Readable, Writable } from 'node:stream';
import type { SensorMode, VirtualReader } from './virtual-reader.js';

export const CONTROL_HELP = [
  'place <finger>        put a virtual finger on the sensor (a finger is any name, e.g. alice-r-index)',
  'lift                  take the finger off',
  'mode normal|poor|nofinger   sensor behaviour: poor = features too few (0x07), nofinger = always 0x02',
  'library               list stored templates: slot and finger name',
  'status                address, capacity, counts, packet size, baud, mode, finger, LED',
  'notepad <page>        hex dump of notepad page 0..15',
  'silent on|off         stop/resume answering the host (timeouts)',
  'help                  this text',
].join('\n');

/**
 * One control command → one reply. Replies start with "ok" or "err" so scripts can check them;
 * multi-line replies end with a line "." (like SMTP/NNTP).
 */
export function handleControlLine(reader: VirtualReader, line: string): string {
  const [command, ...args] = line.trim().split(/\s+/);
  try {
    switch ((command ?? '').toLowerCase()) {
      case '':
        return '';
      case 'place':
        if (!args[0]) return 'err usage: place <finger>';
        reader.place(args.join(' '));
        return `ok finger ${args.join(' ')} placed`;
      case 'lift':
        reader.lift();
        return 'ok finger lifted';
      case 'mode': {
        const mode = args[0] as SensorMode;
        if (!['normal', 'poor', 'nofinger'].includes(mode)) return 'err usage: mode normal|poor|nofinger';
        reader.setMode(mode);
        return `ok mode ${mode}`;
      }
      case 'library': {
        const rows = reader.library().map((e) => `${e.slot} ${e.finger}`);
        return [`ok ${rows.length} template(s), capacity ${reader.capacity}`, ...rows, '.'].join('\n');
      }
      case 'status': {
        const s = reader.status();
        return [
          'ok',
          `address ${s.address.toString(16).padStart(8, '0')}`,
          `password ${s.passwordSet ? 'set' : 'default'}${s.passwordVerified ? ' (verified)' : ''}`,
          `capacity ${s.capacity} templates ${s.templateCount} template-size ${s.templateSize}`,
          `packet-size ${s.packetSize} baud ${s.baudRate} security-level ${s.securityLevel} inter-byte-timeout ${s.interByteTimeoutMs}`,
          `mode ${s.mode} finger ${s.finger ?? '-'}`,
          `led ${s.led ? `control ${s.led.control} colour ${s.led.colour} speed ${s.led.speed} count ${s.led.count}` : '-'}`,
          '.',
        ].join('\n');
      }
      case 'notepad': {
        const page = Number(args[0]);
        if (!Number.isInteger(page) || page < 0 || page > 15) return 'err usage: notepad <0..15>';
        return `ok ${reader.notepadPage(page).toString('hex')}`;
      }
      case 'silent':
        if (args[0] !== 'on' && args[0] !== 'off') return 'err usage: silent on|off';
        reader.silent = args[0] === 'on';
        return `ok silent ${args[0]}`;
      case 'help':
        return `ok\n${CONTROL_HELP}\n.`;
      default:
        return `err unknown command "${command}" (try help)`;
    }
  } catch (err) {
    return `err ${(err as Error).message}`;
  }
}

/** Serve the control protocol on a line stream (stdin/stdout or a socket). */
export function serveControl(reader: VirtualReader, input: Readable, output: Writable): void {
  const rl = createInterface({ input, terminal: false });
  rl.on('line', (line) => {
    const reply = handleControlLine(reader, line);
    if (reply) output.write(`${reply}\n`);
  });
}

/** The control protocol on TCP, one line per command (`nc 127.0.0.1 <port>`). */
export async function listenControl(reader: VirtualReader, port: number, host = '127.0.0.1'): Promise<{ server: Server; port: number }> {
  const server = createServer((socket) => {
    socket.on('error', () => undefined);
    serveControl(reader, socket, socket);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return { server, port: (server.address() as AddressInfo).port };
}
