import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo, connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderMosquittoAuth, type MosquittoAuthInput } from '../mosquitto-auth.js';
import { setTimeout as sleep } from 'node:timers/promises';

/** Debian's mosquitto package puts the broker here (.ci/run installs it). */
export const MOSQUITTO_BIN = '/usr/sbin/mosquitto';

export interface MosquittoInstance {
  port: number;
  url: string;
  dir: string;
  process: ChildProcess;
  /** Everything mosquitto logged (connection refusals, ACL denials at `log_type all`). */
  log(): string;
  /** New password and ACL files (controllers registered since the start), applied with SIGHUP as an operator would. */
  reload(auth: MosquittoAuthInput): Promise<void>;
  /** Stops the broker (SIGTERM, as `systemctl restart` does) and starts it again on the same port and files. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** A free TCP port on 127.0.0.1 (bind 0, read, release). */
export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen({ host: '127.0.0.1', port: 0 }, () => r()));
  const { port } = srv.address() as AddressInfo;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

async function waitForPort(port: number, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`mosquitto exited with ${child.exitCode}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = netConnect({ host: '127.0.0.1', port }, () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`mosquitto did not listen on ${port} within ${timeoutMs} ms`);
    await sleep(25);
  }
}

/**
 * Starts a private Mosquitto on a free loopback port with the password and ACL files that
 * `acsctl mqtt:acl` would print (renderMosquittoAuth), anonymous access off, client id bound to
 * the username, TCP_NODELAY on and no persistence.
 */
export async function startMosquitto(auth: MosquittoAuthInput, extraConfig: string[] = []): Promise<MosquittoInstance> {
  const dir = await mkdtemp(join(tmpdir(), 'acs-mosquitto-'));
  const port = await freePort();
  const { passwordFile, aclFile } = renderMosquittoAuth(auth);
  await writeFile(join(dir, 'passwd'), passwordFile, { mode: 0o600 });
  await writeFile(join(dir, 'acl'), aclFile, { mode: 0o600 });
  const conf = [
    `listener ${port} 127.0.0.1`,
    'allow_anonymous false',
    `password_file ${join(dir, 'passwd')}`,
    `acl_file ${join(dir, 'acl')}`,
    'use_username_as_clientid true',
    'set_tcp_nodelay true',
    'persistence false',
    // Running as root in CI containers: keep the user so the 0600 files stay readable.
    ...(process.getuid?.() === 0 ? ['user root'] : []),
    'log_dest stderr',
    'log_type all',
    ...extraConfig,
  ];
  await writeFile(join(dir, 'mosquitto.conf'), `${conf.join('\n')}\n`);
  let log = '';
  const launch = async (): Promise<ChildProcess> => {
    const proc = spawn(MOSQUITTO_BIN, ['-c', join(dir, 'mosquitto.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
    proc.stderr!.on('data', (d: Buffer) => (log += d.toString()));
    try {
      await waitForPort(port, proc, 5000);
    } catch (err) {
      proc.kill('SIGKILL');
      throw err;
    }
    return proc;
  };
  let child: ChildProcess;
  try {
    child = await launch();
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw new Error(`${(err as Error).message}\n${log}`, { cause: err });
  }
  const terminate = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      await exited;
    }
  };
  return {
    port,
    url: `mqtt://127.0.0.1:${port}`,
    dir,
    get process() {
      return child;
    },
    log: () => log,
    reload: async (next: MosquittoAuthInput) => {
      const files = renderMosquittoAuth(next);
      await writeFile(join(dir, 'passwd'), files.passwordFile, { mode: 0o600 });
      await writeFile(join(dir, 'acl'), files.aclFile, { mode: 0o600 });
      const before = log.length;
      child.kill('SIGHUP');
      // Mosquitto logs the reload; wait for it so the next CONNECT meets the new files.
      const deadline = Date.now() + 5000;
      while (!/Reloading config/i.test(log.slice(before)) && Date.now() < deadline) await sleep(20);
    },
    restart: async () => {
      await terminate();
      child = await launch();
    },
    stop: async () => {
      await terminate();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Runs a mosquitto client tool (mosquitto_pub / mosquitto_sub) and resolves with its output. */
export function runMosquittoTool(
  tool: 'mosquitto_pub' | 'mosquitto_sub',
  args: string[],
  timeoutMs = 5000,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(`/usr/bin/${tool}`, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
