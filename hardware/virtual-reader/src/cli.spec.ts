import { afterEach, describe, expect, it } from '@jest/globals';
import { connect } from 'node:net';
import { FingerprintReader } from '@acs/fingerprint';
import { runSimulator, type RunningSimulator } from './cli.js';

function control(port: number, line: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    socket.on('data', (d) => {
      text += d.toString();
      if (/^(ok|err)[^\n]*\n$/.test(text) || text.endsWith('\n.\n')) {
        socket.end();
        resolve(text.trimEnd());
      }
    });
    socket.on('error', reject);
    socket.write(`${line}\n`);
  });
}

describe('sim:reader CLI', () => {
  let sim: RunningSimulator | undefined;
  let reader: FingerprintReader | undefined;
  afterEach(async () => {
    await reader?.close();
    await sim?.close();
    reader = sim = undefined;
  });

  it('serves the module on TCP and the control protocol on its own port', async () => {
    const lines: string[] = [];
    sim = await runSimulator(['--tcp', '127.0.0.1:0', '--control-port', '0', '--no-stdin', '--capacity', '5', '--finger', 'walter'], (l) => lines.push(l));
    expect(lines[0]).toBe(`virtual-reader: listening on ${sim.tcpUrl}`);
    reader = new FingerprintReader({ path: sim.tcpUrl!, commandTimeoutMs: 300 });
    await reader.open();
    expect(reader.info?.capacity).toBe(5);
    await reader.captureFinger(1, { timeoutMs: 500 });
    await expect(reader.storeInFreeSlot(1)).resolves.toBe(0);

    await expect(control(sim.controlPort!, 'library')).resolves.toBe('ok 1 template(s), capacity 5\n0 walter\n.');
    await expect(control(sim.controlPort!, 'lift')).resolves.toBe('ok finger lifted');
    await expect(reader.captureImage()).resolves.toBe(false);
  });

  it('takes the inter-byte timeout from --inter-byte-timeout and shows it in status', async () => {
    const lines: string[] = [];
    sim = await runSimulator(['--tcp', '127.0.0.1:0', '--no-stdin', '--inter-byte-timeout', '0'], (l) => lines.push(l));
    expect(sim.reader.status().interByteTimeoutMs).toBe(0);
    expect(lines.at(-1)).toMatch(/inter-byte-timeout 0\n/);
    await sim.close();
    sim = await runSimulator(['--tcp', '127.0.0.1:0', '--no-stdin']);
    expect(sim.reader.status().interByteTimeoutMs).toBe(100);
  });

  it('refuses to start without somewhere to attach', async () => {
    await expect(runSimulator(['--no-stdin'])).rejects.toThrow('give --serial <path> or --tcp <[host:]port>');
    await expect(runSimulator(['--tcp', '0', '--no-stdin', '--image', 'big'])).rejects.toThrow('--image must look like 192x192');
  });
});
