import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { canonicalJson } from './canonical.js';

/**
 * Every message on the tree is an envelope `{ "body": {...}, "mac": "<64 hex>" }` with
 *
 *   mac = HMAC-SHA256(controllerSecret, "acs-door-v1\n" + topic + "\n" + canonicalJson(body))
 *
 * The topic is bound into the MAC so a message signed for one topic (one controller, one
 * direction) cannot be replayed onto another; the domain prefix keeps these MACs apart from any
 * other use of the same key (hardware/door-protocol/README.md §Envelope and signing).
 */
export const MAC_DOMAIN = 'acs-door-v1';
export const MIN_SECRET_BYTES = 16;

export interface SignedEnvelope<B = unknown> {
  body: B;
  mac: string;
}

export function assertUsableSecret(secret: Buffer): void {
  if (!Buffer.isBuffer(secret) || secret.length < MIN_SECRET_BYTES) {
    throw new RangeError(`controller secret must be at least ${MIN_SECRET_BYTES} bytes`);
  }
}

export function computeMac(secret: Buffer, topic: string, body: unknown): Buffer {
  assertUsableSecret(secret);
  return createHmac('sha256', secret)
    .update(`${MAC_DOMAIN}\n${topic}\n${canonicalJson(body)}`, 'utf8')
    .digest();
}

export function signEnvelope<B>(secret: Buffer, topic: string, body: B): SignedEnvelope<B> {
  return { body, mac: computeMac(secret, topic, body).toString('hex') };
}

const MAC_HEX = /^[0-9a-f]{64}$/;

/** Constant-time check of the envelope's MAC; any malformed MAC or body is simply "not valid". */
export function verifyEnvelope(secret: Buffer, topic: string, envelope: { body: unknown; mac: unknown }): boolean {
  if (typeof envelope.mac !== 'string' || !MAC_HEX.test(envelope.mac)) return false;
  let expected: Buffer;
  try {
    expected = computeMac(secret, topic, envelope.body);
  } catch {
    return false;
  }
  return timingSafeEqual(expected, Buffer.from(envelope.mac, 'hex'));
}

/** 128-bit random nonce, hex. */
export function newNonce(): string {
  return randomBytes(16).toString('hex');
}

/** A fresh 256-bit controller secret (hex) for provisioning. */
export function generateControllerSecret(): string {
  return randomBytes(32).toString('hex');
}
