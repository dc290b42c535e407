import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { encodePacket, Pid } from '@acs/fingerprint';
import { openMockReader, type MockReaderHarness } from '../../hardware/virtual-reader/src/testing/harness.js';
import { fuzzSettings } from '../support/fuzz.js';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * The driver's receive side (issue 16 item 9): whatever the module's line carried while no
 * command was outstanding (noise, replies cut short, headers promising any length, stray data
 * packets), the next command is answered without a timeout and with the right result.
 */

const ADDR = 0xffffffff;

const header = fc
  .record({
    pid: fc.constantFrom(Pid.Command, Pid.Data, Pid.EndData, Pid.Ack),
    length: fc.integer({ min: 0, max: 0xffff }),
    tail: fc.uint8Array({ maxLength: 20 }),
  })
  .map(({ pid, length, tail }) => {
    const b = Buffer.alloc(9);
    b.writeUInt16BE(0xef01, 0);
    b.writeUInt32BE(ADDR, 2);
    b[6] = pid;
    b.writeUInt16BE(length, 7);
    return Buffer.concat([b, Buffer.from(tail)]);
  });

const reply = fc
  .record({ pid: fc.constantFrom(Pid.Ack, Pid.Data, Pid.EndData), content: fc.uint8Array({ minLength: 1, maxLength: 128 }), cut: fc.nat() })
  .map(({ pid, content, cut }) => {
    const f = encodePacket({ address: ADDR, pid, content: Buffer.from(content) });
    return f.subarray(0, cut % (f.length + 1));
  });

const noise = fc.array(fc.oneof(fc.constantFrom(0xef, 0x01, 0xff, 0x07, 0x55), fc.integer({ min: 0, max: 255 })), { maxLength: 40 }).map((b) => Buffer.from(b));

const junk = fc.array(fc.oneof(header, reply, noise), { minLength: 1, maxLength: 4 });

describe('fuzz: fingerprint driver receive side', () => {
  const settings = fuzzSettings();
  let h: MockReaderHarness;
  beforeAll(async () => {
    h = await openMockReader({ reader: { settleMs: 0 } });
    await h.reader.writeNotepad(2, Buffer.alloc(32, 0x33));
  });
  afterAll(async () => {
    await h.close();
  });

  it('answers the next command correctly and without a timeout after any junk on the module line', async () => {
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(junk, fc.boolean(), async (chunks, notepad) => {
        runs++;
        for (const c of chunks) h.device.emit('output', c);
        // Let the junk reach the driver before the command goes out (it is not an answer to it).
        await sleep(2);
        const timeouts = h.reader.stats.timeouts;
        const answer = notepad ? (await h.reader.readNotepad(2)).toString('hex') : await h.reader.templateCount();
        expect({ answer, timeouts: h.reader.stats.timeouts }).toEqual({ answer: notepad ? '33'.repeat(32) : 0, timeouts });
      }),
      { seed: settings.seed, numRuns: 150 * settings.factor },
    );
    expect(runs).toBeGreaterThanOrEqual(150 * settings.factor);
    expect(h.reader.state).toBe('ready');
  });
});
