/**
 * Virtual door controllers in a process of their own, for the badge-in benchmarks.
 *
 * A door controller is a device of its own on the network; run inside the server's process, the
 * virtual ones verified every signed command and parsed every MQTT packet on the event loop that
 * also decides the badge-ins, so with 50 readers badging at once the figure measured the
 * controllers' work as much as the server's. Here they run in a child process (forked from this
 * file) and report each unlock's arrival with the instant it arrived, on the monotonic clock both
 * processes share (process.hrtime is CLOCK_MONOTONIC on Linux, libuv's uv_hrtime), converted to
 * the parent's performance.now().
 */
import { fork, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { fileURLToPath } from 'node:url';
import { FakeClock } from '@acs/clock';
import { VirtualController } from '../../hardware/virtual-controller/src/virtual-controller.js';

export interface ControllerSpec {
  controllerId: string;
  password: string;
  /** base64 */
  secret: string;
  doors: number;
}

type ToChild = { type: 'start'; url: string; clockMs: number; controllers: ControllerSpec[] } | { type: 'stop' };
type ToParent =
  | { type: 'started' }
  | { type: 'stopped' }
  | { type: 'failed'; error: string }
  | { type: 'command'; controllerId: string; cmd: string; door?: number; at: number };

const hrMs = (): number => Number(process.hrtime.bigint()) / 1e6;

/** One controller of the child, as the benchmarks watch it: 'command' (cmd, at) with `at` on this process's performance.now(). */
export class RemoteController extends EventEmitter {
  constructor(readonly controllerId: string) {
    super();
  }
}

export class ControllerProcess {
  readonly controllers: RemoteController[];

  private constructor(
    private readonly child: ChildProcess,
    specs: ControllerSpec[],
  ) {
    this.controllers = specs.map((s) => new RemoteController(s.controllerId));
    const byId = new Map(this.controllers.map((c) => [c.controllerId, c]));
    child.on('message', (m: ToParent) => {
      if (m.type !== 'command') return;
      // Both clocks are monotonic from the same source; their difference is taken now, once per message.
      const offset = hrMs() - performance.now();
      byId.get(m.controllerId)?.emit('command', { cmd: m.cmd, door: m.door }, m.at - offset);
    });
  }

  /** `clockMs`: the server's (fake) clock, which the controllers' freshness check compares commands with. */
  static async start(url: string, clockMs: number, specs: ControllerSpec[]): Promise<ControllerProcess> {
    const child = fork(fileURLToPath(import.meta.url), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const started = new Promise<void>((resolve, reject) => {
      const onMessage = (m: ToParent) => {
        if (m.type === 'started') resolve();
        else if (m.type === 'failed') reject(new Error(`controller process: ${m.error}`));
        else return;
        child.off('message', onMessage);
      };
      child.on('message', onMessage);
      child.once('exit', (code, signal) => reject(new Error(`controller process exited (${code ?? signal}) while starting`)));
    });
    child.send({ type: 'start', url, clockMs, controllers: specs } satisfies ToChild);
    await started;
    return new ControllerProcess(child, specs);
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.send({ type: 'stop' } satisfies ToChild);
    const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(killer);
  }
}

/** The child: started by fork() above (it has an IPC channel; an import from the parent has one too, so check the argv). */
if (process.send && process.argv[1] === fileURLToPath(import.meta.url)) {
  const send = (m: ToParent) => process.send!(m);
  let running: VirtualController[] = [];
  process.on('message', (m: ToChild) => {
    if (m.type === 'start') {
      const clock = new FakeClock(m.clockMs);
      running = m.controllers.map((s) => {
        const vc = new VirtualController({
          url: m.url,
          controllerId: s.controllerId,
          password: s.password,
          secret: Buffer.from(s.secret, 'base64'),
          doors: s.doors,
          clock,
          reconnectPeriodMs: 100,
        });
        vc.on('command', (cmd: { cmd: string; door?: number }) => {
          const at = hrMs();
          send({ type: 'command', controllerId: s.controllerId, cmd: cmd.cmd, door: cmd.door, at });
        });
        return vc;
      });
      Promise.all(running.map((c) => c.start())).then(
        () => send({ type: 'started' }),
        (err: Error) => send({ type: 'failed', error: err.message }),
      );
    } else if (m.type === 'stop') {
      void Promise.allSettled(running.map((c) => c.stop())).then(() => process.exit(0));
    }
  });
  // The parent gone (a failed benchmark killed): nothing keeps this process for ever.
  process.on('disconnect', () => process.exit(0));
}
