import { afterEach, describe, expect, it } from '@jest/globals';
import { connect, type Socket } from 'node:net';
import { decodePacket, decodeReply, encodeCommand, encodePacket, NakCode } from '@acs/osdp';
import { runOsdpSimulator, type RunningOsdpSimulator } from './cli.js';

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

function reply(socket: Socket): Promise<Buffer> {
  return new Promise((resolve) => socket.once('data', (d: Buffer) => resolve(d)));
}

describe('sim:osdp CLI', () => {
  let sim: RunningOsdpSimulator | undefined;
  let socket: Socket | undefined;
  afterEach(async () => {
    socket?.destroy();
    await sim?.close();
    sim = socket = undefined;
  });

  it('serves the PDs on TCP, --require-secure refuses a plain POLL, and the control port drives them', async () => {
    const lines: string[] = [];
    sim = await runOsdpSimulator(
      ['--tcp', '127.0.0.1:0', '--control-port', '0', '--no-stdin', '--address', '1', '--address', '2:install', '--require-secure'],
      (l) => lines.push(l),
    );
    expect(lines[0]).toBe(`virtual-osdp: 2 PD(s) listening on ${sim.tcpUrl}`);
    expect(lines.at(-1)).toMatch(/^ok\npd 1 serial 56500001 baud 9600 offline sequence -\n {2}secure off install-mode on require-secure on key none\n/);

    const url = new URL(sim.tcpUrl!);
    socket = connect(Number(url.port), url.hostname);
    await new Promise((r) => socket!.once('connect', r));
    const { code, data } = encodeCommand({ kind: 'POLL' });
    const answer = reply(socket);
    socket.write(encodePacket({ direction: 'command', address: 2, sequence: 0, code, data }));
    const decoded = decodePacket(await answer, { direction: 'reply' });
    if (decoded.kind !== 'ok') throw new Error(decoded.kind);
    expect(decoded.packet.address).toBe(2);
    expect(decodeReply(decoded.packet.code, decoded.packet.data)).toMatchObject({ ok: true, value: { kind: 'NAK', error: NakCode.SecurityCondition } });

    await expect(control(sim.controlPort!, 'busy 1 on')).resolves.toBe('ok pd 1 busy on');
    await expect(control(sim.controlPort!, 'power 1 fail')).resolves.toBe('ok pd 1 power fail');
    await expect(control(sim.controlPort!, 'status 1')).resolves.toMatch(/tamper off power fail busy on pending-events 1/);
    await expect(control(sim.controlPort!, 'card 9 raw 00 8')).resolves.toBe('err no PD at address "9"');
    await expect(control(sim.controlPort!, 'keys 1 12ab')).resolves.toBe('err keys are 1..32 of 0-9 * #');
    await expect(control(sim.controlPort!, 'card 1 raw 0102 8')).resolves.toBe('err card data must be 1 bytes for 8 bits');
    await expect(control(sim.controlPort!, 'card 1 wiegand26 1 99999')).resolves.toBe('err card number must be 0..65535');
    await expect(control(sim.controlPort!, 'fly')).resolves.toBe('err unknown command "fly" (try help)');
  });

  it('refuses to start without somewhere to attach or with a malformed key', async () => {
    await expect(runOsdpSimulator(['--no-stdin'])).rejects.toThrow('give --serial <path> or --tcp <[host:]port>');
    await expect(runOsdpSimulator(['--tcp', '0', '--no-stdin', '--address', '1:abcd'])).rejects.toThrow('an SCBK is 32 hex digits');
    await expect(runOsdpSimulator(['--tcp', '0', '--no-stdin', '--address', '1', '--address', '1'])).rejects.toThrow('share an address');
  });
});
