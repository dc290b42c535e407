/**
 * The control panel (ACU) side of an OSDP v2.2 multi-drop line (IEC 60839-11-5).
 * Facts and figures: docs/osdp.md §The bus (ACU side). One loop owns the line: it serves the PDs
 * in turn, one command on the wire at a time (RS-485 is half duplex and only the ACU starts an
 * exchange: OSDP v2.2 section 5), and waits for that command's
 * reply or its timeout before the next. Per PD: sequence numbers, bring-up (ID, CAP, secure
 * channel), a queue of application commands, offline detection and recovery.
 */
import { EventEmitter } from 'node:events';
import type { Clock } from '@acs/clock';
import { encodeCommand } from '../commands.js';
import { INTER_BYTE_TIMEOUT_MS, OsdpFramer, type OsdpFramerDrop } from '../framer.js';
import { encodePacket, openPacket, ScbType, withMark, type DecodedPacket, type Sequence } from '../packet.js';
import { decodeReply, NakCode, ReplyCode, type Reply } from '../replies.js';
import { cryptoRandom } from '../secure/keys.js';
import { PdSession, type Job, type PendingCommand } from './pd-session.js';
import { SecureChannelSetup } from './secure-setup.js';
import { systemTimers, type OsdpTimer, type OsdpTimers } from './timers.js';
import { createOsdpTransport, type OsdpTransport } from './transport.js';
import { EXPECTED_REPLY, keypadText, QUEUEABLE } from './replies-map.js';
import { OsdpCommandError, type BusDropKind, type OsdpBusEvents, type OsdpBusOptions, type QueuedCommand } from './types.js';

/** Spec reply timeout (docs/osdp.md §Physical layer; libosdp OSDP_RESP_TOUT_MS). */
export const REPLY_TIMEOUT_MS = 200;
/** Spec offline time (libosdp OSDP_PD_ONLINE_TOUT_MS). */
export const OFFLINE_AFTER_MS = 8000;
interface Waiter {
  address: number;
  sequence: Sequence;
  resolve: (packet: DecodedPacket | undefined) => void;
}

export class OsdpBus extends EventEmitter<OsdpBusEvents> {
  private readonly transport: OsdpTransport;
  private readonly clock: Clock;
  private readonly timers: OsdpTimers;
  private readonly setup: SecureChannelSetup;
  private readonly pds: PdSession[];
  private readonly byAddress = new Map<number, PdSession>();
  private readonly framer: OsdpFramer;
  private readonly replyTimeoutMs: number;
  private readonly attempts: number;
  private readonly offlineAfterMs: number;
  private readonly pollIntervalMs: number;
  private readonly busyRetryMs: number;
  private readonly backoff: { initialDelayMs: number; maxDelayMs: number; factor: number };
  private readonly dropCounts = new Map<string, number>();
  private waiter?: Waiter;
  private running?: Promise<void>;
  private closed = false;
  private wake?: () => void;
  private gapTimer?: OsdpTimer;
  /** The job of the exchange in progress, so that an unexpected error can still settle its promise. */
  private current?: Job;
  /** Packets written so far: a round that wrote none only waited out osdp_BUSY (see loop). */
  private writes = 0;

  constructor(options: OsdpBusOptions) {
    super();
    if (options.transport) this.transport = options.transport;
    else if (options.path) this.transport = createOsdpTransport(options.path, { baudRate: options.baudRate });
    else throw new TypeError('OsdpBus needs "path" or "transport"');
    if (options.pds.length === 0) throw new TypeError('OsdpBus needs at least one PD');
    this.clock = options.clock;
    this.timers = options.timers ?? systemTimers;
    this.setup = new SecureChannelSetup(options.keys ?? (() => undefined), options.random ?? cryptoRandom, {
      secure: (state) => this.emit('secure', state),
      alarm: (alarm) => this.emit('alarm', alarm),
    });
    this.replyTimeoutMs = options.replyTimeoutMs ?? REPLY_TIMEOUT_MS;
    this.attempts = 1 + (options.retries ?? 2);
    this.offlineAfterMs = options.offlineAfterMs ?? OFFLINE_AFTER_MS;
    this.pollIntervalMs = options.pollIntervalMs ?? 50;
    if (!(this.pollIntervalMs >= 0)) throw new RangeError(`pollIntervalMs must be 0 or more, got ${this.pollIntervalMs}`);
    this.busyRetryMs = options.busyRetryMs ?? 800;
    this.backoff = { initialDelayMs: 250, maxDelayMs: 10_000, factor: 2, ...options.reconnect };
    const now = this.clock.nowMs();
    this.pds = options.pds.map((pd) => new PdSession(pd, now));
    for (const pd of this.pds) {
      if (this.byAddress.has(pd.address)) throw new TypeError(`OSDP PD address ${pd.address} is configured twice`);
      this.byAddress.set(pd.address, pd);
    }
    this.framer = new OsdpFramer({
      clock: this.clock,
      direction: 'reply',
      addresses: new Set(this.byAddress.keys()),
      maxPacketLength: options.maxPacketLength,
    });
    this.framer.on('data', (packet: DecodedPacket) => this.onPacket(packet));
    this.framer.on('drop', (drop: OsdpFramerDrop) => this.drop(drop.kind));
    this.transport.on('data', (chunk: Buffer) => this.onBytes(chunk));
    this.transport.on('close', () => {
      this.emit('transport', { state: 'closed' });
      this.waiter?.resolve(undefined);
      this.wake?.();
    });
  }

  /** Starts the loop (opens the transport, reconnecting with backoff). */
  start(): void {
    this.running ??= this.loop();
  }

  /** Stops polling, fails queued commands with 'closed' and closes the transport. */
  async close(): Promise<void> {
    this.closed = true;
    this.waiter?.resolve(undefined);
    this.wake?.();
    for (const pd of this.pds) pd.rejectAll('closed');
    this.gapTimer?.cancel();
    await this.running;
    await this.transport.close();
  }

  /** Queues a command for one PD; settles with its reply, or an {@link OsdpCommandError}. */
  send(address: number, command: QueuedCommand): Promise<Reply> {
    const pd = this.byAddress.get(address);
    if (!pd) return Promise.reject(new RangeError(`OSDP PD ${address} is not on this bus`));
    if (!QUEUEABLE.has(command.kind)) return Promise.reject(new TypeError(`OSDP ${command.kind} is not a queueable command`));
    try {
      // A command that cannot be encoded (a text too long, a byte out of range) is the caller's
      // error: refuse it here rather than inside the loop that owns the line.
      encodeCommand(command);
    } catch (err) {
      return Promise.reject(err as Error);
    }
    if (this.closed) return Promise.reject(new OsdpCommandError('closed', address, command.kind));
    if (!pd.online) return Promise.reject(new OsdpCommandError('offline', address, command.kind));
    if (pd.untrusted !== undefined) return Promise.reject(new OsdpCommandError('untrusted', address, command.kind));
    return new Promise<Reply>((resolve, reject) => {
      pd.queue.push({ command, resolve, reject });
    });
  }

  /** Gives the PD a new SCBK with osdp_KEYSET under the secure channel, then sets the channel up again with it. */
  setKey(address: number, scbk: Uint8Array): Promise<Reply> {
    if (scbk.length !== 16) return Promise.reject(new RangeError('an SCBK is 16 bytes (OSDP v2.2 Annex D)'));
    return this.send(address, { kind: 'KEYSET', keyType: 1, key: Buffer.from(scbk) });
  }

  /** Drops counted per kind (framer and bus), for metrics. */
  drops(): Record<string, number> {
    return Object.fromEntries(this.dropCounts);
  }

  /** A snapshot per PD for status pages; no keys, no card data. */
  status(): { address: number; online: boolean; phase: string; secure: string; trusted: boolean }[] {
    return this.pds.map((pd) => ({
      address: pd.address,
      online: pd.online,
      phase: pd.phase,
      secure: pd.security ? pd.security.keyMode : 'plain',
      trusted: pd.untrusted === undefined,
    }));
  }

  private drop(kind: OsdpFramerDrop['kind'] | BusDropKind, address?: number): void {
    this.dropCounts.set(kind, (this.dropCounts.get(kind) ?? 0) + 1);
    this.emit('drop', address === undefined ? { kind } : { kind, address });
  }

  // -------------------------------------------------------------------------------------------
  // The loop
  // -------------------------------------------------------------------------------------------

  private async loop(): Promise<void> {
    let delay = this.backoff.initialDelayMs;
    while (!this.closed) {
      if (!this.transport.isOpen) {
        try {
          await this.transport.open();
          this.framer.reset();
          delay = this.backoff.initialDelayMs;
          this.emit('transport', { state: 'open' });
        } catch (err) {
          this.emit('transport', { state: 'closed', error: (err as Error).message });
          this.checkOffline('transport-closed');
          await this.pause(delay);
          delay = Math.min(delay * this.backoff.factor, this.backoff.maxDelayMs);
        }
        continue;
      }
      const started = this.clock.nowMs();
      const writesBefore = this.writes;
      for (const pd of this.pds) {
        if (this.closed || !this.transport.isOpen) break;
        try {
          this.current = undefined;
          await this.service(pd);
        } catch {
          const job = this.current;
          if (job?.purpose === 'queued') job.pending.reject(new OsdpCommandError('internal', pd.address, job.command.kind));
          // A throwing key provider or a packet that cannot be built must not stop the other PDs;
          // this PD starts over (the error is counted, its text may name a key store and is not kept).
          this.drop('internal-error', pd.address);
          this.lostSession(pd, 'internal error');
          pd.restart();
        }
        this.checkOffline('no-reply');
      }
      const now = this.clock.nowMs();
      let rest = this.pollIntervalMs - (now - started);
      // A round that wrote nothing (every PD waiting out osdp_BUSY) awaited no I/O: without a
      // minimum round time the loop would spin on resolved promises and starve the event loop.
      if (this.writes === writesBefore) rest = Math.max(rest, (this.nextHeldAt() ?? now) - now, 1);
      if (rest > 0 && !this.closed) await this.pause(rest);
    }
  }

  /** When the earliest packet held after osdp_BUSY may go again. */
  private nextHeldAt(): number | undefined {
    let at: number | undefined;
    for (const pd of this.pds) if (pd.held && (at === undefined || pd.held.notBefore < at)) at = pd.held.notBefore;
    return at;
  }

  /** Sleeps, but wakes early on close or a transport close. */
  private pause(ms: number): Promise<void> {
    // close() may have come while the loop awaited something else (a transport open that then
    // failed): it woke nobody then, so do not start a reconnect backoff of up to 10 s now.
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = this.timers.set(ms, () => done());
      const done = (): void => {
        timer.cancel();
        this.wake = undefined;
        resolve();
      };
      this.wake = done;
    });
  }

  private checkOffline(reason: 'no-reply' | 'transport-closed'): void {
    const now = this.clock.nowMs();
    for (const pd of this.pds) {
      if (!pd.online || now - pd.lastReplyAt < this.offlineAfterMs) continue;
      pd.online = false;
      this.lostSession(pd, 'offline');
      pd.rejectAll('offline');
      pd.restart();
      this.emit('offline', { address: pd.address, reason });
    }
  }

  private lostSession(pd: PdSession, reason: string): void {
    if (pd.security) this.emit('secure', { address: pd.address, state: 'lost', reason });
  }

  /** One exchange with one PD: a held (BUSY) packet, a bring-up step, a queued command or a poll. */
  private async service(pd: PdSession): Promise<void> {
    const now = this.clock.nowMs();
    let job: Job;
    let bytes: Buffer;
    let sequence: Sequence;
    if (pd.held) {
      if (now < pd.held.notBefore) return;
      ({ job, bytes, sequence } = pd.held);
      pd.held = undefined;
      this.current = job;
    } else {
      const next = await this.nextJob(pd);
      if (!next) return;
      job = next;
      sequence = pd.nextSequence();
      this.current = job;
      bytes = this.encode(pd, job, sequence);
      pd.commitSequence(sequence);
    }
    // An offline PD gets one attempt per round, so that a dead reader does not slow the others.
    const reply = await this.exchange(pd, bytes, sequence, pd.online ? this.attempts : 1);
    if (!reply) return this.noReply(pd, job);
    pd.lastReplyAt = this.clock.nowMs();
    if (!pd.online) {
      pd.online = true;
      this.emit('online', { address: pd.address });
    }
    // osdp_BUSY: the PD could not take the command now; the same packet goes again later (§7 osdp_BUSY).
    if (reply.code === ReplyCode.BUSY && !reply.security) {
      pd.held = { job, bytes, sequence, notBefore: this.clock.nowMs() + this.busyRetryMs };
      return;
    }
    const data = this.open(pd, reply);
    if (!data) return this.requeue(pd, job);
    const decoded = decodeReply(reply.code, data);
    if (!decoded.ok) {
      this.drop('bad-payload', pd.address);
      if (job.purpose === 'queued') job.pending.reject(new OsdpCommandError('unexpected-reply', pd.address, job.command.kind));
      return;
    }
    await this.handleReply(pd, job, decoded.value, reply);
  }

  private async nextJob(pd: PdSession): Promise<Job | undefined> {
    switch (pd.phase) {
      case 'identify':
        return { purpose: 'identify', command: { kind: 'ID', replyType: 0 } };
      case 'capabilities':
        return { purpose: 'capabilities', command: { kind: 'CAP', replyType: 0 } };
      case 'secure':
        // undefined: no key for this PD, which now goes on in plain ('ready').
        return (await this.setup.job(pd)) ?? this.nextJob(pd);
      case 'ready':
        break;
    }
    const pending = pd.queue.shift();
    if (!pending) return { purpose: 'poll', command: { kind: 'POLL' } };
    const { command } = pending;
    if (command.kind === 'KEYSET' && !pd.security) {
      pending.reject(new OsdpCommandError('not-secure', pd.address, command.kind));
      return this.nextJob(pd);
    }
    if (pd.mode === 'required' && !pd.security) {
      pending.reject(new OsdpCommandError('not-secure', pd.address, command.kind));
      return this.nextJob(pd);
    }
    return { purpose: 'queued', command, pending };
  }

  private encode(pd: PdSession, job: Job, sequence: Sequence): Buffer {
    const { code, data } = encodeCommand(job.command);
    const base = { direction: 'command' as const, address: pd.address, sequence, integrity: pd.integrity, code, data };
    if (job.purpose === 'chlng') return withMark(encodePacket({ ...base, security: { type: ScbType.Chlng, data: Buffer.from([job.keyByte]) } }));
    if (job.purpose === 'scrypt') return withMark(encodePacket({ ...base, security: { type: ScbType.Scrypt, data: Buffer.from([job.keyByte]) } }));
    if (!pd.security) return withMark(encodePacket(base));
    // Annex D: data is encrypted (0x17) whenever there is any; a command without data is MAC-only (0x15).
    const type = data.length > 0 ? ScbType.CommandMacEncrypted : ScbType.CommandMac;
    return withMark(encodePacket({ ...base, security: { type, data: Buffer.alloc(0) } }, pd.security));
  }

  private async exchange(pd: PdSession, bytes: Buffer, sequence: Sequence, attempts: number): Promise<DecodedPacket | undefined> {
    for (let attempt = 0; attempt < attempts && !this.closed; attempt++) {
      const reply = new Promise<DecodedPacket | undefined>((resolve) => {
        const timer = this.timers.set(this.replyTimeoutMs, () => {
          // A reply cut off mid-packet is dropped now rather than when the next bytes arrive.
          this.framer.tick();
          finish(undefined);
        });
        const finish = (packet: DecodedPacket | undefined): void => {
          timer.cancel();
          if (this.waiter?.resolve === finish) this.waiter = undefined;
          resolve(packet);
        };
        this.waiter = { address: pd.address, sequence, resolve: finish };
      });
      try {
        this.writes++;
        await this.transport.write(bytes);
      } catch {
        this.waiter?.resolve(undefined);
        return undefined;
      }
      const packet = await reply;
      if (packet || !this.transport.isOpen) return packet;
    }
    return undefined;
  }

  private onBytes(chunk: Buffer): void {
    this.framer.write(chunk);
    this.gapTimer?.cancel();
    this.gapTimer = undefined;
    // Garbage with a SOM and a plausible LEN can swallow the reply that follows it; the framer finds
    // the reply in the held bytes once the line has been quiet for the inter-character timeout
    // (§5, 20 ms), so look then rather than only at the 200 ms reply timeout.
    if (this.framer.pending > 0) this.gapTimer = this.timers.set(INTER_BYTE_TIMEOUT_MS + 1, () => this.framer.tick());
  }

  private onPacket(packet: DecodedPacket): void {
    const waiter = this.waiter;
    if (!waiter || packet.address !== waiter.address) return this.drop('unsolicited', packet.address);
    // libosdp's osdp_BUSY carries SQN 0 (docs/osdp.md §Sequence numbers); every other reply echoes ours.
    if (packet.sequence !== waiter.sequence && packet.code !== ReplyCode.BUSY) return this.drop('wrong-sequence', packet.address);
    waiter.resolve(packet);
  }

  private noReply(pd: PdSession, job: Job): void {
    // The PD may or may not have acted on the lost command; restarting at SQN 0 (and setting the
    // secure channel up again) puts both ends back in step. libosdp's ACU also starts a PD over
    // at SQN 0 once its retries are spent, after first declaring it offline (src/osdp_cp.c).
    this.lostSession(pd, 'no reply');
    pd.restart();
    const code = this.closed ? 'closed' : pd.online ? 'timeout' : 'offline';
    if (job.purpose === 'queued') job.pending.reject(new OsdpCommandError(code, pd.address, job.command.kind));
  }

  /** Verifies and decrypts a reply under the PD's secure channel; undefined when the channel broke. */
  private open(pd: PdSession, reply: DecodedPacket): Buffer | undefined {
    const sealed = reply.security !== undefined && reply.security.type >= ScbType.CommandMac;
    if (!pd.security) {
      if (!sealed) return reply.data;
      this.drop('bad-mac', pd.address);
    } else if (!sealed) {
      this.drop('plain-under-sc', pd.address);
    } else {
      const opened = openPacket(reply, pd.security);
      if (opened.ok) return opened.data;
      this.drop('bad-mac', pd.address);
    }
    this.lostSession(pd, 'bad or missing MAC');
    pd.restart();
    return undefined;
  }

  /** A command that could not be answered because the channel broke goes first after the restart. */
  private requeue(pd: PdSession, job: Job): void {
    if (job.purpose === 'queued') pd.queue.unshift(job.pending);
  }

  // -------------------------------------------------------------------------------------------
  // Replies
  // -------------------------------------------------------------------------------------------

  private async handleReply(pd: PdSession, job: Job, reply: Reply, packet: DecodedPacket): Promise<void> {
    this.deliverEvents(pd, reply);
    if (reply.kind === 'NAK' && reply.error === NakCode.SequenceNumber) {
      // The PD lost step with us (it already moved its counter, per libosdp): start it over at SQN 0.
      this.lostSession(pd, 'sequence number refused');
      pd.restart();
      return this.requeue(pd, job);
    }
    switch (job.purpose) {
      case 'identify':
        if (reply.kind === 'PDID') pd.pdid = reply;
        pd.phase = 'capabilities';
        return;
      case 'capabilities':
        if (reply.kind === 'PDCAP') pd.caps = reply.capabilities;
        pd.phase = pd.wantsSecure() && pd.untrusted === undefined && !pd.noKey ? 'secure' : 'ready';
        return;
      case 'chlng':
      case 'scrypt':
        return this.setup.reply(pd, reply, packet);
      case 'queued':
        return this.settle(pd, job.pending, reply);
      case 'poll':
        if (reply.kind === 'NAK' && reply.error === NakCode.SecurityCondition && !pd.security && pd.mode !== 'off' && pd.untrusted === undefined && !pd.noKey) {
          // The PD insists on the secure channel (libosdp OSDP_FLAG_ENFORCE_SECURE answers NAK 6).
          pd.phase = 'secure';
        } else if (!['ACK', 'NAK', 'RAW', 'FMT', 'KEYPAD', 'LSTATR'].includes(reply.kind)) {
          this.emit('reply', { address: pd.address, reply });
        }
        return;
    }
  }

  private settle(pd: PdSession, pending: PendingCommand, reply: Reply): void {
    const { command } = pending;
    if (reply.kind === 'NAK') {
      if (reply.error === NakCode.SecurityCondition && !pd.security && pd.mode !== 'off' && pd.untrusted === undefined && !pd.noKey) {
        pd.phase = 'secure';
      }
      return pending.reject(new OsdpCommandError('nak', pd.address, command.kind, reply.error));
    }
    if (reply.kind !== EXPECTED_REPLY[command.kind]) return pending.reject(new OsdpCommandError('unexpected-reply', pd.address, command.kind));
    if (command.kind === 'KEYSET') {
      // libosdp's PD acknowledges under the old session, then takes the new key and drops the
      // channel: set it up again with the new key (docs/osdp.md §The bus).
      pd.newKey = Buffer.from(command.key);
      pd.installMode = false;
      this.lostSession(pd, 'new key');
      pd.security = undefined;
      pd.phase = 'secure';
    }
    pending.resolve(reply);
  }

  private deliverEvents(pd: PdSession, reply: Reply): void {
    const security = pd.security ? pd.security.keyMode : 'plain';
    const { address } = pd;
    switch (reply.kind) {
      case 'RAW':
      case 'FMT':
        if (pd.untrusted !== undefined) return this.drop('untrusted-card', address);
        if (reply.kind === 'RAW') {
          this.emit('card', { address, reader: reply.reader, format: reply.format, bitCount: reply.bitCount, data: reply.data, security });
        } else {
          this.emit('card', { address, reader: reply.reader, format: 'fmt', bitCount: reply.text.length * 8, data: reply.text, security });
        }
        return;
      case 'KEYPAD':
        if (pd.untrusted !== undefined) return this.drop('untrusted-keypad', address);
        this.emit('keypad', { address, reader: reply.reader, keys: keypadText(reply.keys), security });
        return;
      case 'LSTATR': {
        const tamper = reply.tamper !== 0;
        this.emit('status', { address, tamper, powerFailure: reply.power !== 0 });
        if (tamper && !pd.lastTamper) this.emit('alarm', { address, class: 'tamper', source: 'local-status', reason: 'tamper switch' });
        pd.lastTamper = tamper;
        return;
      }
      default:
        return;
    }
  }
}
