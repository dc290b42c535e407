/**
 * The bus's side of the secure channel set-up (OSDP v2.2 Annex D): picks the key for a PD, builds
 * osdp_CHLNG and osdp_SCRYPT, and reads osdp_CCRYPT and osdp_RMAC_I through the ACU state machine
 * of secure/handshake.ts. The bus (bus.ts) owns the line and calls it for a PD in the 'secure'
 * phase. The outcomes (established, no key, failed and untrusted): docs/osdp.md §The bus (ACU side).
 */
import { ScbType, type DecodedPacket } from '../packet.js';
import type { Reply } from '../replies.js';
import { acuBegin, acuStep, SCB_DATA_RMAC_I_ACCEPTED, SCB_DATA_SCBK, SCB_DATA_SCBK_D, type AcuKey, type AcuStep } from '../secure/handshake.js';
import type { RandomSource } from '../secure/keys.js';
import type { Job, PdSession } from './pd-session.js';
import { SessionSecurity } from './session-security.js';
import type { KeyProvider, OsdpAlarm, SecureChannelState } from './types.js';

/** The bus events a set-up raises. */
export interface SecureSetupEvents {
  secure(state: SecureChannelState): void;
  alarm(alarm: OsdpAlarm): void;
}

export class SecureChannelSetup {
  constructor(
    private readonly keys: KeyProvider,
    private readonly random: RandomSource,
    private readonly events: SecureSetupEvents,
  ) {}

  /**
   * The PD's next set-up command: osdp_SCRYPT once its osdp_CCRYPT was accepted, else osdp_CHLNG.
   * undefined when there is no key for it: the PD is then 'ready' (in plain) and the caller picks
   * its next job.
   */
  async job(pd: PdSession): Promise<Job | undefined> {
    if (pd.handshake && pd.scrypt) {
      const keyByte = pd.scrypt.keyMode === 'scbk' ? SCB_DATA_SCBK : SCB_DATA_SCBK_D;
      return { purpose: 'scrypt', command: { kind: 'SCRYPT', cryptogram: pd.scrypt.serverCryptogram }, keyByte };
    }
    const key = await this.keyFor(pd);
    if (!key) {
      // No key is a configuration gap, not an attack: no alarm, but 'required' PDs refuse commands.
      pd.noKey = true;
      pd.phase = 'ready';
      this.events.secure({ address: pd.address, state: 'failed', keyMode: 'scbk', reason: 'no_key' });
      return undefined;
    }
    const { state, message } = acuBegin(key, this.random);
    pd.handshake = state;
    return { purpose: 'chlng', command: { kind: 'CHLNG', rndA: message.rndA }, keyByte: key.keyMode === 'scbk' ? SCB_DATA_SCBK : SCB_DATA_SCBK_D };
  }

  /** Takes the PD's decoded answer to osdp_CHLNG or osdp_SCRYPT; `packet` carries its security block (SCS_12 / SCS_14). */
  reply(pd: PdSession, reply: Reply, packet: DecodedPacket): void {
    const state = pd.handshake;
    if (!state) return;
    const keyMode = state.phase === 'failed' ? state.failure.keyMode : state.keyMode;
    let step: AcuStep;
    if (reply.kind === 'CCRYPT' && packet.security?.type === ScbType.Ccrypt) {
      step = acuStep(state, {
        type: 'ccrypt',
        message: { kind: 'CCRYPT', keyMode, cUid: reply.clientUid, rndB: reply.rndB, clientCryptogram: reply.cryptogram },
      });
    } else if (reply.kind === 'RMAC_I' && packet.security?.type === ScbType.RmacI) {
      const accepted = packet.security.data[0] === SCB_DATA_RMAC_I_ACCEPTED;
      step = acuStep(state, { type: 'rmac_i', message: { kind: 'RMAC_I', accepted, rmacI: reply.rmac } });
    } else {
      step = acuStep(state, { type: 'reply', code: packet.code, ...(reply.kind === 'NAK' ? { nakCode: reply.error } : {}) });
    }
    if (step.kind === 'send') {
      pd.handshake = step.state;
      pd.scrypt = step.message;
      return;
    }
    pd.handshake = undefined;
    pd.scrypt = undefined;
    pd.phase = 'ready';
    if (step.kind === 'established') {
      pd.security = new SessionSecurity(step.session);
      this.events.secure({ address: pd.address, state: 'established', keyMode: step.session.keyMode });
      return;
    }
    const { failure } = step;
    this.events.secure({
      address: pd.address,
      state: 'failed',
      keyMode: failure.keyMode,
      reason: failure.reason,
      ...(failure.nakCode === undefined ? {} : { nak: failure.nakCode }),
    });
    // A PD that cannot prove it holds the key is never trusted on this bus (issue 17).
    pd.untrusted = failure.reason;
    pd.rejectAll('untrusted');
    this.events.alarm({ address: pd.address, class: 'tamper', source: 'secure-channel', reason: failure.reason });
  }

  private async keyFor(pd: PdSession): Promise<AcuKey | undefined> {
    if (pd.newKey) return { keyMode: 'scbk', scbk: pd.newKey };
    const scbk = await this.keys(pd.address);
    if (scbk) return { keyMode: 'scbk', scbk };
    // SCBK-D only for a PD configured in install mode (Annex D: the default key authenticates nobody).
    return pd.installMode ? { keyMode: 'scbk-d', installMode: true } : undefined;
  }
}
