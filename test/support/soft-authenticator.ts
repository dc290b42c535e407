import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';

/**
 * A test-only WebAuthn authenticator in software: one ES256 key pair per credential, "none"
 * attestation, and the byte layouts of W3C WebAuthn Level 3 §6.1 (authenticator data), §6.5.1
 * (attested credential data) and §6.5.2 (attestation object), CBOR per RFC 8949 and the
 * public key as a COSE_Key (RFC 9052 §7, EC2 P-256 per RFC 9053 §7.1.1). It lets API tests build
 * good responses and then spoil exactly one thing (challenge, origin, counter, signature).
 */

// The smallest CBOR encoder these structures need: unsigned and negative integers, byte and text
// strings, and maps (RFC 8949 §3.1 major types 0, 1, 2, 3 and 5).
function head(major: number, n: number): Buffer {
  if (n < 24) return Buffer.from([(major << 5) | n]);
  if (n < 0x100) return Buffer.from([(major << 5) | 24, n]);
  if (n < 0x10000) return Buffer.from([(major << 5) | 25, n >> 8, n & 0xff]);
  const b = Buffer.alloc(5);
  b[0] = (major << 5) | 26;
  b.writeUInt32BE(n, 1);
  return b;
}
type Cbor = number | string | Buffer | Map<Cbor, Cbor>;
function cbor(v: Cbor): Buffer {
  if (typeof v === 'number') return v >= 0 ? head(0, v) : head(1, -1 - v);
  if (typeof v === 'string') return Buffer.concat([head(3, Buffer.byteLength(v)), Buffer.from(v)]);
  if (Buffer.isBuffer(v)) return Buffer.concat([head(2, v.length), v]);
  return Buffer.concat([head(5, v.size), ...[...v].flatMap(([k, x]) => [cbor(k), cbor(x)])]);
}

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest();
const b64u = (b: Buffer) => b.toString('base64url');

export interface SoftCredential {
  id: Buffer;
  privateKey: KeyObject;
  cose: Buffer;
  counter: number;
}

export interface CeremonyOverrides {
  origin?: string;
  challenge?: string;
  type?: string;
  rpId?: string;
  counter?: number;
  /** Flip a byte of the signature. */
  badSignature?: boolean;
  userPresent?: boolean;
}

const FLAG_UP = 0x01;
const FLAG_UV = 0x04;
const FLAG_AT = 0x40;

export class SoftAuthenticator {
  constructor(readonly origin: string) {}

  newCredential(): SoftCredential {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = publicKey.export({ format: 'jwk' });
    const cose = cbor(
      new Map<Cbor, Cbor>([
        [1, 2], // kty: EC2
        [3, -7], // alg: ES256
        [-1, 1], // crv: P-256
        [-2, Buffer.from(jwk.x!, 'base64url')],
        [-3, Buffer.from(jwk.y!, 'base64url')],
      ]),
    );
    return { id: randomBytes(32), privateKey, cose, counter: 0 };
  }

  /** The RegistrationResponseJSON for `options` (what navigator.credentials.create() would give, as JSON). */
  attest(options: { challenge: string; rp: { id?: string } }, cred: SoftCredential, o: CeremonyOverrides = {}): Record<string, unknown> {
    const clientDataJSON = this.clientData('webauthn.create', options.challenge, o);
    const rpId = o.rpId ?? options.rp.id!;
    const idLen = Buffer.alloc(2);
    idLen.writeUInt16BE(cred.id.length);
    const authData = Buffer.concat([this.authDataHead(rpId, FLAG_AT, o.counter ?? cred.counter, o), Buffer.alloc(16), idLen, cred.id, cred.cose]);
    const attestationObject = cbor(
      new Map<Cbor, Cbor>([
        ['fmt', 'none'],
        ['attStmt', new Map()],
        ['authData', authData],
      ]),
    );
    return {
      id: b64u(cred.id),
      rawId: b64u(cred.id),
      type: 'public-key',
      response: { clientDataJSON: b64u(clientDataJSON), attestationObject: b64u(attestationObject), transports: ['internal'] },
      clientExtensionResults: {},
      authenticatorAttachment: 'platform',
    };
  }

  /** The AuthenticationResponseJSON for `options`; the counter goes up by one unless `o.counter` says otherwise. */
  assert(options: { challenge: string; rpId?: string }, cred: SoftCredential, o: CeremonyOverrides = {}): Record<string, unknown> {
    const clientDataJSON = this.clientData('webauthn.get', options.challenge, o);
    const counter = o.counter ?? cred.counter + 1;
    cred.counter = counter;
    const authData = this.authDataHead(o.rpId ?? options.rpId!, 0, counter, o);
    // §6.3.3 step 11: the signature is over authenticatorData || SHA-256(clientDataJSON); ES256 as DER (§6.5.6).
    const signature = sign('sha256', Buffer.concat([authData, sha256(clientDataJSON)]), cred.privateKey);
    if (o.badSignature) signature[signature.length - 1] ^= 0x01;
    return {
      id: b64u(cred.id),
      rawId: b64u(cred.id),
      type: 'public-key',
      response: { clientDataJSON: b64u(clientDataJSON), authenticatorData: b64u(authData), signature: b64u(signature) },
      clientExtensionResults: {},
      authenticatorAttachment: 'platform',
    };
  }

  private clientData(type: string, challenge: string, o: CeremonyOverrides): Buffer {
    return Buffer.from(JSON.stringify({ type: o.type ?? type, challenge: o.challenge ?? challenge, origin: o.origin ?? this.origin, crossOrigin: false }));
  }

  /** rpIdHash (32) | flags (1) | signCount (4, big-endian): §6.1. */
  private authDataHead(rpId: string, extraFlags: number, counter: number, o: CeremonyOverrides): Buffer {
    const count = Buffer.alloc(4);
    count.writeUInt32BE(counter);
    const flags = (o.userPresent === false ? 0 : FLAG_UP) | FLAG_UV | extraFlags;
    return Buffer.concat([sha256(rpId), Buffer.from([flags]), count]);
  }
}
