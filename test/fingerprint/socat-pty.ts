import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/** socat's location, or undefined when it isn't installed (CI installs it in .ci/run). */
export function findSocat(): string | undefined {
  for (const candidate of ['/usr/bin/socat', '/usr/local/bin/socat', '/bin/socat']) if (existsSync(candidate)) return candidate;
  const which = spawnSync('which', ['socat'], { encoding: 'utf8' });
  return which.status === 0 && which.stdout.trim() ? which.stdout.trim() : undefined;
}

/**
 * A pseudo-terminal pair joined by socat, like a USB-serial cable with a module on one end:
 * `devicePath` for the virtual reader, `hostPath` for the driver. Killing socat makes both ends
 * vanish, which the host sees as an unplug.
 */
export class PtyPair {
  private child?: ChildProcess;

  constructor(
    private readonly socat: string,
    readonly devicePath: string,
    readonly hostPath: string,
  ) {}

  async start(timeoutMs = 3000): Promise<void> {
    const child = spawn(this.socat, [`pty,raw,echo=0,link=${this.devicePath}`, `pty,raw,echo=0,link=${this.hostPath}`], {
      stdio: 'ignore',
    });
    this.child = child;
    const deadline = Date.now() + timeoutMs;
    while (!(existsSync(this.devicePath) && existsSync(this.hostPath))) {
      if (child.exitCode !== null) throw new Error(`socat exited with ${child.exitCode}`);
      if (Date.now() > deadline) throw new Error('socat did not create the pty links in time');
      await sleep(10);
    }
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  }
}
