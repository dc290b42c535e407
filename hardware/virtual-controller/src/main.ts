/**
 * Virtual door controller process: `npm run sim:controller -- --url mqtt://127.0.0.1:18830 --id ctl-1 ...`
 * (hardware/virtual-controller/README.md). Credentials may come from the environment so they do
 * not show up in `ps`: ACS_CONTROLLER_PASSWORD, ACS_CONTROLLER_SECRET.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createInterface } from 'node:readline';
import { VirtualController } from './virtual-controller.js';
import { CONTROL_HELP, handleControlLine, startControlServer } from './control-interface.js';

const USAGE = `usage: sim:controller -- --id <controllerId> [--url mqtt://127.0.0.1:18830] [--password <pw>] [--secret <hex|base64>]
       [--doors 1] [--max-skew-ms 30000] [--held-open-ms 30000] [--rex-unlock-ms 5000] [--control-port <port>]
       [--ca <pem file> (mqtts with a private CA)] [--quiet]
env:   ACS_CONTROLLER_PASSWORD, ACS_CONTROLLER_SECRET (used when the flags are absent)
stdin / control port commands:
${CONTROL_HELP}`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      url: { type: 'string', default: 'mqtt://127.0.0.1:18830' },
      id: { type: 'string' },
      password: { type: 'string' },
      secret: { type: 'string' },
      doors: { type: 'string', default: '1' },
      'max-skew-ms': { type: 'string', default: '30000' },
      'held-open-ms': { type: 'string', default: '30000' },
      'rex-unlock-ms': { type: 'string', default: '5000' },
      'control-port': { type: 'string' },
      ca: { type: 'string' },
      quiet: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  const password = values.password ?? process.env.ACS_CONTROLLER_PASSWORD;
  const secret = values.secret ?? process.env.ACS_CONTROLLER_SECRET;
  if (values.help || !values.id || !secret) {
    console.log(USAGE);
    process.exitCode = values.help ? 0 : 2;
    return;
  }
  const quiet = values.quiet;
  const controller = new VirtualController({
    url: values.url,
    controllerId: values.id,
    password,
    secret: parseSecret(secret),
    doors: Number(values.doors),
    maxSkewMs: Number(values['max-skew-ms']),
    heldOpenMs: Number(values['held-open-ms']),
    rexUnlockMs: Number(values['rex-unlock-ms']),
    ca: values.ca ? readFileSync(values.ca) : undefined,
    log: quiet ? undefined : (line) => console.log(`[${values.id}] ${line}`),
  });
  if (!quiet) {
    controller.on('event', (e) => console.log(`[${values.id}] event #${e.seq} ${e.type}${e.door ? ` door ${e.door}` : ''}${e.detail ? ` ${e.detail}` : ''}`));
    controller.on('command', (c) => c.cmd !== 'ack-events' && console.log(`[${values.id}] command ${c.cmd}`));
  }
  await controller.start();
  let control: Awaited<ReturnType<typeof startControlServer>> | undefined;
  if (values['control-port'] !== undefined) {
    control = await startControlServer(controller, Number(values['control-port']));
    console.log(`control-port=${control.port}`);
  }
  console.log(`ready controller=${controller.controllerId} doors=${controller.doorStates().length}`);

  const rl = createInterface({ input: process.stdin, terminal: false });
  rl.on('line', (line) => {
    const out = handleControlLine(controller, line);
    if (out) console.log(out);
  });

  const shutdown = async (kill: boolean): Promise<void> => {
    rl.close();
    await control?.close();
    await (kill ? controller.kill() : controller.stop());
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown(false));
  process.once('SIGTERM', () => void shutdown(false));
  // SIGUSR2: drop the connection without DISCONNECT, so the broker publishes the last will (crash drill).
  process.once('SIGUSR2', () => void shutdown(true));
}

main().catch((err: Error) => {
  console.error(`virtual controller failed: ${err.message}`);
  process.exit(1);
});

/**
 * The server hands out signing secrets in base64 (POST /controllers); hex is accepted too. A
 * 32-byte secret is 64 hex or 44 base64 characters, so the two cannot be confused.
 */
function parseSecret(text: string): Buffer {
  return /^(?:[0-9a-fA-F]{2}){16,}$/.test(text) ? Buffer.from(text, 'hex') : Buffer.from(text, 'base64');
}
