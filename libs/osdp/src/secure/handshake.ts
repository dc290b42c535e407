// OSDP v2.2 Annex D secure channel set-up, as two pure state machines (ACU side and PD side):
//
//   ACU                                   PD
//   osdp_CHLNG  (SCS_11, RND.A)       →   derive keys from SCBK|SCBK-D and RND.A, pick RND.B
//               ← (SCS_12, cUID, RND.B, client cryptogram)  osdp_CCRYPT
//   verify client cryptogram
//   osdp_SCRYPT (SCS_13, server cryptogram) →  verify server cryptogram
//               ← (SCS_14, initial R-MAC)                   osdp_RMAC_I
//   verify RMAC_I: established            established
//
// The machines hold no timers, do no I/O and draw randomness from an injected source; the bus feeds
// them decoded messages and timeouts (from its injected clock) and sends what they return. The
// packet codec maps the messages below to and from the wire; payload layouts, cross-checked with
// libosdp src/osdp_cp.c and src/osdp_pd.c: CHLNG data = RND.A (8); CCRYPT data = cUID (8) ‖
// RND.B (8) ‖ client cryptogram (16); SCRYPT data = server cryptogram (16); RMAC_I data = R-MAC
// (16). SEC_BLK_DATA of SCS_11/12/13 is 0x00 for SCBK-D and 0x01 for SCBK; of SCS_14, 0x01 when
// the PD accepted the server cryptogram.
import {
  AES_BLOCK,
  CLIENT_UID_LENGTH,
  clientCryptogram,
  constantTimeEqual,
  deriveSessionKeys,
  expectLength,
  initialRMac,
  KEY_LENGTH,
  RANDOM_LENGTH,
  type RandomSource,
  scbkDefault,
  serverCryptogram,
  type SessionKeys,
} from './keys.js';
import { MacChain } from './mac.js';

/** Command/reply codes and security block types of the set-up messages. */
export const SC_SETUP = {
  CHLNG: { code: 0x76, scbType: 0x11 },
  CCRYPT: { code: 0x76, scbType: 0x12 },
  SCRYPT: { code: 0x77, scbType: 0x13 },
  RMAC_I: { code: 0x78, scbType: 0x14 },
} as const;
export const SCB_DATA_SCBK_D = 0x00;
export const SCB_DATA_SCBK = 0x01;
export const SCB_DATA_RMAC_I_ACCEPTED = 0x01;
/** OSDP NAK codes a PD answers a failed set-up with (libosdp include/osdp.h osdp_pd_nak_code_e). */
export const REPLY_NAK = 0x41;
export const NAK_COMMAND_LENGTH = 0x02;
export const NAK_SECURITY_CONDITIONS = 0x06;

/** Which base key the session is keyed with: the PD's own SCBK, or the public SCBK-D (install mode). */
export type KeyMode = 'scbk' | 'scbk-d';

export interface ChallengeMessage {
  readonly kind: 'CHLNG';
  readonly keyMode: KeyMode;
  readonly rndA: Buffer;
}
export interface ClientCryptogramMessage {
  readonly kind: 'CCRYPT';
  readonly keyMode: KeyMode;
  readonly cUid: Buffer;
  readonly rndB: Buffer;
  readonly clientCryptogram: Buffer;
}
export interface ServerCryptogramMessage {
  readonly kind: 'SCRYPT';
  readonly keyMode: KeyMode;
  readonly serverCryptogram: Buffer;
}
export interface InitialRMacMessage {
  readonly kind: 'RMAC_I';
  /** SEC_BLK_DATA == 0x01. */
  readonly accepted: boolean;
  readonly rmacI: Buffer;
}

export type HandshakeFailureReason =
  /** The peer's cryptogram is not the one our key gives: it holds another key, or is an impostor. */
  | 'cryptogram_mismatch'
  /** The PD's initial R-MAC is not the one the session keys give. */
  | 'rmac_mismatch'
  /** The PD refused our server cryptogram (NAK after SCRYPT, or RMAC_I not marked accepted). */
  | 'server_cryptogram_refused'
  /** The PD answered CHLNG with NAK: no secure channel, or not with the key asked for. */
  | 'challenge_refused'
  /** ACU side: a reply that does not belong at this step. */
  | 'unexpected_reply'
  /** PD side: SCRYPT without a CHLNG before it. */
  | 'unexpected_command'
  /** A field of the wrong length. */
  | 'malformed'
  /** PD side: SCBK-D asked for outside install mode. */
  | 'default_key_refused'
  /** PD side: SCBK asked for, but the PD has none yet. */
  | 'key_unavailable'
  | 'timeout';

export interface HandshakeFailure {
  readonly reason: HandshakeFailureReason;
  /**
   * 'tamper': a device on the bus failed to prove it holds the key or broke the protocol; it is not
   * trusted and the bus raises a tamper-class alarm. 'offline': it stopped answering; the bus's
   * offline detection handles it.
   */
  readonly alarm: 'tamper' | 'offline';
  readonly keyMode: KeyMode;
  /** ACU side: the PD's NAK code, when it answered with NAK. */
  readonly nakCode?: number;
}

/** A secure channel both ends agree on. With keyMode 'scbk-d' the ACU's next step is KEYSET. */
export interface SecureSession {
  readonly keyMode: KeyMode;
  readonly keys: SessionKeys;
  readonly chain: MacChain;
  readonly cUid: Buffer;
}

function failure(reason: HandshakeFailureReason, keyMode: KeyMode, nakCode?: number): HandshakeFailure {
  return { reason, alarm: reason === 'timeout' ? 'offline' : 'tamper', keyMode, ...(nakCode === undefined ? {} : { nakCode }) };
}

function draw(random: RandomSource, length: number): Buffer {
  const bytes = Buffer.from(random(length));
  expectLength('random source output', bytes, length);
  return bytes;
}

// ---------------------------------------------------------------------------------------------
// ACU side
// ---------------------------------------------------------------------------------------------

/** The key the ACU opens the channel with. SCBK-D only with install mode on, by type and at run time. */
export type AcuKey = { readonly keyMode: 'scbk'; readonly scbk: Uint8Array } | { readonly keyMode: 'scbk-d'; readonly installMode: true };

export type AcuState =
  | { readonly phase: 'awaiting_ccrypt'; readonly keyMode: KeyMode; readonly scbk: Buffer; readonly rndA: Buffer }
  | {
      readonly phase: 'awaiting_rmac_i';
      readonly keyMode: KeyMode;
      readonly keys: SessionKeys;
      readonly cUid: Buffer;
      readonly expectedRMacI: Buffer;
    }
  | { readonly phase: 'established'; readonly keyMode: KeyMode }
  | { readonly phase: 'failed'; readonly failure: HandshakeFailure };

export type AcuEvent =
  | { readonly type: 'ccrypt'; readonly message: ClientCryptogramMessage }
  | { readonly type: 'rmac_i'; readonly message: InitialRMacMessage }
  /** Any other reply to the set-up command; for osdp_NAK (0x41), nakCode is its reason byte. */
  | { readonly type: 'reply'; readonly code: number; readonly nakCode?: number }
  | { readonly type: 'timeout' };

export type AcuStep =
  | { readonly kind: 'send'; readonly state: AcuState; readonly message: ServerCryptogramMessage }
  | { readonly kind: 'established'; readonly state: AcuState; readonly session: SecureSession }
  | { readonly kind: 'failed'; readonly state: AcuState; readonly failure: HandshakeFailure };

/** Starts a set-up: returns the CHLNG to send and the state awaiting CCRYPT. */
export function acuBegin(key: AcuKey, random: RandomSource): { state: AcuState; message: ChallengeMessage } {
  let scbk: Buffer;
  if (key.keyMode === 'scbk-d') {
    if (key.installMode !== true) throw new Error('OSDP secure channel: SCBK-D is allowed only in install mode');
    scbk = scbkDefault();
  } else {
    expectLength('SCBK', key.scbk, KEY_LENGTH);
    scbk = Buffer.from(key.scbk);
  }
  const rndA = draw(random, RANDOM_LENGTH);
  return { state: { phase: 'awaiting_ccrypt', keyMode: key.keyMode, scbk, rndA }, message: { kind: 'CHLNG', keyMode: key.keyMode, rndA } };
}

function acuFail(keyMode: KeyMode, reason: HandshakeFailureReason, nakCode?: number): AcuStep {
  const f = failure(reason, keyMode, nakCode);
  return { kind: 'failed', state: { phase: 'failed', failure: f }, failure: f };
}

export function acuStep(state: AcuState, event: AcuEvent): AcuStep {
  if (state.phase === 'failed') return { kind: 'failed', state, failure: state.failure };
  const { keyMode } = state;
  if (event.type === 'timeout') return acuFail(keyMode, 'timeout');
  if (state.phase === 'awaiting_ccrypt') {
    if (event.type === 'reply' && event.code === REPLY_NAK) return acuFail(keyMode, 'challenge_refused', event.nakCode);
    if (event.type !== 'ccrypt') return acuFail(keyMode, 'unexpected_reply');
    const { cUid, rndB, clientCryptogram: received } = event.message;
    if (cUid.length !== CLIENT_UID_LENGTH || rndB.length !== RANDOM_LENGTH || received.length !== AES_BLOCK) {
      return acuFail(keyMode, 'malformed');
    }
    // CCRYPT's key byte is not trusted: the cryptogram alone shows which key the PD holds.
    const keys = deriveSessionKeys(state.scbk, state.rndA);
    if (!constantTimeEqual(clientCryptogram(keys, state.rndA, rndB), received)) return acuFail(keyMode, 'cryptogram_mismatch');
    const scrypt = serverCryptogram(keys, state.rndA, rndB);
    return {
      kind: 'send',
      state: { phase: 'awaiting_rmac_i', keyMode, keys, cUid: Buffer.from(cUid), expectedRMacI: initialRMac(keys, scrypt) },
      message: { kind: 'SCRYPT', keyMode, serverCryptogram: scrypt },
    };
  }
  if (state.phase === 'awaiting_rmac_i') {
    if (event.type === 'reply' && event.code === REPLY_NAK) return acuFail(keyMode, 'server_cryptogram_refused', event.nakCode);
    if (event.type !== 'rmac_i') return acuFail(keyMode, 'unexpected_reply');
    if (!event.message.accepted) return acuFail(keyMode, 'server_cryptogram_refused');
    if (event.message.rmacI.length !== AES_BLOCK) return acuFail(keyMode, 'malformed');
    // libosdp's CP adopts RMAC_I as sent; checking it here refuses a wrong one before any command.
    if (!constantTimeEqual(state.expectedRMacI, event.message.rmacI)) return acuFail(keyMode, 'rmac_mismatch');
    const session: SecureSession = { keyMode, keys: state.keys, chain: new MacChain(state.keys, state.expectedRMacI), cUid: state.cUid };
    return { kind: 'established', state: { phase: 'established', keyMode }, session };
  }
  // A set-up reply after the channel is up: the PD (or something impersonating it) went off script.
  return acuFail(keyMode, 'unexpected_reply');
}

// ---------------------------------------------------------------------------------------------
// PD side (the virtual reader and tests)
// ---------------------------------------------------------------------------------------------

export interface PdConfig {
  /** The PD's own SCBK, or null before the ACU has set one with KEYSET. */
  readonly scbk: Uint8Array | null;
  /** Install mode: the only mode in which the PD accepts SCBK-D. */
  readonly installMode: boolean;
  readonly cUid: Uint8Array;
  readonly random: RandomSource;
}

export type PdState =
  | { readonly phase: 'idle' }
  | {
      readonly phase: 'awaiting_scrypt';
      readonly keyMode: KeyMode;
      readonly keys: SessionKeys;
      readonly rndA: Buffer;
      readonly rndB: Buffer;
    }
  | { readonly phase: 'established'; readonly keyMode: KeyMode }
  | { readonly phase: 'failed'; readonly failure: HandshakeFailure };

export const PD_IDLE: PdState = { phase: 'idle' };

export type PdEvent =
  | { readonly type: 'chlng'; readonly message: ChallengeMessage }
  | { readonly type: 'scrypt'; readonly message: ServerCryptogramMessage }
  | { readonly type: 'timeout' };

export type PdStep =
  | { readonly kind: 'reply'; readonly state: PdState; readonly message: ClientCryptogramMessage }
  | { readonly kind: 'established'; readonly state: PdState; readonly message: InitialRMacMessage; readonly session: SecureSession }
  /** nakCode: the NAK to answer with; absent for a timeout (nothing to answer). */
  | { readonly kind: 'failed'; readonly state: PdState; readonly failure: HandshakeFailure; readonly nakCode?: number };

function pdFail(keyMode: KeyMode, reason: HandshakeFailureReason, nakCode?: number): PdStep {
  const f = failure(reason, keyMode);
  return { kind: 'failed', state: { phase: 'failed', failure: f }, failure: f, ...(nakCode === undefined ? {} : { nakCode }) };
}

export function pdStep(config: PdConfig, state: PdState, event: PdEvent): PdStep {
  // CHLNG (re)starts the set-up from any state, dropping a running session (libosdp does the same).
  if (event.type === 'chlng') {
    const { keyMode, rndA } = event.message;
    if (rndA.length !== RANDOM_LENGTH) return pdFail(keyMode, 'malformed', NAK_COMMAND_LENGTH);
    let scbk: Uint8Array;
    if (keyMode === 'scbk-d') {
      if (!config.installMode) return pdFail(keyMode, 'default_key_refused', NAK_SECURITY_CONDITIONS);
      scbk = scbkDefault();
    } else {
      if (config.scbk === null) return pdFail(keyMode, 'key_unavailable', NAK_SECURITY_CONDITIONS);
      scbk = config.scbk;
    }
    expectLength('client UID', config.cUid, CLIENT_UID_LENGTH);
    const keys = deriveSessionKeys(scbk, rndA);
    const rndB = draw(config.random, RANDOM_LENGTH);
    return {
      kind: 'reply',
      state: { phase: 'awaiting_scrypt', keyMode, keys, rndA: Buffer.from(rndA), rndB },
      message: { kind: 'CCRYPT', keyMode, cUid: Buffer.from(config.cUid), rndB, clientCryptogram: clientCryptogram(keys, rndA, rndB) },
    };
  }
  const keyMode: KeyMode = state.phase === 'failed' ? state.failure.keyMode : state.phase === 'idle' ? 'scbk' : state.keyMode;
  if (event.type === 'timeout') return pdFail(keyMode, 'timeout');
  if (state.phase !== 'awaiting_scrypt') return pdFail(keyMode, 'unexpected_command', NAK_SECURITY_CONDITIONS);
  const received = event.message.serverCryptogram;
  if (received.length !== AES_BLOCK) return pdFail(keyMode, 'malformed', NAK_COMMAND_LENGTH);
  // libosdp's PD answers a wrong server cryptogram with NAK 5; NAK 6 (security conditions not met)
  // is the closer code, and the ACU treats any NAK after SCRYPT the same.
  if (!constantTimeEqual(serverCryptogram(state.keys, state.rndA, state.rndB), received)) {
    return pdFail(keyMode, 'cryptogram_mismatch', NAK_SECURITY_CONDITIONS);
  }
  const rmacI = initialRMac(state.keys, received);
  const session: SecureSession = { keyMode, keys: state.keys, chain: new MacChain(state.keys, rmacI), cUid: Buffer.from(config.cUid) };
  return {
    kind: 'established',
    state: { phase: 'established', keyMode },
    message: { kind: 'RMAC_I', accepted: true, rmacI },
    session,
  };
}
