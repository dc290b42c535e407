import { createServer, type AddressInfo, type Server } from 'node:net';
import { createInterface } from 'node:readline';
import type { VirtualController } from './virtual-controller.js';

export const CONTROL_HELP = [
  'open <door>      door contact opens (forced-open if the strike is locked)',
  'close <door>     door contact closes',
  'rex <door>       press the request-to-exit button',
  'tamper           enclosure tamper switch',
  'power <mains|battery>  power source changed',
  'status           doors, connection, event counters',
  'help             this list',
].join('\n');

/**
 * One line in, one line out (multi-line only for help): `ok ...` or `error ...`. Used by the
 * simulator's stdin and its line-based TCP control port (hardware/virtual-controller/README.md).
 */
export function handleControlLine(controller: VirtualController, line: string): string {
  const [verb, arg, ...rest] = line.trim().split(/\s+/);
  if (!verb) return '';
  if (rest.length > 0) return `error too many arguments; try help`;
  const door = (): number => {
    const n = Number(arg);
    if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`${verb} needs a door number`);
    return n;
  };
  try {
    switch (verb.toLowerCase()) {
      case 'open':
        controller.openDoor(door());
        return `ok door ${door()} open`;
      case 'close':
        controller.closeDoor(door());
        return `ok door ${door()} closed`;
      case 'rex':
        controller.pressExit(door());
        return `ok door ${door()} exit button pressed`;
      case 'tamper':
        controller.tamper();
        return 'ok tamper';
      case 'power':
        if (arg !== 'mains' && arg !== 'battery') return 'error power needs mains or battery';
        controller.power(arg);
        return `ok power ${arg}`;
      case 'status':
        return `ok ${JSON.stringify({
          controllerId: controller.controllerId,
          connected: controller.connected,
          epoch: controller.epoch,
          lastSeq: controller.lastSeq,
          pendingEvents: controller.pendingEvents,
          doors: controller.doorStates(),
          stats: controller.stats,
        })}`;
      case 'help':
        return CONTROL_HELP;
      default:
        return `error unknown command ${JSON.stringify(verb)}; try help`;
    }
  } catch (err) {
    return `error ${(err as Error).message}`;
  }
}

/** Line-based TCP control port on 127.0.0.1 (never exposed: it can open doors' contacts). */
export async function startControlServer(controller: VirtualController, port = 0): Promise<{ server: Server; port: number; close(): Promise<void> }> {
  const server = createServer((sock) => {
    const rl = createInterface({ input: sock });
    rl.on('line', (line) => {
      const out = handleControlLine(controller, line);
      if (out) sock.write(`${out}\n`);
    });
    sock.on('error', () => sock.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port }, () => resolve());
  });
  const sockets = new Set<import('node:net').Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
