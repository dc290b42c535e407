import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runOsdpSimulator, type RunningOsdpSimulator } from '../../hardware/virtual-osdp-reader/src/index.js';
import { keyFingerprint } from '../../hardware/virtual-osdp-reader/src/pd-model.js';
import { wiegand26 } from '../../hardware/virtual-osdp-reader/src/wiegand.js';
import { PtyPair } from '../fingerprint/socat-pty.js';
import { fnv1a, LibosdpAcu } from './support/libosdp-acu.js';
import { findLibosdpToolchain, type LibosdpToolchain } from './support/libosdp-peer.js';

/*
 * libosdp (the public implementation) as the ACU against our virtual PDs on a socat pty: it must
 * enrol them (ID, CAP), set up the secure channel, for a PD in install mode through SCBK-D and
 * KEYSET, poll, and receive card reads, keys and tamper reports. Our PDs must pass someone else's
 * reading of OSDP v2.2, not only our own ACU's.
 */

const found = findLibosdpToolchain();
if (typeof found === 'string') console.warn(`libosdp-acu-virtual-pd.e2e: SKIPPED, libosdp as the ACU cannot run: ${found}`);
const describeWithLibosdp = typeof found === 'string' ? describe.skip : describe;

const KEY = Buffer.from('8899aabbccddeeff0011223344556677', 'hex');

describeWithLibosdp('libosdp ACU polling virtual OSDP readers', () => {
  let dir: string;
  let pty: PtyPair;
  let sim: RunningOsdpSimulator;
  let acu: LibosdpAcu;
  const log: string[] = [];

  beforeAll(async () => {
    const tc = found as LibosdpToolchain;
    dir = mkdtempSync(join(tmpdir(), 'libosdp-acu-'));
    pty = new PtyPair(tc.socat, join(dir, 'pd'), join(dir, 'acu'));
    await pty.start();
    // PD 1 is new (no key: install mode); PD 2 already holds the site key and insists on the channel.
    sim = await runOsdpSimulator(
      ['--serial', pty.devicePath, '--baud', '115200', '--address', '1', '--address', `2:${KEY.toString('hex')}`, '--require-secure'].concat([
        '--no-stdin',
        '--state',
        join(dir, 'state.json'),
      ]),
      (l) => log.push(l),
    );
    // PD 2 requires the channel and holds the key; PD 1 is in install mode, which the option allows.
    acu = await LibosdpAcu.start(tc, { tty: pty.hostPath, addresses: [1, 2], scbk: KEY });
  });

  afterAll(async () => {
    await acu?.stop();
    await sim?.close();
    await pty?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('sets up PD 2 under its key, and installs PD 1: SCBK-D, KEYSET, then a session under the new key', async () => {
    await acu.waitForLine(/^sc 2 active scbk$/, 10_000);
    await acu.waitForLine(/^sc 1 active scbk-d$/, 10_000);
    await acu.waitForLine(/^sc 1 active scbk$/, 10_000);
    const pd1 = sim.bus.pd(1)!.status();
    expect(pd1).toMatchObject({ secure: 'scbk', installMode: false, keyFingerprint: keyFingerprint(KEY) });
    expect(sim.bus.pd(2)!.status().secure).toBe('scbk');
    expect(JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')).pds['56500001']).toMatchObject({ installMode: false, scbk: KEY.toString('hex') });
  });

  it('receives a 26-bit card read, keys and a tamper report through the secure channel', async () => {
    const card = wiegand26(4, 36117);
    sim.bus.pd(1)!.presentCard(card, 26);
    await expect(acu.waitForLine(/^card 1 /)).resolves.toBe(`card 1 format=1 bits=26 digest=${fnv1a(card)}`);
    sim.bus.pd(2)!.typeKeys('159#');
    await expect(acu.waitForLine(/^keys 2 /)).resolves.toBe(`keys 2 count=4 digest=${fnv1a(Buffer.from([0x31, 0x35, 0x39, 0x0d]))}`);
    sim.bus.pd(2)!.setTamper(true);
    await expect(acu.waitForLine(/^status 2 /)).resolves.toMatch(/report=0100$/);
  });

  it('delivers an LED command from libosdp to the PD', async () => {
    acu.control('led 2 2');
    await acu.waitForLine(/^ok led 2$/);
    await acu.waitForLine(/^command 2 id=\d+ ok$/);
    expect(sim.bus.pd(2)!.status().leds[0].permanent).toMatchObject({ onColour: 2 });
    expect(log.some((l) => l.includes(KEY.toString('hex')))).toBe(false);
  });
});
