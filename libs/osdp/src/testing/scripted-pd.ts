import type { FakeTransport } from '@acs/fingerprint/testing';
import { CommandCode, decodeCommand, type Command } from '../commands.js';
import { crc16 } from '../crc.js';
import { decodePacket, encodePacket, openPacket, ScbType, withMark, type DecodedPacket, type Sequence } from '../packet.js';
import { encodeReply, type Reply } from '../replies.js';
import { SessionSecurity } from '../bus/session-security.js';
import { PD_IDLE, pdStep, SCB_DATA_RMAC_I_ACCEPTED, SCB_DATA_SCBK, type PdState } from '../secure/handshake.js';

export interface ScriptedPdOptions {
  /** The PD's SCBK; none: only install mode (SCBK-D) can open a channel. */
  scbk?: Buffer;
  installMode?: boolean;
  /** Declare AES-128 in PDCAP (function 9). Default true. */
  secureCapable?: boolean;
}

export interface ReceivedCommand {
  sequence: Sequence;
  code: number;
  /** Security block type, when the command had one. */
  scb?: number;
}

/**
 * A small PD written on the lib's own codecs and the PD-side handshake, for bus tests: sequence
 * numbers as libosdp's PD checks them (SQN 0 restarts, a repeated SQN gets the cached reply, any
 * other jump NAK 4), the secure channel with KEYSET, and knobs to go silent, answer BUSY or NAK,
 * or lose replies. It is not the virtual reader (hardware/virtual-osdp-reader): no timers, no
 * control port, only what a test scripts.
 */
export class ScriptedPd {
  readonly received: ReceivedCommand[] = [];
  /** Answer nothing (a dead or unplugged PD). */
  silent = false;
  /** Answer the next n commands with osdp_BUSY (SQN 0, as libosdp does). */
  busy = 0;
  /** Answer the next non-POLL command with this NAK code. */
  nakNext?: number;
  /** Process the next n commands but lose their replies (as line noise would). */
  loseReplies = 0;
  tamper = false;
  /** Send the next MAC'd reply with a wrong MAC (and a right CRC), as a PD with other keys would. */
  corruptMac = false;
  scbk?: Buffer;
  installMode: boolean;
  private readonly events: Reply[] = [];
  private lastSequence?: Sequence;
  private lastReply?: Buffer;
  private handshake: PdState = PD_IDLE;
  private security?: SessionSecurity;

  constructor(
    readonly address: number,
    private readonly options: ScriptedPdOptions = {},
  ) {
    this.scbk = options.scbk;
    this.installMode = options.installMode ?? false;
  }

  get secure(): boolean {
    return this.security !== undefined;
  }

  presentCard(data: Buffer, bitCount: number): void {
    this.events.push({ kind: 'RAW', reader: 0, format: 1, bitCount, data });
  }

  typeKeys(keys: Buffer): void {
    this.events.push({ kind: 'KEYPAD', reader: 0, keys });
  }

  /** The reply bytes for one command packet, or undefined for silence. */
  handle(packet: DecodedPacket): Buffer | undefined {
    if (this.silent) return undefined;
    this.received.push({ sequence: packet.sequence, code: packet.code, ...(packet.security ? { scb: packet.security.type } : {}) });
    if (this.busy > 0) {
      this.busy--;
      return this.send({ kind: 'BUSY' }, 0, false);
    }
    const { sequence } = packet;
    if (sequence === 0) {
      // SQN 0 restarts the PD and ends its secure session (libosdp phy_check_packet).
      this.security = undefined;
    } else if (sequence === this.lastSequence && this.lastReply) {
      return this.deliver(this.lastReply);
    } else if (this.lastSequence === undefined || sequence !== (this.lastSequence % 3) + 1) {
      this.lastSequence = sequence;
      return this.deliver(this.send({ kind: 'NAK', error: 4, detail: Buffer.alloc(0) }, sequence, false));
    }
    this.lastSequence = sequence;
    const reply = this.answer(packet);
    this.lastReply = reply;
    return this.deliver(reply);
  }

  private deliver(bytes: Buffer): Buffer | undefined {
    if (this.loseReplies > 0) {
      this.loseReplies--;
      return undefined;
    }
    return bytes;
  }

  private nak(sequence: Sequence, error: number, sealed: boolean): Buffer {
    return this.send({ kind: 'NAK', error, detail: Buffer.alloc(0) }, sequence, sealed);
  }

  private answer(packet: DecodedPacket): Buffer {
    const { sequence } = packet;
    const scb = packet.security?.type;
    if (scb === ScbType.Chlng || scb === ScbType.Scrypt) return this.setup(packet);
    let data = packet.data;
    if (this.security) {
      const opened = openPacket(packet, this.security);
      if (!opened.ok) {
        this.security = undefined;
        return this.nak(sequence, 6, false);
      }
      data = opened.data;
    } else if (scb !== undefined) {
      return this.nak(sequence, 6, false);
    }
    const sealed = this.security !== undefined;
    if (this.nakNext !== undefined && packet.code !== CommandCode.POLL) {
      const error = this.nakNext;
      this.nakNext = undefined;
      return this.nak(sequence, error, sealed);
    }
    const decoded = decodeCommand(packet.code, data);
    if (!decoded.ok) return this.nak(sequence, decoded.error.reason === 'unknown' ? 3 : 2, sealed);
    return this.send(this.reply(decoded.value), sequence, sealed, () => {
      if (decoded.value.kind === 'KEYSET') {
        // libosdp: the ACK goes under the old session, then the new key holds and the channel ends.
        this.scbk = Buffer.from(decoded.value.key);
        this.installMode = false;
        this.security = undefined;
      }
    });
  }

  private reply(command: Command): Reply {
    switch (command.kind) {
      case 'POLL':
        return this.events.shift() ?? { kind: 'ACK' };
      case 'ID':
        return { kind: 'PDID', vendorCode: Buffer.from([0x0a, 0x0b, 0x0c]), model: 1, version: 1, serialNumber: 0x1000 + this.address, firmware: [1, 0, 0] };
      case 'CAP':
        return {
          kind: 'PDCAP',
          capabilities: [{ function: 8, compliance: 1, count: 0 }, ...(this.options.secureCapable === false ? [] : [{ function: 9, compliance: 1, count: 1 }])],
        };
      case 'LSTAT':
        return { kind: 'LSTATR', tamper: this.tamper ? 1 : 0, power: 0 };
      case 'KEYSET':
        return this.security ? { kind: 'ACK' } : { kind: 'NAK', error: 6, detail: Buffer.alloc(0) };
      default:
        return { kind: 'ACK' };
    }
  }

  private setup(packet: DecodedPacket): Buffer {
    const keyMode = packet.security?.data[0] === SCB_DATA_SCBK ? 'scbk' : 'scbk-d';
    const config = {
      scbk: this.scbk ?? null,
      installMode: this.installMode,
      cUid: Buffer.alloc(8, this.address),
      random: (n: number) => Buffer.alloc(n, 0x5a),
    };
    const event =
      packet.code === CommandCode.CHLNG
        ? ({ type: 'chlng', message: { kind: 'CHLNG', keyMode, rndA: packet.data } } as const)
        : ({ type: 'scrypt', message: { kind: 'SCRYPT', keyMode, serverCryptogram: packet.data } } as const);
    const step = pdStep(config, this.handshake, event);
    this.handshake = step.state;
    this.security = undefined;
    if (step.kind === 'failed') return this.nak(packet.sequence, step.nakCode ?? 6, false);
    const keyByte = packet.security?.data[0] ?? 0;
    if (step.kind === 'reply') {
      const { cUid, rndB, clientCryptogram } = step.message;
      return this.send({ kind: 'CCRYPT', clientUid: cUid, rndB, cryptogram: clientCryptogram }, packet.sequence, false, undefined, {
        type: ScbType.Ccrypt,
        data: Buffer.from([keyByte]),
      });
    }
    const bytes = this.send({ kind: 'RMAC_I', rmac: step.message.rmacI }, packet.sequence, false, undefined, {
      type: ScbType.RmacI,
      data: Buffer.from([SCB_DATA_RMAC_I_ACCEPTED]),
    });
    this.security = new SessionSecurity(step.session);
    return bytes;
  }

  private send(reply: Reply, sequence: Sequence, sealed: boolean, after?: () => void, security?: { type: number; data: Buffer }): Buffer {
    const { code, data } = encodeReply(reply);
    const base = { direction: 'reply' as const, address: this.address, sequence, code, data };
    let bytes: Buffer;
    if (security) bytes = encodePacket({ ...base, security });
    else if (sealed && this.security) {
      const type = data.length > 0 ? ScbType.ReplyMacEncrypted : ScbType.ReplyMac;
      bytes = encodePacket({ ...base, security: { type, data: Buffer.alloc(0) } }, this.security);
      if (this.corruptMac) {
        this.corruptMac = false;
        bytes[bytes.length - 3] ^= 0xff; // last MAC byte; the CRC-16 follows
        bytes.writeUInt16LE(crc16(bytes, 0, bytes.length - 2), bytes.length - 2);
      }
    } else bytes = encodePacket(base);
    after?.();
    return withMark(bytes);
  }
}

/** Several scripted PDs behind one FakeTransport: each command goes to the PD it addresses. */
export class ScriptedLine {
  private buffer = Buffer.alloc(0);
  private readonly pds = new Map<number, ScriptedPd>();
  /** Bytes to put on the line before the next reply (garbage between packets). */
  garbageBeforeReply?: Buffer;

  constructor(private readonly transport: FakeTransport) {
    transport.respond = (bytes) => this.receive(bytes);
  }

  add(address: number, options: ScriptedPdOptions = {}): ScriptedPd {
    const pd = new ScriptedPd(address, options);
    this.pds.set(address, pd);
    return pd;
  }

  private receive(bytes: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, bytes]);
    for (;;) {
      const result = decodePacket(this.buffer, { direction: 'command' });
      if (result.kind === 'need-more') return;
      this.buffer = this.buffer.subarray(result.consumed);
      if (result.kind !== 'ok') continue;
      const reply = this.pds.get(result.packet.address)?.handle(result.packet);
      if (!reply) continue;
      if (this.garbageBeforeReply) {
        this.transport.reply(this.garbageBeforeReply);
        this.garbageBeforeReply = undefined;
      }
      this.transport.reply(reply);
    }
  }
}
