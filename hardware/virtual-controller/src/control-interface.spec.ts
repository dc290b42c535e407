import { afterEach, describe, expect, it } from '@jest/globals';
import { connect } from 'node:net';
import { createInterface } from 'node:readline';
import { handleControlLine, startControlServer } from './control-interface.js';
import { VirtualController } from './virtual-controller.js';

// Not started: the control interface drives the door model, which works offline (events buffer).
const makeController = (): VirtualController =>
  new VirtualController({ url: 'mqtt://127.0.0.1:1', controllerId: 'ctl-control', secret: Buffer.alloc(32, 1), doors: 2, heldOpenMs: 60_000 });

describe('control interface', () => {
  let controller: VirtualController | undefined;
  afterEach(async () => {
    await controller?.stop();
  });

  it('opens, closes and presses exit by door number, buffering signed events while offline', () => {
    controller = makeController();
    expect(handleControlLine(controller, 'open 2')).toBe('ok door 2 open');
    expect(handleControlLine(controller, 'close 2')).toBe('ok door 2 closed');
    expect(handleControlLine(controller, 'rex 1')).toBe('ok door 1 exit button pressed');
    expect(handleControlLine(controller, 'power battery')).toBe('ok power battery');
    expect(controller.pendingEvents).toBe(5); // forced-open, closed, request-to-exit, unlocked, power
    const status = JSON.parse(handleControlLine(controller, 'status').slice(3)) as { connected: boolean; doors: Array<{ door: number; locked: boolean }> };
    expect(status.connected).toBe(false);
    expect(status.doors.map((d) => d.locked)).toEqual([false, true]);
  });

  it.each([
    ['open', 'error open needs a door number'],
    ['open 3', 'error no door 3 (this controller has 2)'],
    ['open 1 2', 'error too many arguments; try help'],
    ['power solar', 'error power needs mains or battery'],
    ['unlock 1', 'error unknown command "unlock"; try help'],
  ])('answers %j with %j', (line, answer) => {
    controller = makeController();
    expect(handleControlLine(controller, line)).toBe(answer);
  });

  it('serves the same commands line by line over TCP on loopback', async () => {
    controller = makeController();
    const server = await startControlServer(controller, 0);
    const sock = connect({ host: '127.0.0.1', port: server.port });
    const lines = createInterface({ input: sock });
    const next = (): Promise<string> => new Promise((resolve) => lines.once('line', resolve));
    try {
      sock.write('open 1\n');
      await expect(next()).resolves.toBe('ok door 1 open');
      sock.write('bogus\n');
      await expect(next()).resolves.toBe('error unknown command "bogus"; try help');
    } finally {
      sock.destroy();
      await server.close();
    }
  });
});
