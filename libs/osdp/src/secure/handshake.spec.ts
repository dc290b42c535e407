import { describe, expect, it } from '@jest/globals';
import { decryptData, encryptData } from './cipher.js';
import {
  acuBegin,
  type AcuKey,
  type AcuState,
  acuStep,
  type HandshakeFailure,
  PD_IDLE,
  type PdConfig,
  type PdState,
  pdStep,
  REPLY_NAK,
  type SecureSession,
} from './handshake.js';
import type { RandomSource } from './keys.js';
import type { Direction } from './mac.js';
import { ANNEX_E } from './testing/annex-e.js';
import { hex } from './testing/openssl.js';

/** Hands out the given values in order, so RND.A and RND.B are fixed. */
function fixedRandom(...values: Buffer[]): RandomSource {
  return (length) => {
    const next = values.shift();
    if (!next || next.length !== length) throw new Error(`test random source: no ${length}-byte value queued`);
    return next;
  };
}

const SCBK = hex('8A1F3C5D7E902B4C6D8E0F1A2B3C4D5E');
const CUID = hex('5C26230000000102');
const pdConfig = (overrides: Partial<PdConfig> = {}): PdConfig => ({
  scbk: SCBK,
  installMode: false,
  cUid: CUID,
  random: fixedRandom(ANNEX_E.rndB),
  ...overrides,
});

/** Runs the whole set-up between an ACU and a PD machine and returns both sessions. */
function handshake(key: AcuKey, config: PdConfig): { acu: SecureSession; pd: SecureSession } {
  const begun = acuBegin(key, fixedRandom(ANNEX_E.rndA));
  const ccrypt = pdStep(config, PD_IDLE, { type: 'chlng', message: begun.message });
  if (ccrypt.kind !== 'reply') throw new Error(`PD failed at CHLNG: ${ccrypt.kind}`);
  const scrypt = acuStep(begun.state, { type: 'ccrypt', message: ccrypt.message });
  if (scrypt.kind !== 'send') throw new Error(`ACU failed at CCRYPT: ${scrypt.kind}`);
  const rmacI = pdStep(config, ccrypt.state, { type: 'scrypt', message: scrypt.message });
  if (rmacI.kind !== 'established') throw new Error(`PD failed at SCRYPT: ${rmacI.kind}`);
  const done = acuStep(scrypt.state, { type: 'rmac_i', message: rmacI.message });
  if (done.kind !== 'established') throw new Error(`ACU failed at RMAC_I: ${done.kind}`);
  return { acu: done.session, pd: rmacI.session };
}

describe('secure channel set-up: Annex E example end to end', () => {
  it('ACU and PD exchange exactly the Annex E cryptograms and initial R-MAC under SCBK-D in install mode', () => {
    const config = pdConfig({ scbk: null, installMode: true });
    const begun = acuBegin({ keyMode: 'scbk-d', installMode: true }, fixedRandom(ANNEX_E.rndA));
    expect(begun.message).toEqual({ kind: 'CHLNG', keyMode: 'scbk-d', rndA: ANNEX_E.rndA });
    const ccrypt = pdStep(config, PD_IDLE, { type: 'chlng', message: begun.message });
    expect(ccrypt.kind === 'reply' && ccrypt.message).toEqual({
      kind: 'CCRYPT',
      keyMode: 'scbk-d',
      cUid: CUID,
      rndB: ANNEX_E.rndB,
      clientCryptogram: ANNEX_E.clientCryptogram,
    });
    if (ccrypt.kind !== 'reply') return;
    const scrypt = acuStep(begun.state, { type: 'ccrypt', message: ccrypt.message });
    expect(scrypt.kind === 'send' && scrypt.message.serverCryptogram).toEqual(ANNEX_E.serverCryptogram);
    if (scrypt.kind !== 'send') return;
    const rmacI = pdStep(config, ccrypt.state, { type: 'scrypt', message: scrypt.message });
    expect(rmacI.kind === 'established' && rmacI.message).toEqual({ kind: 'RMAC_I', accepted: true, rmacI: ANNEX_E.rmacI });
    if (rmacI.kind !== 'established') return;
    const done = acuStep(scrypt.state, { type: 'rmac_i', message: rmacI.message });
    expect(done.kind).toBe('established');
    if (done.kind !== 'established') return;
    expect(done.session.keyMode).toBe('scbk-d');
    expect(done.session.keys).toEqual({ sEnc: ANNEX_E.sEnc, sMac1: ANNEX_E.sMac1, sMac2: ANNEX_E.sMac2 });
    expect(done.session.cUid).toEqual(CUID);
    expect(rmacI.session.keys).toEqual(done.session.keys);
  });
});

// A secured packet as the packet layer will build it (CRC left out: it is computed after the MAC
// and is not secure-channel business): header, SCB 02 15..18, code, data (encrypted for 17/18), MAC.
function seal(session: SecureSession, direction: Direction, code: number, data: Buffer, encrypt: boolean): Buffer {
  const scbType = (direction === 'command' ? 0x15 : 0x16) + (encrypt ? 2 : 0);
  const body = encrypt ? encryptData(session.keys.sEnc, session.chain.cipherMac(direction), data) : data;
  const length = 8 + body.length + 4 + 2;
  const header = [0x53, direction === 'command' ? 0x01 : 0x81, length & 0xff, length >> 8, 0x0d, 0x02, scbType, code];
  const message = Buffer.concat([Buffer.from(header), body]);
  return Buffer.concat([message, session.chain.sign(direction, message).carried]);
}

function open(session: SecureSession, direction: Direction, packet: Buffer): Buffer {
  const message = packet.subarray(0, -4);
  const cipherMac = session.chain.cipherMac(direction);
  if (!session.chain.verify(direction, message, packet.subarray(-4))) throw new Error('MAC refused');
  const body = message.subarray(8);
  return packet[6] >= 0x17 ? decryptData(session.keys.sEnc, cipherMac, body) : body;
}

describe('secured traffic after the set-up', () => {
  it('carries MAC-only and encrypted packets both ways, the chain kept in step', () => {
    const { acu, pd } = handshake({ keyMode: 'scbk', scbk: SCBK }, pdConfig());
    expect(acu.keyMode).toBe('scbk');
    const exchanges: [number, Buffer, boolean, number, Buffer, boolean][] = [
      [0x60, Buffer.alloc(0), false, 0x40, Buffer.alloc(0), false],
      [0x69, hex('0001010A0A0102000000000000'), true, 0x40, Buffer.alloc(0), false],
      [0x60, Buffer.alloc(0), false, 0x50, hex('00010020 0123456789ABCDEF0123456789ABCDEF'), true],
      [0x6b, Buffer.from('WELCOME TO SUITE 4'), true, 0x53, hex('0004 31323334'), true],
    ];
    for (const [command, commandData, encryptCommand, reply, replyData, encryptReply] of exchanges) {
      const sent = seal(acu, 'command', command, commandData, encryptCommand);
      expect(encryptCommand && sent.includes(commandData)).toBe(false);
      expect(open(pd, 'command', sent)).toEqual(commandData);
      const answered = seal(pd, 'reply', reply, replyData, encryptReply);
      expect(open(acu, 'reply', answered)).toEqual(replyData);
    }
  });

  it.each([
    ['the MAC', -1],
    ['the encrypted data', 12],
    ['the header (address)', 1],
  ])('refuses a packet with a flipped bit in %s', (_name, index) => {
    const { acu, pd } = handshake({ keyMode: 'scbk', scbk: SCBK }, pdConfig());
    const sent = seal(acu, 'command', 0x69, hex('0001010A0A0102000000000000'), true);
    const tampered = Buffer.from(sent);
    tampered[index < 0 ? tampered.length + index : index] ^= 0x04;
    expect(() => open(pd, 'command', tampered)).toThrow('MAC refused');
    expect(open(pd, 'command', sent)).toEqual(hex('0001010A0A0102000000000000'));
  });
});

describe('secure channel set-up failures', () => {
  const ccryptFor = (config: PdConfig, state: AcuState, rndA: Buffer) => {
    const reply = pdStep(config, PD_IDLE, { type: 'chlng', message: { kind: 'CHLNG', keyMode: state.phase === 'failed' ? 'scbk' : state.keyMode, rndA } });
    if (reply.kind !== 'reply') throw new Error('PD refused CHLNG');
    return reply;
  };
  const begin = () => acuBegin({ keyMode: 'scbk', scbk: SCBK }, fixedRandom(ANNEX_E.rndA));
  const flip = (bytes: Buffer, index = 0): Buffer => {
    const copy = Buffer.from(bytes);
    copy[index] ^= 0x01;
    return copy;
  };

  type Case = [string, () => HandshakeFailure | undefined, Partial<HandshakeFailure>];
  const cases: Case[] = [
    [
      'tampered client cryptogram',
      () => {
        const { state } = begin();
        const { message } = ccryptFor(pdConfig(), state, ANNEX_E.rndA);
        const step = acuStep(state, { type: 'ccrypt', message: { ...message, clientCryptogram: flip(message.clientCryptogram, 15) } });
        return step.kind === 'failed' ? step.failure : undefined;
      },
      { reason: 'cryptogram_mismatch', alarm: 'tamper' },
    ],
    [
      'a PD swapped for one with another key',
      () => {
        const { state } = begin();
        const { message } = ccryptFor(pdConfig({ scbk: flip(SCBK) }), state, ANNEX_E.rndA);
        const step = acuStep(state, { type: 'ccrypt', message });
        return step.kind === 'failed' ? step.failure : undefined;
      },
      { reason: 'cryptogram_mismatch', alarm: 'tamper', keyMode: 'scbk' },
    ],
    [
      'the PD answers CHLNG with NAK',
      () => {
        const step = acuStep(begin().state, { type: 'reply', code: REPLY_NAK, nakCode: 5 });
        return step.kind === 'failed' ? step.failure : undefined;
      },
      { reason: 'challenge_refused', alarm: 'tamper', nakCode: 5 },
    ],
    [
      'the PD answers CHLNG with ACK',
      () => {
        const step = acuStep(begin().state, { type: 'reply', code: 0x40 });
        return step.kind === 'failed' ? step.failure : undefined;
      },
      { reason: 'unexpected_reply', alarm: 'tamper' },
    ],
    [
      'a short client cryptogram',
      () => {
        const { state } = begin();
        const { message } = ccryptFor(pdConfig(), state, ANNEX_E.rndA);
        const step = acuStep(state, { type: 'ccrypt', message: { ...message, clientCryptogram: message.clientCryptogram.subarray(0, 15) } });
        return step.kind === 'failed' ? step.failure : undefined;
      },
      { reason: 'malformed', alarm: 'tamper' },
    ],
    [
      'no CCRYPT before the deadline',
      () => {
        const step = acuStep(begin().state, { type: 'timeout' });
        return step.kind === 'failed' ? step.failure : undefined;
      },
      { reason: 'timeout', alarm: 'offline' },
    ],
  ];

  it.each(cases)('ACU: %s', (_name, run, expected) => {
    expect(run()).toMatchObject(expected);
  });

  function toRmacI(pdOverrides: Partial<PdConfig> = {}) {
    const config = pdConfig(pdOverrides);
    const { state } = begin();
    const ccrypt = ccryptFor(config, state, ANNEX_E.rndA);
    const scrypt = acuStep(state, { type: 'ccrypt', message: ccrypt.message });
    if (scrypt.kind !== 'send') throw new Error('ACU refused CCRYPT');
    return { config, pdState: ccrypt.state, acuState: scrypt.state, scrypt: scrypt.message };
  }

  it('PD refuses a tampered server cryptogram with NAK 6, and the ACU reads that NAK as refusal', () => {
    const { config, pdState, acuState, scrypt } = toRmacI();
    const pd = pdStep(config, pdState, { type: 'scrypt', message: { ...scrypt, serverCryptogram: flip(scrypt.serverCryptogram, 7) } });
    expect(pd).toMatchObject({ kind: 'failed', nakCode: 6, failure: { reason: 'cryptogram_mismatch', alarm: 'tamper' } });
    const acu = acuStep(acuState, { type: 'reply', code: REPLY_NAK, nakCode: 6 });
    expect(acu).toMatchObject({ kind: 'failed', failure: { reason: 'server_cryptogram_refused', nakCode: 6 } });
  });

  it.each([
    ['a tampered initial R-MAC', (rmacI: Buffer) => ({ accepted: true, rmacI: flip(rmacI, 3) }), 'rmac_mismatch'],
    ['RMAC_I not marked accepted', (rmacI: Buffer) => ({ accepted: false, rmacI }), 'server_cryptogram_refused'],
    ['a short initial R-MAC', (rmacI: Buffer) => ({ accepted: true, rmacI: rmacI.subarray(0, 8) }), 'malformed'],
  ] as const)('ACU refuses %s', (_name, change, reason) => {
    const { config, pdState, acuState, scrypt } = toRmacI();
    const pd = pdStep(config, pdState, { type: 'scrypt', message: scrypt });
    if (pd.kind !== 'established') throw new Error('PD refused SCRYPT');
    const step = acuStep(acuState, { type: 'rmac_i', message: { kind: 'RMAC_I', ...change(pd.message.rmacI) } });
    expect(step).toMatchObject({ kind: 'failed', failure: { reason, alarm: 'tamper' } });
    // A failed set-up stays failed: nothing the PD sends afterwards brings it back.
    expect(acuStep(step.state, { type: 'rmac_i', message: pd.message })).toMatchObject({ kind: 'failed', failure: { reason } });
  });

  it('ACU refuses a set-up reply once the channel is up', () => {
    const { config, pdState, acuState, scrypt } = toRmacI();
    const pd = pdStep(config, pdState, { type: 'scrypt', message: scrypt });
    if (pd.kind !== 'established') throw new Error('PD refused SCRYPT');
    const done = acuStep(acuState, { type: 'rmac_i', message: pd.message });
    expect(acuStep(done.state, { type: 'rmac_i', message: pd.message })).toMatchObject({ failure: { reason: 'unexpected_reply' } });
  });

  it('ACU will not start with SCBK-D outside install mode', () => {
    expect(() => acuBegin({ keyMode: 'scbk-d', installMode: false } as unknown as AcuKey, fixedRandom(ANNEX_E.rndA))).toThrow(/install mode/);
  });

  const chlng = (keyMode: 'scbk' | 'scbk-d') => ({ type: 'chlng' as const, message: { kind: 'CHLNG' as const, keyMode, rndA: ANNEX_E.rndA } });
  it.each([
    ['SCBK-D outside install mode', pdConfig(), PD_IDLE, chlng('scbk-d'), 'default_key_refused', 6],
    ['SCBK before one was set', pdConfig({ scbk: null, installMode: true }), PD_IDLE, chlng('scbk'), 'key_unavailable', 6],
    [
      'SCRYPT without CHLNG',
      pdConfig(),
      PD_IDLE,
      { type: 'scrypt' as const, message: { kind: 'SCRYPT' as const, keyMode: 'scbk' as const, serverCryptogram: ANNEX_E.serverCryptogram } },
      'unexpected_command',
      6,
    ],
    [
      'a short RND.A',
      pdConfig(),
      PD_IDLE,
      { type: 'chlng' as const, message: { kind: 'CHLNG' as const, keyMode: 'scbk' as const, rndA: ANNEX_E.rndA.subarray(0, 6) } },
      'malformed',
      2,
    ],
  ] as [string, PdConfig, PdState, Parameters<typeof pdStep>[2], string, number][])('PD refuses %s', (_name, config, state, event, reason, nakCode) => {
    expect(pdStep(config, state, event)).toMatchObject({ kind: 'failed', nakCode, failure: { reason } });
  });

  it('PD: a CHLNG restarts the set-up even on an established channel', () => {
    const { config, pdState, scrypt } = toRmacI();
    const established = pdStep(config, pdState, { type: 'scrypt', message: scrypt });
    const again = pdStep({ ...config, random: fixedRandom(hex('1111111111111111')) }, established.state, chlng('scbk'));
    expect(again).toMatchObject({ kind: 'reply', state: { phase: 'awaiting_scrypt' }, message: { rndB: hex('1111111111111111') } });
  });

  it('a random source that returns the wrong length is refused', () => {
    expect(() => acuBegin({ keyMode: 'scbk', scbk: SCBK }, () => Buffer.alloc(7))).toThrow(RangeError);
  });
});
