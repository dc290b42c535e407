import fc from 'fast-check';
import { FakeClock } from '@acs/clock';
import { encodeCommand, encodePacket, FRAME_OVERHEAD, Pid, R503 } from '@acs/fingerprint';
import { DEFAULT_INTER_BYTE_TIMEOUT_MS, VirtualReader } from '../virtual-reader.js';

/**
 * Generators and checks for fuzzing the virtual reader's own frame reception (issue 16 item 9):
 * random bytes, truncated, mutated and over-long frames, at random pauses, must never stall the
 * module. The spec that runs them with the shared seed is test/fuzz/virtual-reader-frames.e2e-spec.ts.
 */

const ADDR = 0xffffffff;
const PACKET_SIZE = 128;
export const TEMPLATE_NUM = encodeCommand(R503, ADDR, 'TemplateNum');
export const TEMPLATE_NUM_REPLY = encodePacket({ address: ADDR, pid: Pid.Ack, content: Buffer.from([0, 0, 0]) });

/**
 * Commands that leave the module answering TemplateNum for address FFFFFFFF with "0 templates":
 * GenImg, ReadSysPara, DownChar, TempleteNum, ReadNotepad, ReadIndexTable, CheckSensor, HandShake
 * and two opcodes it does not know. (SetAdder, SetPwd or Store would change the expected answer.)
 */
const HARMLESS_OPCODES = [0x01, 0x0f, 0x09, 0x1d, 0x19, 0x1f, 0x36, 0x40, 0x60, 0x7f];

/** Bytes biased towards header, address and PID values, so fake headers actually occur. */
const noise = fc
  .array(fc.oneof(fc.constantFrom(0xef, 0x01, 0xff, 0x07, 0x02, 0x08, 0x00), fc.integer({ min: 0, max: 255 })), { maxLength: 60 })
  .map((bytes) => Buffer.from(bytes));

const command = fc
  .record({ op: fc.constantFrom(...HARMLESS_OPCODES), params: fc.uint8Array({ maxLength: 4 }) })
  .map(({ op, params }) => encodePacket({ address: ADDR, pid: Pid.Command, content: Buffer.from([op, ...params]) }));

const dataOrAck = fc
  .record({ pid: fc.constantFrom(Pid.Data, Pid.EndData, Pid.Ack), content: fc.uint8Array({ minLength: 1, maxLength: 256 }) })
  .map(({ pid, content }) => encodePacket({ address: ADDR, pid, content: Buffer.from(content) }));

const frame = fc.oneof(command, dataOrAck);

/** A header promising any length at all, and perhaps a few bytes of it. */
const header = fc
  .record({
    pid: fc.constantFrom(Pid.Command, Pid.Data, Pid.EndData, Pid.Ack, 0x05),
    length: fc.integer({ min: 0, max: 0xffff }),
    tail: fc.uint8Array({ maxLength: 12 }),
  })
  .map(({ pid, length, tail }) => {
    const b = Buffer.alloc(9);
    b.writeUInt16BE(0xef01, 0);
    b.writeUInt32BE(ADDR, 2);
    b[6] = pid;
    b.writeUInt16BE(length, 7);
    return Buffer.concat([b, Buffer.from(tail)]);
  });

const truncated = fc.tuple(frame, fc.nat()).map(([f, cut]) => f.subarray(0, cut % f.length));

/** One byte changed (XOR with a non-zero value), or the LEN field replaced. */
const mutated = fc
  .tuple(frame, fc.nat(), fc.integer({ min: 1, max: 255 }), fc.boolean(), fc.integer({ min: 0, max: 0xffff }))
  .map(([f, at, xor, len, value]) => {
    const m = Buffer.from(f);
    if (len) m.writeUInt16BE(value, 7);
    else m[at % m.length] ^= xor;
    return m;
  });

export interface JunkStep {
  /** Silence before these bytes, on the module's clock. */
  pauseMs: number;
  bytes: Buffer;
}

/** What arrives on the module's line: junk of every kind, each after a pause (often none). */
export const junkSteps: fc.Arbitrary<JunkStep[]> = fc.array(
  fc.record({
    pauseMs: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 2 * DEFAULT_INTER_BYTE_TIMEOUT_MS })),
    bytes: fc.oneof(noise, truncated, mutated, header, frame),
  }),
  { minLength: 1, maxLength: 12 },
);

/** The module with a clock that moves only when told, and what it sent. */
function module(): { clock: FakeClock; device: VirtualReader; take(): Buffer } {
  const clock = new FakeClock();
  const device = new VirtualReader({ clock, seed: 7, packetSize: PACKET_SIZE });
  let out: Buffer[] = [];
  device.on('output', (b: Buffer) => out.push(b));
  device.attach();
  return {
    clock,
    device,
    take() {
      const all = Buffer.concat(out);
      out = [];
      return all;
    },
  };
}

/** Unpaced replies leave through setImmediate. */
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Longest partial frame the module may hold: a data packet of the packet size, less one byte. */
export const MAX_HELD_BYTES = FRAME_OVERHEAD + PACKET_SIZE - 1;

/**
 * Feed the junk, then stay silent for longer than the inter-byte timeout, then send TemplateNum:
 * it must be answered at once and alone. Throws with what went wrong (fast-check shrinks it).
 */
export async function checkJunkThenCommand(steps: JunkStep[]): Promise<void> {
  const m = module();
  for (const step of steps) {
    m.clock.advance(step.pauseMs);
    m.device.receive(step.bytes);
    await tick();
    if (m.device.pendingRxBytes > MAX_HELD_BYTES) throw new Error(`module holds ${m.device.pendingRxBytes} bytes of a partial frame`);
  }
  m.clock.advance(DEFAULT_INTER_BYTE_TIMEOUT_MS + 1);
  m.take();
  m.device.receive(TEMPLATE_NUM);
  await tick();
  const reply = m.take();
  if (!reply.equals(TEMPLATE_NUM_REPLY)) throw new Error(`TemplateNum after junk and silence answered with ${reply.toString('hex') || 'nothing'}`);
}

/**
 * After silence, a TemplateNum split into pieces with pauses each shorter than the timeout is
 * still one frame and is answered: the gap rule must not cut real frames.
 */
export async function checkSplitCommand(cuts: number[], pausesMs: number[]): Promise<void> {
  const m = module();
  const points = [...new Set(cuts.map((c) => 1 + (c % (TEMPLATE_NUM.length - 1))))].sort((a, b) => a - b);
  let from = 0;
  for (const [i, to] of [...points, TEMPLATE_NUM.length].entries()) {
    m.clock.advance(i === 0 ? 0 : (pausesMs[i % pausesMs.length] ?? 0) % DEFAULT_INTER_BYTE_TIMEOUT_MS);
    m.device.receive(TEMPLATE_NUM.subarray(from, to));
    await tick();
    from = to;
  }
  const reply = m.take();
  if (!reply.equals(TEMPLATE_NUM_REPLY)) throw new Error(`split TemplateNum answered with ${reply.toString('hex') || 'nothing'}`);
}
