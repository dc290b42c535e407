import { createInterface } from 'node:readline';
import { createServer, type AddressInfo, type Server } from 'node:net';
import type { Readable, Writable } from 'node:stream';
import { RawFormat } from '@acs/osdp';
import type { VirtualOsdpBus } from './virtual-osdp-bus.js';
import type { VirtualPd } from './virtual-pd.js';
import { WIEGAND26_BITS, wiegand26 } from './wiegand.js';

export const CONTROL_HELP = [
  'card <addr> raw <hex> <bits>          present a card: its bits, left-justified, e.g. card 1 raw 0246 14',
  'card <addr> wiegand26 <fc> <number>   present an H10301 26-bit card (facility 0-255, number 0-65535)',
  'keys <addr> <0-9*#>                   type keys on the keypad (one osdp_KEYPAD)',
  'tamper <addr> on|off                  tamper switch (osdp_LSTATR at the next poll)',
  'power <addr> ok|fail                  power monitor (osdp_LSTATR at the next poll)',
  'busy <addr> on|off                    answer every command with osdp_BUSY',
  'status [addr]                         address, sequence, secure channel, key fingerprint, LED, buzzer, text',
  'silent on|off                         stop/resume answering the ACU (all PDs)',
  'help                                  this text',
].join('\n');

function statusLines(pd: VirtualPd): string[] {
  const s = pd.status();
  const led = s.leds
    .map((l) => {
      const state = l.temporary ?? l.permanent;
      return state
        ? `led${l.led} ${l.temporary ? 'temporary' : 'permanent'} on-colour ${state.onColour} off-colour ${state.offColour} ${state.onTime}/${state.offTime}`
        : `led${l.led} -`;
    })
    .join(' ');
  return [
    `pd ${s.address} serial ${s.serialNumber.toString(16).padStart(8, '0')} baud ${s.baudRate} ${s.online ? 'online' : 'offline'} sequence ${s.sequence ?? '-'}`,
    `  secure ${s.secure} install-mode ${s.installMode ? 'on' : 'off'} require-secure ${s.requireSecure ? 'on' : 'off'} key ${s.keyFingerprint}`,
    `  tamper ${s.tamper ? 'on' : 'off'} power ${s.powerFailure ? 'fail' : 'ok'} busy ${s.busy ? 'on' : 'off'} pending-events ${s.pendingEvents}`,
    `  ${led} buzzer ${s.buzzer ? `tone ${s.buzzer.tone} ${s.buzzer.onTime}/${s.buzzer.offTime} x${s.buzzer.count}` : '-'}`,
    `  text ${s.text ? JSON.stringify(s.text.text) : '-'}`,
  ];
}

function onOff(value: string | undefined, on: string, off: string): boolean | undefined {
  return value === on ? true : value === off ? false : undefined;
}

/**
 * One control command → one reply, "ok ..." or "err ..."; multi-line replies end with a line "."
 * (as the R503 simulator's control port). Replies never echo a card number or typed keys.
 */
export function handleControlLine(bus: VirtualOsdpBus, line: string): string {
  const [command, ...args] = line.trim().split(/\s+/);
  const verb = (command ?? '').toLowerCase();
  if (verb === '') return '';
  if (verb === 'help') return `ok\n${CONTROL_HELP}\n.`;
  if (verb === 'silent') {
    const on = onOff(args[0], 'on', 'off');
    if (on === undefined) return 'err usage: silent on|off';
    bus.silent = on;
    return `ok silent ${args[0]}`;
  }
  if (verb === 'status' && args.length === 0) return ['ok', ...bus.pds.flatMap(statusLines), '.'].join('\n');
  const pd = bus.pd(Number(args[0]));
  if (!['card', 'keys', 'tamper', 'power', 'busy', 'status'].includes(verb)) return `err unknown command "${command}" (try help)`;
  if (!pd) return `err no PD at address "${args[0] ?? ''}"`;
  try {
    switch (verb) {
      case 'status':
        return ['ok', ...statusLines(pd), '.'].join('\n');
      case 'card': {
        if (args[1] === 'raw') {
          const bits = Number(args[3]);
          if (!/^([0-9a-f]{2})+$/i.test(args[2] ?? '') || !Number.isInteger(bits)) return 'err usage: card <addr> raw <hex> <bits>';
          pd.presentCard(Buffer.from(args[2], 'hex'), bits, RawFormat.Unspecified);
          return `ok card presented to pd ${pd.address} (${bits} bits)`;
        }
        if (args[1] === 'wiegand26') {
          if (!/^\d+$/.test(args[2] ?? '') || !/^\d+$/.test(args[3] ?? '')) return 'err usage: card <addr> wiegand26 <facility> <number>';
          pd.presentCard(wiegand26(Number(args[2]), Number(args[3])), WIEGAND26_BITS, RawFormat.Wiegand);
          return `ok card presented to pd ${pd.address} (${WIEGAND26_BITS} bits, H10301)`;
        }
        return 'err usage: card <addr> raw <hex> <bits> | card <addr> wiegand26 <facility> <number>';
      }
      case 'keys':
        pd.typeKeys(args[1] ?? '');
        return `ok ${(args[1] ?? '').length} key(s) typed on pd ${pd.address}`;
      case 'tamper': {
        const on = onOff(args[1], 'on', 'off');
        if (on === undefined) return 'err usage: tamper <addr> on|off';
        pd.setTamper(on);
        return `ok pd ${pd.address} tamper ${args[1]}`;
      }
      case 'power': {
        const failed = onOff(args[1], 'fail', 'ok');
        if (failed === undefined) return 'err usage: power <addr> ok|fail';
        pd.setPowerFailure(failed);
        return `ok pd ${pd.address} power ${args[1]}`;
      }
      default: {
        const on = onOff(args[1], 'on', 'off');
        if (on === undefined) return 'err usage: busy <addr> on|off';
        pd.busy = on;
        return `ok pd ${pd.address} busy ${args[1]}`;
      }
    }
  } catch (err) {
    // The PD's own errors name lengths and ranges only, never the card bits or the keys.
    return `err ${(err as Error).message}`;
  }
}

/** Serve the control protocol on a line stream (stdin/stdout or a socket). */
export function serveControl(bus: VirtualOsdpBus, input: Readable, output: Writable): void {
  const rl = createInterface({ input, terminal: false });
  rl.on('line', (line) => {
    const reply = handleControlLine(bus, line);
    if (reply) output.write(`${reply}\n`);
  });
}

/** The control protocol on TCP, one line per command (`nc 127.0.0.1 <port>`). */
export async function listenControl(bus: VirtualOsdpBus, port: number, host = '127.0.0.1'): Promise<{ server: Server; port: number }> {
  const server = createServer((socket) => {
    socket.on('error', () => undefined);
    serveControl(bus, socket, socket);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return { server, port: (server.address() as AddressInfo).port };
}
