import { FingerprintReader } from '@acs/fingerprint';
import { seededRandom } from '@acs/clock';
import { captureFeatures, featuresToTemplate } from '../../hardware/virtual-reader/src/finger.model.js';
import { VirtualReaderTcpServer } from '../../hardware/virtual-reader/src/tcp.attachment.js';
import { VirtualReader } from '../../hardware/virtual-reader/src/virtual-reader.js';
import type { Benchmark, Figure } from './harness.js';

const BAUD = 57600;
const TEMPLATE_SIZE = 1536; // R503 (docs/r503-protocol.md §Data packets and template size)
const PACKET_SIZE = 128;

/** Bytes at 8N1 take 10 bit times each; the line is half-duplex so both directions add up. */
function wireMs(bytes: number): number {
  return (bytes * 10 * 1000) / BAUD;
}

/**
 * Template transfer to a reader at an emulated 57600 baud, as a ratio to the wire-time bound
 * (bytes on the wire × 10 / baud) of the very bytes exchanged in the run. The virtual R503 paces
 * every byte in both directions on one half-duplex line, so the ratio is what the driver adds:
 * turnaround after each ACK, queueing, framing. Target ≤ 1.3 (issue 4).
 */
const bench: Benchmark = {
  name: 'fingerprint template transfer (virtual R503, 57600 baud, raw TCP)',
  async run(ctx) {
    const count = ctx.quick ? 10 : 100;
    const readBack = ctx.quick ? 3 : 20;
    const device = new VirtualReader({ capacity: 200, templateSize: TEMPLATE_SIZE, packetSize: PACKET_SIZE, pace: true });
    let bytesToModule = 0;
    let bytesFromModule = 0;
    const receive = device.receive.bind(device);
    device.receive = (chunk: Buffer) => {
      bytesToModule += chunk.length;
      receive(chunk);
    };
    device.on('output', (b: Buffer) => (bytesFromModule += b.length));

    const server = new VirtualReaderTcpServer(device);
    const { url } = await server.listen(0);
    const reader = new FingerprintReader({ path: url, baudRate: BAUD });
    try {
      await reader.open();
      const rnd = seededRandom(42);
      const templates = Array.from({ length: count }, (_, i) => featuresToTemplate(captureFeatures(`bench-${i}`, rnd), TEMPLATE_SIZE));

      bytesToModule = bytesFromModule = 0;
      const started = performance.now();
      for (let i = 0; i < count; i++) {
        await reader.downloadTemplate(1, templates[i]);
        await reader.store(1, i);
      }
      const elapsed = performance.now() - started;
      const bytes = bytesToModule + bytesFromModule;
      const stored = await reader.templateCount();
      if (stored !== count) throw new Error(`expected ${count} templates stored, module has ${stored}`);
      ctx.log(`${count} × (DownChar + ${Math.ceil(TEMPLATE_SIZE / PACKET_SIZE)} data packets + Store): ${bytes} bytes on the wire in ${elapsed.toFixed(0)} ms`);

      bytesToModule = bytesFromModule = 0;
      const upStarted = performance.now();
      for (let i = 0; i < readBack; i++) {
        await reader.loadTemplate(1, i);
        const up = await reader.uploadTemplate(1);
        if (!up.equals(templates[i])) throw new Error(`template ${i} read back differs`);
      }
      const upElapsed = performance.now() - upStarted;
      const upBytes = bytesToModule + bytesFromModule;
      ctx.log(`${readBack} × (LoadChar + UpChar): ${upBytes} bytes on the wire in ${upElapsed.toFixed(0)} ms`);

      const figures: Figure[] = [
        {
          name: `download+store ${count} templates (${TEMPLATE_SIZE} B)`,
          value: elapsed,
          unit: 'ms',
          baseline: wireMs(bytes),
          better: 'lower',
          target: 1.3,
        },
        { name: 'download+store per template', value: elapsed / count, unit: 'ms', baseline: wireMs(bytes) / count, better: 'lower', target: 1.3 },
        { name: `load+upload ${readBack} templates`, value: upElapsed, unit: 'ms', baseline: wireMs(upBytes), better: 'lower', target: 1.3 },
      ];
      return figures;
    } finally {
      await reader.close();
      await server.close();
    }
  },
};

export default bench;
