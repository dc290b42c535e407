import { EventEmitter } from 'node:events';
import type { Clock } from '@acs/clock';
import {
  BAUD_RATES,
  BROADCAST_ADDRESS,
  carriesMac,
  CommandCode,
  commandName,
  decodeCommand,
  encodePacket,
  encodeReply,
  NakCode,
  openPacket,
  PD_IDLE,
  pdStep,
  RawFormat,
  ScbType,
  SessionSecurity,
  type Command,
  type DecodedPacket,
  type KeyMode,
  type LedRecord,
  type PdState,
  type RandomSource,
  type Reply,
  type SecureSession,
  type SecurityBlock,
  type Sequence,
} from '@acs/osdp';
import {
  ALLOWED_WITHOUT_SC,
  capabilities,
  keyFingerprint,
  ONLINE_TIMEOUT_MS,
  SC_TIMEOUT_MS,
  VENDOR_CODE,
  type LedStatus,
  type PdEventReport,
  type VirtualPdOptions,
  type VirtualPdStatus,
} from './pd-model.js';
import type { PdStateStore } from './pd-state.store.js';

function nextSequence(seq: number): Sequence {
  return (seq < 0 ? 0 : seq >= 3 ? 1 : seq + 1) as Sequence;
}

interface Outcome {
  reply: Reply;
  /** SCB type 0x12/0x14 with its data byte, for the handshake replies. */
  handshake?: SecurityBlock;
  /** Runs once the reply is on its way (COMSET, KEYSET, the end of the handshake). */
  after?: () => void;
}

const nak = (error: NakCode): Outcome => ({ reply: { kind: 'NAK', error, detail: Buffer.alloc(0) } });

/**
 * One OSDP peripheral device (a card reader with keypad, LED, buzzer and a one-line display) at
 * the packet level: {@link handle} takes a decoded command addressed to it (or broadcast) and
 * returns the bytes of its reply. The rules follow OSDP v2.2 (IEC 60839-11-5) §5–7 and Annex D,
 * and where the spec leaves room, libosdp's PD (src/osdp_pd.c, src/osdp_phy.c at v3.2.0): see
 * the package README for each choice. Events: `secure` (state string), `command` (name),
 * `output` (LED/BUZ/TEXT changed), `keyset` (fingerprint only), `comset`.
 */
export class VirtualPd extends EventEmitter {
  private addr: number;
  private baud: number;
  private scbk: Buffer | null;
  private install: boolean;
  readonly requireSecure: boolean;
  readonly serialNumber: number;
  private readonly clock: Clock;
  private readonly random: RandomSource;
  private readonly store?: PdStateStore;
  private readonly noiseEndsSecureChannel: boolean;

  private seq = -1;
  private cache: { code: number; bytes: Buffer } | null = null;
  private handshake: PdState = PD_IDLE;
  private session: { session: SecureSession; security: SessionSecurity; lastValidMs: number } | null = null;
  private lastCommandMs = Number.NEGATIVE_INFINITY;
  private readonly events: PdEventReport[] = [];
  private tamper = false;
  private powerFailure = false;
  /** Answer every command with osdp_BUSY (a PD still busy with the previous one). */
  busy = false;
  private leds: LedStatus[] = [{ led: 0, permanent: null, temporary: null }];
  private buzzer: VirtualPdStatus['buzzer'] = null;
  private text: VirtualPdStatus['text'] = null;

  constructor(options: VirtualPdOptions) {
    super();
    this.serialNumber = options.serialNumber ?? 0x56500000 + options.address;
    this.clock = options.clock;
    this.random = options.random;
    this.store = options.store;
    this.requireSecure = options.requireSecure ?? false;
    this.noiseEndsSecureChannel = options.noiseEndsSecureChannel ?? true;
    const saved = this.store?.load(this.stateKey);
    this.addr = saved?.address ?? options.address;
    this.baud = saved?.baudRate ?? options.baudRate ?? 9600;
    this.scbk = saved ? saved.scbk : (options.scbk ?? null);
    this.install = saved?.installMode ?? options.installMode ?? this.scbk === null;
    if (this.addr < 0 || this.addr >= BROADCAST_ADDRESS) throw new RangeError('a PD address is 0..126');
    if (this.scbk !== null && this.scbk.length !== 16) throw new RangeError('an SCBK is 16 bytes');
    if (this.requireSecure && this.scbk === null && !this.install) throw new Error('a PD that requires the secure channel needs an SCBK or install mode');
  }

  get address(): number {
    return this.addr;
  }

  get baudRate(): number {
    return this.baud;
  }

  private get stateKey(): string {
    return this.serialNumber.toString(16).padStart(8, '0');
  }

  // ----- the physical world (control port) ------------------------------------------------------

  /** A card in the field: its bits, left-justified, reported as osdp_RAW at the next poll. */
  presentCard(data: Buffer, bitCount: number, format: number = RawFormat.Wiegand): void {
    if (!Number.isInteger(bitCount) || bitCount < 1 || data.length !== Math.ceil(bitCount / 8)) {
      throw new RangeError(`card data must be ${Math.ceil(bitCount / 8)} bytes for ${bitCount} bits`);
    }
    this.events.push({ kind: 'RAW', format, bitCount, data: Buffer.from(data) });
  }

  /**
   * Keys typed on the keypad, reported as one osdp_KEYPAD. Digits are sent as ASCII; `*` as 0x7F
   * and `#` as 0x0D (OSDP v2.2 §7.12, osdp_KEYPAD, as the public Rust `osdp` crate and libosdp's
   * users read it).
   */
  typeKeys(keys: string): void {
    if (!/^[0-9*#]{1,32}$/.test(keys)) throw new RangeError('keys are 1..32 of 0-9 * #');
    const bytes = [...keys].map((c) => (c === '*' ? 0x7f : c === '#' ? 0x0d : c.charCodeAt(0)));
    this.events.push({ kind: 'KEYPAD', keys: Buffer.from(bytes) });
  }

  /** Tamper switch; a change is reported as osdp_LSTATR at the next poll (local status, §7). */
  setTamper(on: boolean): void {
    if (this.tamper === on) return;
    this.tamper = on;
    this.events.push({ kind: 'LSTATR', tamper: Number(this.tamper), power: Number(this.powerFailure) });
  }

  setPowerFailure(failed: boolean): void {
    if (this.powerFailure === failed) return;
    this.powerFailure = failed;
    this.events.push({ kind: 'LSTATR', tamper: Number(this.tamper), power: Number(this.powerFailure) });
  }

  /** Bad check bytes or a cut-off packet heard on the line. */
  lineNoise(): void {
    if (this.noiseEndsSecureChannel) this.endSession('line noise');
  }

  status(): VirtualPdStatus {
    const now = this.clock.nowMs();
    this.expireSession(now);
    return {
      address: this.addr,
      serialNumber: this.serialNumber,
      baudRate: this.baud,
      online: now - this.lastCommandMs <= ONLINE_TIMEOUT_MS,
      sequence: this.seq < 0 ? null : this.seq,
      secure: this.session ? this.session.session.keyMode : this.handshake.phase === 'awaiting_scrypt' ? 'handshake' : 'off',
      installMode: this.install,
      requireSecure: this.requireSecure,
      keyFingerprint: keyFingerprint(this.scbk),
      tamper: this.tamper,
      powerFailure: this.powerFailure,
      busy: this.busy,
      leds: this.leds.map((l) => ({ ...l, temporary: l.temporary && l.temporary.untilMs > now ? l.temporary : null })),
      buzzer: this.buzzer,
      text: this.text,
      pendingEvents: this.events.length,
    };
  }

  // ----- the wire ------------------------------------------------------------------------------

  /**
   * One command packet (check bytes already verified by the framer). Returns the reply's bytes, or
   * undefined when this PD stays silent (another address, a reply on the line).
   */
  handle(packet: DecodedPacket): Buffer | undefined {
    const broadcast = packet.address === BROADCAST_ADDRESS;
    if (packet.direction !== 'command' || (!broadcast && packet.address !== this.addr)) return undefined;
    const now = this.clock.nowMs();
    this.expireSession(now);
    this.lastCommandMs = now;
    const replyAddress = broadcast ? BROADCAST_ADDRESS : this.addr;

    // A busy PD answers osdp_BUSY with sequence number 0 and keeps no state (§7, osdp_BUSY;
    // libosdp phy_check_packet recognises it by SQN 0 and minimum length).
    if (this.busy) return encodePacket({ direction: 'reply', address: replyAddress, sequence: 0, code: encodeReply({ kind: 'BUSY' }).code });

    // Sequence numbers (§5, "Message synchronization"): 0 restarts the link (and silently ends a
    // secure channel); the number of the last command again is a retry, answered with the last
    // reply byte for byte if it is the same command; anything but the next number is NAK 4.
    const sqn = packet.sequence;
    if (sqn === 0) {
      this.seq = -1;
      this.cache = null;
      this.endSession('sequence 0');
      this.handshake = PD_IDLE;
    } else if (sqn === this.seq) {
      if (this.cache && this.cache.code === packet.code) return this.cache.bytes;
      // Same number, another command: libosdp drops its cache and treats it as new (phy_check_packet).
      this.cache = null;
      this.seq = this.seq <= 1 ? 3 : this.seq - 1;
    }
    const expected = nextSequence(this.seq);
    if (sqn !== expected) {
      // The command's MAC was not verified, so the chain cannot go on: the session ends and the
      // NAK goes in clear. libosdp moves its counter to the number it expected (notes from the peer).
      this.endSession('sequence error');
      return this.finish(packet, expected, replyAddress, nak(NakCode.SequenceNumber));
    }
    return this.finish(packet, sqn, replyAddress, this.process(packet, now));
  }

  private process(packet: DecodedPacket, now: number): Outcome {
    const scb = packet.security;
    let data = packet.data;
    let secured = false;
    if (scb) {
      if (scb.type < ScbType.Chlng || scb.type > ScbType.ReplyMacEncrypted) return this.refuse('unknown security block');
      if (carriesMac(scb.type)) {
        if (!this.session) return this.refuse('MAC block without a session');
        const opened = openPacket(packet, this.session.security);
        // Annex D: a MAC that does not verify (or data that does not decrypt) ends the session.
        if (!opened.ok) return this.refuse(opened.reason);
        data = opened.data;
        secured = true;
      }
    } else if (this.session) {
      return this.refuse('plain command inside the secure channel');
    }
    if (this.requireSecure && !secured && !ALLOWED_WITHOUT_SC.has(packet.code)) return nak(NakCode.SecurityCondition);
    this.emit('command', commandName(packet.code));

    const outcome = this.command(packet, data, scb, now);
    if (secured && this.session && outcome.reply.kind !== 'NAK') this.session.lastValidMs = now;
    return outcome;
  }

  private command(packet: DecodedPacket, data: Buffer, scb: SecurityBlock | undefined, now: number): Outcome {
    // Not in the lib's codecs; answered as libosdp's PD does (pd_decode_command).
    if (packet.code === CommandCode.ACURXSIZE) return data.length < 2 ? nak(NakCode.CommandLength) : { reply: { kind: 'ACK' } };
    if (packet.code === CommandCode.KEEPACTIVE) {
      if (data.length < 2) return nak(NakCode.CommandLength);
      if (this.session) this.session.lastValidMs = now + data.readUInt16LE(0);
      return { reply: { kind: 'ACK' } };
    }
    const decoded = decodeCommand(packet.code, data);
    if (!decoded.ok) {
      const reason = decoded.error.reason;
      return nak(reason === 'unknown' ? NakCode.UnknownCommand : reason === 'length' ? NakCode.CommandLength : NakCode.UnableToProcess);
    }
    const command: Command = decoded.value;
    switch (command.kind) {
      case 'POLL': {
        const event = this.events.shift();
        if (!event) return { reply: { kind: 'ACK' } };
        if (event.kind === 'RAW') return { reply: { kind: 'RAW', reader: 0, format: event.format, bitCount: event.bitCount, data: event.data } };
        if (event.kind === 'KEYPAD') return { reply: { kind: 'KEYPAD', reader: 0, keys: event.keys } };
        return { reply: event };
      }
      case 'ID':
        return {
          reply: { kind: 'PDID', vendorCode: VENDOR_CODE, model: 1, version: 1, serialNumber: this.serialNumber, firmware: [1, 0, 0] },
        };
      case 'CAP':
        return { reply: { kind: 'PDCAP', capabilities: capabilities(this.leds.length) } };
      case 'LSTAT':
        return { reply: { kind: 'LSTATR', tamper: Number(this.tamper), power: Number(this.powerFailure) } };
      case 'LED':
        return this.led(command.records, now);
      case 'BUZ': {
        for (const r of command.records) {
          if (r.reader !== 0) return nak(NakCode.UnknownCommand);
          // libosdp validate_command: a tone needs an on time unless it is "off".
          if (r.onTime === 0 && r.tone !== 1) return nak(NakCode.UnableToProcess);
        }
        const last = command.records[command.records.length - 1];
        this.buzzer = last.tone === 1 ? null : { tone: last.tone, onTime: last.onTime, offTime: last.offTime, count: last.count };
        this.emit('output', 'buzzer');
        return { reply: { kind: 'ACK' } };
      }
      case 'TEXT':
        if (command.reader !== 0) return nak(NakCode.UnknownCommand);
        this.text = { command: command.command, row: command.row, column: command.column, text: command.text.toString('latin1') };
        this.emit('output', 'text');
        return { reply: { kind: 'ACK' } };
      case 'COMSET': {
        if (!(BAUD_RATES as readonly number[]).includes(command.baudRate)) return nak(NakCode.UnableToProcess);
        const { address, baudRate } = command;
        // The reply carries the new settings and goes out under the old address; then the PD
        // switches (§6, osdp_COMSET; libosdp applies it after the osdp_COM is sent).
        return {
          reply: { kind: 'COM', address, baudRate },
          after: () => {
            this.addr = address;
            this.baud = baudRate;
            this.persist();
            this.emit('comset', { address, baudRate });
          },
        };
      }
      case 'KEYSET': {
        if (command.keyType !== 1 || command.key.length !== 16) return nak(NakCode.CommandLength);
        if (!this.session) return nak(NakCode.SecurityCondition);
        const key = Buffer.from(command.key);
        // ACK under the old session, then the new key and no session: the ACU sets up again with
        // it (libosdp osdp_pd_update after a KEYSET ACK; docs/osdp-secure-channel.md §Keys).
        return {
          reply: { kind: 'ACK' },
          after: () => {
            this.scbk = key;
            this.install = false;
            this.endSession('new key');
            this.persist();
            this.emit('keyset', keyFingerprint(key));
          },
        };
      }
      case 'CHLNG': {
        if (scb?.type !== ScbType.Chlng) return this.refuse('CHLNG without its security block');
        const keyMode: KeyMode = scb.data[0] === 0x00 ? 'scbk-d' : 'scbk';
        this.endSession('new challenge');
        const step = pdStep(this.pdConfig(), this.handshake, { type: 'chlng', message: { kind: 'CHLNG', keyMode, rndA: command.rndA } });
        if (step.kind !== 'reply') {
          this.handshake = PD_IDLE;
          this.emit('secure', `refused (${step.kind === 'failed' ? step.failure.reason : step.kind})`);
          return nak(step.kind === 'failed' ? (step.nakCode ?? NakCode.SecurityCondition) : NakCode.SecurityCondition);
        }
        this.handshake = step.state;
        const { cUid, rndB, clientCryptogram } = step.message;
        return {
          reply: { kind: 'CCRYPT', clientUid: cUid, rndB, cryptogram: clientCryptogram },
          handshake: { type: ScbType.Ccrypt, data: Buffer.from([keyMode === 'scbk-d' ? 0x00 : 0x01]) },
        };
      }
      case 'SCRYPT': {
        if (scb?.type !== ScbType.Scrypt) return this.refuse('SCRYPT without its security block');
        const keyMode: KeyMode = scb.data[0] === 0x00 ? 'scbk-d' : 'scbk';
        const step = pdStep(this.pdConfig(), this.handshake, { type: 'scrypt', message: { kind: 'SCRYPT', keyMode, serverCryptogram: command.cryptogram } });
        this.handshake = PD_IDLE;
        if (step.kind !== 'established') {
          this.endSession(step.kind === 'failed' ? step.failure.reason : 'unexpected');
          return nak(step.kind === 'failed' ? (step.nakCode ?? NakCode.SecurityCondition) : NakCode.SecurityCondition);
        }
        const session = step.session;
        return {
          reply: { kind: 'RMAC_I', rmac: step.message.rmacI },
          handshake: { type: ScbType.RmacI, data: Buffer.from([0x01]) },
          // The channel is up once RMAC_I (itself sent without a MAC) is out.
          after: () => {
            this.session = { session, security: new SessionSecurity(session), lastValidMs: this.clock.nowMs() };
            this.emit('secure', session.keyMode);
          },
        };
      }
    }
  }

  private led(records: LedRecord[], now: number): Outcome {
    for (const r of records) {
      // libosdp pd_cmd_cap_ok: an LED beyond the declared count is an unknown command (NAK 3).
      if (r.reader !== 0 || r.led >= this.leds.length) return nak(NakCode.UnknownCommand);
      // libosdp validate_command: "set" with both times 0 is refused as a bad record.
      if (r.temporary.control === 2 && r.temporary.onTime === 0 && r.temporary.offTime === 0) return nak(NakCode.UnableToProcess);
      if (r.permanent.control === 1 && r.permanent.onTime === 0 && r.permanent.offTime === 0) return nak(NakCode.UnableToProcess);
    }
    for (const r of records) {
      const led = this.leds[r.led];
      const { control: pc, ...permanent } = r.permanent;
      const { control: tc, timer, ...temporary } = r.temporary;
      if (pc === 1) led.permanent = permanent;
      if (tc === 1) led.temporary = null;
      if (tc === 2) led.temporary = { ...temporary, untilMs: now + timer * 100 };
    }
    this.emit('output', 'led');
    return { reply: { kind: 'ACK' } };
  }

  private pdConfig() {
    // cUID as libosdp builds it (osdp_sc_setup): vendor code, model, version, serial number.
    const cUid = Buffer.from([0x0a, 0xc5, 0x01, 0x01, 0, 0, 0, 0]);
    cUid.writeUInt32LE(this.serialNumber, 4);
    return { scbk: this.scbk, installMode: this.install, cUid, random: this.random };
  }

  /** A security failure: NAK 6 in clear and no more session (Annex D; libosdp osdp_phy_decode_packet). */
  private refuse(why: string): Outcome {
    this.endSession(why);
    return nak(NakCode.SecurityCondition);
  }

  private finish(packet: DecodedPacket, sequence: Sequence, address: number, outcome: Outcome): Buffer {
    const { code, data } = encodeReply(outcome.reply);
    let bytes: Buffer;
    if (outcome.handshake) {
      bytes = encodePacket({ direction: 'reply', address, sequence, security: outcome.handshake, code, data });
    } else if (this.session) {
      // Under a secure channel every reply carries a MAC, and one with data is encrypted (libosdp
      // always uses SCS_18 then; SCS_16 for a reply without data).
      const security = { type: data.length > 0 ? ScbType.ReplyMacEncrypted : ScbType.ReplyMac, data: Buffer.alloc(0) };
      bytes = encodePacket({ direction: 'reply', address, sequence, security, code, data }, this.session.security);
    } else {
      bytes = encodePacket({ direction: 'reply', address, sequence, code, data });
    }
    this.seq = sequence;
    this.cache = { code: packet.code, bytes };
    outcome.after?.();
    return bytes;
  }

  private expireSession(now: number): void {
    if (this.session && now - this.session.lastValidMs > SC_TIMEOUT_MS) this.endSession('timeout');
  }

  private endSession(why: string): void {
    if (!this.session) return;
    this.session = null;
    this.emit('secure', `off (${why})`);
  }

  private persist(): void {
    this.store?.save(this.stateKey, { address: this.addr, baudRate: this.baud, scbk: this.scbk, installMode: this.install });
  }
}
