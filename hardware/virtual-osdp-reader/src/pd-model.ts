import { createHash } from 'node:crypto';
import type { Clock } from '@acs/clock';
import { CommandCode, type Capability, type KeyMode, type RandomSource } from '@acs/osdp';
import type { PdStateStore } from './pd-state.store.js';

/**
 * No valid secure command for this long ends the secure channel, and no command at all marks the
 * link offline (OSDP v2.2 §5 and Annex D; libosdp OSDP_PD_SC_TIMEOUT_MS / OSDP_PD_ONLINE_TOUT_MS,
 * both 8000; docs/osdp.md §Physical layer and timing).
 */
export const SC_TIMEOUT_MS = 8000;
export const ONLINE_TIMEOUT_MS = 8000;
/** Receive buffer announced in PDCAP function 10 (libosdp's default OSDP_PACKET_BUF_SIZE). */
export const RECEIVE_BUFFER = 256;

/** Commands a PD answers outside a secure channel when it requires one (libosdp OSDP_FLAG_ENFORCE_SECURE). */
export const ALLOWED_WITHOUT_SC = new Set<number>([CommandCode.ID, CommandCode.CAP, CommandCode.CHLNG, CommandCode.SCRYPT]);

/** PDCAP function codes (OSDP v2.2 §7, osdp_PDCAP; libosdp include/osdp.h `osdp_pd_cap_function_code_e`). */
const CAP = { cardFormat: 3, led: 4, audible: 5, text: 6, checkCharacter: 8, security: 9, receiveBuffer: 10, version: 16 } as const;

export type PdEventReport =
  { kind: 'RAW'; format: number; bitCount: number; data: Buffer } | { kind: 'KEYPAD'; keys: Buffer } | { kind: 'LSTATR'; tamper: number; power: number };

export interface VirtualPdOptions {
  address: number;
  /** Line speed this PD was configured for (it only changes what status and osdp_COM show on a pty). */
  baudRate?: number;
  /** The PD's own SCBK; none: the PD starts in install mode (as libosdp's PD does). */
  scbk?: Buffer | null;
  /** Accept SCBK-D (the default key) for the secure channel; default: on when there is no SCBK. */
  installMode?: boolean;
  /** Answer only ID, CAP, CHLNG and SCRYPT outside a secure channel (NAK 6 otherwise). */
  requireSecure?: boolean;
  /** osdp_PDID serial number; it also names the PD in the state file. */
  serialNumber?: number;
  clock: Clock;
  random: RandomSource;
  store?: PdStateStore;
  /**
   * libosdp's PD ends its secure channel when it receives a corrupt or cut-off packet
   * (`pd_error_reset` in src/osdp_pd.c); default true, to give the ACU the same recovery work.
   */
  noiseEndsSecureChannel?: boolean;
}

export interface LedStatus {
  led: number;
  permanent: { onTime: number; offTime: number; onColour: number; offColour: number } | null;
  temporary: { onTime: number; offTime: number; onColour: number; offColour: number; untilMs: number } | null;
}

export interface VirtualPdStatus {
  address: number;
  serialNumber: number;
  baudRate: number;
  online: boolean;
  /** The last sequence number answered; null after a reset (the PD expects 0). */
  sequence: number | null;
  secure: 'off' | 'handshake' | KeyMode;
  installMode: boolean;
  requireSecure: boolean;
  /** First 8 hex digits of SHA-256 of the SCBK, never the key; 'none' before there is one. */
  keyFingerprint: string;
  tamper: boolean;
  powerFailure: boolean;
  busy: boolean;
  leds: LedStatus[];
  buzzer: { tone: number; onTime: number; offTime: number; count: number } | null;
  text: { command: number; row: number; column: number; text: string } | null;
  pendingEvents: number;
}

/** Fingerprint of a key for logs and status: enough to tell keys apart, useless to an attacker. */
export function keyFingerprint(key: Uint8Array | null): string {
  return key === null ? 'none' : createHash('sha256').update(key).digest('hex').slice(0, 8);
}

/** What the PD announces in osdp_PDCAP: a card reader with LEDs, a buzzer and one text line, CRC and AES-128. */
export function capabilities(ledCount: number): Capability[] {
  return [
    { function: CAP.cardFormat, compliance: 1, count: 0 },
    { function: CAP.led, compliance: 1, count: ledCount },
    { function: CAP.audible, compliance: 1, count: 1 },
    { function: CAP.text, compliance: 1, count: 1 },
    { function: CAP.checkCharacter, compliance: 1, count: 0 },
    { function: CAP.security, compliance: 1, count: 0 },
    { function: CAP.receiveBuffer, compliance: RECEIVE_BUFFER & 0xff, count: RECEIVE_BUFFER >> 8 },
    { function: CAP.version, compliance: 2, count: 0 },
  ];
}

/**
 * osdp_PDID vendor code: 0A C5 00 has the "locally administered" bit of an OUI set, so it belongs to
 * no real manufacturer; a simulated reader must not pass for one.
 */
export const VENDOR_CODE = Buffer.from([0x0a, 0xc5, 0x00]);
