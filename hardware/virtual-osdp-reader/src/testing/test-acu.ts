import {
  acuBegin,
  acuStep,
  decodePacket,
  decodeReply,
  encodeCommand,
  encodePacket,
  isEncrypted,
  MARK,
  openPacket,
  ReplyCode,
  ScbType,
  SessionSecurity,
  type AcuKey,
  type Command,
  type DecodedPacket,
  type Integrity,
  type RandomSource,
  type Reply,
  type SecureSession,
  type SecurityBlock,
  type Sequence,
} from '@acs/osdp';
import type { VirtualOsdpBus } from '../virtual-osdp-bus.js';

export interface Exchange {
  /** The reply's bytes as they came off the line (mark byte included when sent). */
  bytes: Buffer;
  packet: DecodedPacket;
  /** The reply decoded (after MAC check and decryption under a session). */
  reply: Reply;
  /** Under a session: whether the reply's MAC verified. */
  macOk?: boolean;
}

export interface SendOptions {
  sequence?: Sequence;
  integrity?: Integrity;
  mark?: boolean;
  /** Send in clear even when a session is up (to test the PD's refusal). */
  plain?: boolean;
  /** Handshake security block (CHLNG, SCRYPT). */
  security?: SecurityBlock;
  /** Change the bytes before they go out (e.g. flip a MAC bit and fix the CRC). */
  tamper?: (bytes: Buffer) => Buffer;
}

/**
 * A minimal ACU for the specs: encodes commands with the libs/osdp codecs, keeps one sequence
 * counter and one secure session per PD, feeds the bus and decodes what comes back. It is a test
 * driver, not the product's bus (which lives in libs/osdp).
 */
export class TestAcu {
  readonly output: Buffer[] = [];
  private readonly seq = new Map<number, number>();
  private readonly sessions = new Map<number, { session: SecureSession; security: SessionSecurity }>();

  private readonly bus?: VirtualOsdpBus;
  private readonly line?: (bytes: Buffer) => Promise<Buffer>;

  /**
   * `line`: the bus itself (in-process, synchronous), or a function that writes a command to a real
   * line and resolves with the next reply's bytes (the e2e specs over a pty).
   */
  constructor(
    line: VirtualOsdpBus | ((bytes: Buffer) => Promise<Buffer>),
    private readonly random: RandomSource,
  ) {
    if (typeof line === 'function') this.line = line;
    else {
      this.bus = line;
      line.on('output', (bytes: Buffer) => this.output.push(bytes));
    }
  }

  /** The sequence number the next command to `address` would carry (0 first, then 1, 2, 3, 1...). */
  nextSequence(address: number): Sequence {
    const last = this.seq.get(address);
    return (last === undefined ? 0 : last >= 3 ? 1 : last + 1) as Sequence;
  }

  setSequence(address: number, last: number | undefined): void {
    if (last === undefined) this.seq.delete(address);
    else this.seq.set(address, last);
  }

  dropSession(address: number): void {
    this.sessions.delete(address);
  }

  hasSession(address: number): boolean {
    return this.sessions.has(address);
  }

  /** Raw bytes onto the line; returns what the PDs sent back. */
  feed(bytes: Buffer): Buffer[] {
    if (!this.bus) throw new Error('feed needs the in-process bus');
    const start = this.output.length;
    this.bus.receive(bytes);
    return this.output.slice(start);
  }

  /** Encodes one command packet as {@link send} would, without sending it. */
  build(address: number, command: Command | { code: number; data: Buffer }, options: SendOptions = {}): Buffer {
    const sequence = options.sequence ?? this.nextSequence(address);
    const { code, data } = 'kind' in command ? encodeCommand(command) : command;
    const session = options.plain || options.security ? undefined : this.sessions.get(address);
    let security = options.security;
    if (session) security = { type: data.length > 0 ? ScbType.CommandMacEncrypted : ScbType.CommandMac, data: Buffer.alloc(0) };
    const packet = encodePacket({ direction: 'command', address, sequence, integrity: options.integrity, security, code, data }, session?.security);
    this.seq.set(address, sequence);
    const bytes = options.tamper ? options.tamper(packet) : packet;
    return options.mark ? Buffer.concat([Buffer.from([MARK]), bytes]) : bytes;
  }

  /** One command, exactly one reply expected. */
  send(address: number, command: Command | { code: number; data: Buffer }, options: SendOptions = {}): Exchange {
    const replies = this.feed(this.build(address, command, options));
    if (replies.length !== 1) throw new Error(`expected one reply, got ${replies.length}`);
    return this.read(address === 0x7f ? undefined : address, replies[0]);
  }

  /** One command over whichever line this ACU has; resolves with its reply. */
  async exchange(address: number, command: Command | { code: number; data: Buffer }, options: SendOptions = {}): Promise<Exchange> {
    if (!this.line) return this.send(address, command, options);
    const bytes = await this.line(this.build(address, command, options));
    return this.read(address === 0x7f ? undefined : address, bytes);
  }

  /** Decodes a reply, verifying and decrypting it under the PD's session when it carries a MAC. */
  read(address: number | undefined, bytes: Buffer): Exchange {
    const body = bytes[0] === MARK ? bytes.subarray(1) : bytes;
    const decoded = decodePacket(body, { direction: 'reply' });
    if (decoded.kind !== 'ok') throw new Error(`reply did not decode: ${decoded.kind}`);
    const packet = decoded.packet;
    let data = packet.data;
    let macOk: boolean | undefined;
    const session = address === undefined ? undefined : this.sessions.get(address);
    if (packet.security && packet.mac) {
      if (!session) throw new Error('a MAC-carrying reply without a session');
      const opened = openPacket(packet, session.security);
      macOk = opened.ok;
      if (!opened.ok) throw new Error(`reply refused: ${opened.reason}`);
      data = opened.data;
    } else if (session && packet.code === ReplyCode.NAK) {
      // A NAK in clear means the PD dropped the session (Annex D; libosdp's ACU reads it the same way).
      this.sessions.delete(address!);
    }
    const reply = decodeReply(packet.code, data);
    if (!reply.ok) throw reply.error;
    return { bytes, packet, reply: reply.value, ...(macOk === undefined ? {} : { macOk }) };
  }

  /** The Annex D set-up through the ACU machine of libs/osdp; returns how it ended. */
  async secure(address: number, key: AcuKey): Promise<{ ok: true; session: SecureSession } | { ok: false; reason: string; nak?: number }> {
    this.sessions.delete(address);
    const begin = acuBegin(key, this.random);
    const keyByte = key.keyMode === 'scbk-d' ? 0x00 : 0x01;
    const chlng = await this.exchange(
      address,
      { kind: 'CHLNG', rndA: begin.message.rndA },
      { security: { type: ScbType.Chlng, data: Buffer.from([keyByte]) } },
    );
    let step =
      chlng.reply.kind === 'CCRYPT'
        ? acuStep(begin.state, {
            type: 'ccrypt',
            message: { kind: 'CCRYPT', keyMode: key.keyMode, cUid: chlng.reply.clientUid, rndB: chlng.reply.rndB, clientCryptogram: chlng.reply.cryptogram },
          })
        : acuStep(begin.state, { type: 'reply', code: chlng.packet.code, nakCode: chlng.reply.kind === 'NAK' ? chlng.reply.error : undefined });
    if (step.kind !== 'send')
      return { ok: false, reason: step.kind === 'failed' ? step.failure.reason : step.kind, nak: chlng.reply.kind === 'NAK' ? chlng.reply.error : undefined };
    const scrypt = await this.exchange(
      address,
      { kind: 'SCRYPT', cryptogram: step.message.serverCryptogram },
      { security: { type: ScbType.Scrypt, data: Buffer.from([keyByte]) } },
    );
    step =
      scrypt.reply.kind === 'RMAC_I'
        ? acuStep(step.state, { type: 'rmac_i', message: { kind: 'RMAC_I', accepted: scrypt.packet.security?.data[0] === 0x01, rmacI: scrypt.reply.rmac } })
        : acuStep(step.state, { type: 'reply', code: scrypt.packet.code, nakCode: scrypt.reply.kind === 'NAK' ? scrypt.reply.error : undefined });
    if (step.kind !== 'established') return { ok: false, reason: step.kind === 'failed' ? step.failure.reason : step.kind };
    this.sessions.set(address, { session: step.session, security: new SessionSecurity(step.session) });
    return { ok: true, session: step.session };
  }
}

/** Whether a reply's security block says its data is encrypted. */
export function encrypted(exchange: Exchange): boolean {
  return exchange.packet.security !== undefined && isEncrypted(exchange.packet.security.type);
}
