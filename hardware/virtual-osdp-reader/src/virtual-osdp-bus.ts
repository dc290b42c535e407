import { EventEmitter } from 'node:events';
import { SystemClock, type Clock } from '@acs/clock';
import { cryptoRandom, MARK, OsdpFramer, withMark, type DecodedPacket, type OsdpFramerDrop, type RandomSource } from '@acs/osdp';
import { PdStateStore } from './pd-state.store.js';
import type { VirtualPdOptions } from './pd-model.js';
import { VirtualPd } from './virtual-pd.js';

export interface VirtualOsdpBusOptions {
  /** One entry per PD on the line. */
  pds: Array<Omit<VirtualPdOptions, 'clock' | 'random' | 'store'>>;
  /** JSON file standing in for the PDs' non-volatile memory (keys, address, baud); RAM only when absent. */
  statePath?: string;
  clock?: Clock;
  random?: RandomSource;
  /** Inter-character timeout of the line (default the framer's 20 ms, OSDP v2.2 §5). */
  interByteTimeoutMs?: number;
}

/**
 * Several virtual PDs on one RS-485 line. Bytes from the ACU go in through {@link receive}; every
 * PD hears every packet, as on the wire; the one addressed answers (all of them for a broadcast,
 * which the spec meant for a line with a single PD). Replies come out as `output` events. Each
 * reply starts with the mark byte 0xFF when the command did (libosdp mirrors the ACU the same way).
 */
export class VirtualOsdpBus extends EventEmitter {
  readonly pds: VirtualPd[];
  private readonly framer: OsdpFramer;
  private lastByte = -1;
  private marked = false;
  /** Test hook: stop answering (a line with no PD powered). */
  silent = false;

  constructor(options: VirtualOsdpBusOptions) {
    super();
    const clock = options.clock ?? new SystemClock();
    const random = options.random ?? cryptoRandom;
    const store = new PdStateStore(options.statePath);
    this.pds = options.pds.map((pd) => new VirtualPd({ ...pd, clock, random, store }));
    for (const pd of this.pds) {
      // One human-readable line per state change, for the simulator's log (no keys, no card data).
      pd.on('secure', (state: string) => this.emit('log', `pd ${pd.address}: secure channel ${state}`));
      pd.on('keyset', (fingerprint: string) => this.emit('log', `pd ${pd.address}: new SCBK stored (fingerprint ${fingerprint}), install mode off`));
      pd.on('output', (what: string) => this.emit('log', `pd ${pd.address}: ${what} changed`));
      pd.on('comset', (c: { address: number; baudRate: number }) => {
        this.emit('log', `pd ${pd.serialNumber.toString(16)}: now address ${c.address} at ${c.baudRate} baud`);
        this.emit('comset', c);
      });
    }
    const addresses = this.pds.map((p) => p.address);
    if (new Set(addresses).size !== addresses.length) throw new Error('two PDs on one line cannot share an address');
    // The PDs read commands only; replies of other PDs on the line are "not for us" (§5).
    this.framer = new OsdpFramer({ clock, direction: 'command', maxPacketLength: 1440, interByteTimeoutMs: options.interByteTimeoutMs });
    this.framer.on('data', (packet: DecodedPacket) => this.onPacket(packet));
    this.framer.on('drop', (drop: OsdpFramerDrop) => {
      if (drop.kind === 'bad-checksum' || drop.kind === 'truncated') for (const pd of this.pds) pd.lineNoise();
      this.emit('drop', drop);
    });
  }

  pd(address: number): VirtualPd | undefined {
    return this.pds.find((p) => p.address === address);
  }

  /** Bytes from the line. */
  receive(chunk: Buffer): void {
    // Whether the packet that starts in this chunk was preceded by a mark byte: the framer skips
    // marks, so it is read here, while no partial packet is held.
    if (this.framer.pending === 0) {
      const som = chunk.indexOf(0x53);
      if (som >= 0) this.marked = (som > 0 ? chunk[som - 1] : this.lastByte) === MARK;
    }
    if (chunk.length > 0) this.lastByte = chunk[chunk.length - 1];
    this.framer.write(chunk);
  }

  /** Lets the framer expire a cut-off packet now (the attachments call it on a timer). */
  tick(): void {
    this.framer.tick();
  }

  private onPacket(packet: DecodedPacket): void {
    for (const pd of this.pds) {
      const reply = pd.handle(packet);
      if (reply && !this.silent) this.emit('output', this.marked ? withMark(reply) : reply);
    }
  }
}
