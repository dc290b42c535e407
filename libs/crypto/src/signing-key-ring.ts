import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { writeFileDurably } from './durable-file.js';

export class SigningKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SigningKeyError';
  }
}

interface StoredSigningKey {
  /** SPKI PEM: kept for every key ever used, so evidence signed before a rotation still verifies. */
  publicKey: string;
  /** PKCS#8 PEM, only for the current key: a retired key can no longer sign. */
  privateKey?: string;
  createdAt: string;
  retiredAt?: string;
}

interface SigningKeyFile {
  version: 1;
  current: string;
  keys: Record<string, StoredSigningKey>;
}

export interface PublicSigningKey {
  kid: string;
  pem: string;
  /** SHA-256 of the DER SubjectPublicKeyInfo, hex: `openssl pkey -pubin -outform DER | sha256sum`. */
  fingerprint: string;
  current: boolean;
  createdAt: string;
  retiredAt: string | null;
}

/** SHA-256 over the DER SubjectPublicKeyInfo, the form openssl can recompute from the PEM alone. */
export function publicKeyFingerprint(key: KeyObject): string {
  return createHash('sha256')
    .update(key.export({ type: 'spki', format: 'der' }))
    .digest('hex');
}

/** Key id derived from the key itself, so a verifier with only the PEM can match a signature's `kid`. */
export function kidOf(key: KeyObject): string {
  return `ed25519-${publicKeyFingerprint(key).slice(0, 16)}`;
}

/** Parses every PEM public key in a text (a `keys:public` output holds several). */
export function parsePublicKeys(pemText: string): KeyObject[] {
  const blocks = pemText.match(/-----BEGIN PUBLIC KEY-----[\s\S]+?-----END PUBLIC KEY-----/g) ?? [];
  return blocks.map((b) => {
    const key = createPublicKey(b);
    if (key.asymmetricKeyType !== 'ed25519') throw new SigningKeyError('the public key is not an Ed25519 key');
    return key;
  });
}

/**
 * The Ed25519 key ring that signs evidence (erasure certificates, checkpoints). A file beside the
 * master key ring, never in the database: whoever can write the database must not be able to
 * re-sign what they changed. Rotation keeps every old public key, drops the old private key.
 */
export class SigningKeyRing {
  private constructor(
    private content: SigningKeyFile,
    private readonly file: string,
  ) {}

  /** Loads the key file, creating it (mode 0600, folder 0700) with a fresh key when it does not exist. */
  static open(path: string, now: () => Date): SigningKeyRing {
    if (!existsSync(path)) {
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      const fresh = newKey(now());
      const content: SigningKeyFile = { version: 1, current: fresh.kid, keys: { [fresh.kid]: fresh.stored } };
      try {
        // Durable and exclusive, like the master key file: never a torn file after a power cut.
        writeFileDurably(path, JSON.stringify(content, null, 2), { exclusive: true });
      } catch (err) {
        // Another process (a second instance, acsctl) created it first: use theirs.
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
    }
    return new SigningKeyRing(SigningKeyRing.read(path), path);
  }

  /** Reads an existing key file without ever creating one (verification tools). */
  static openExisting(path: string): SigningKeyRing | null {
    if (!existsSync(path)) return null;
    return new SigningKeyRing(SigningKeyRing.read(path), path);
  }

  private static read(path: string): SigningKeyFile {
    const mode = statSync(path).mode & 0o777;
    if ((mode & 0o077) !== 0) {
      throw new SigningKeyError(`signing key file ${path} is accessible to other users (mode ${mode.toString(8)}); run chmod 600 on it`);
    }
    let parsed: SigningKeyFile;
    try {
      parsed = JSON.parse(readFileSync(path, 'utf8')) as SigningKeyFile;
    } catch {
      throw new SigningKeyError(`signing key file ${path} is not valid JSON`);
    }
    if (parsed.version !== 1 || typeof parsed.keys !== 'object' || !parsed.keys[parsed.current]?.privateKey) {
      throw new SigningKeyError(`signing key file ${path} has no current private key`);
    }
    return parsed;
  }

  get currentKid(): string {
    return this.content.current;
  }

  get currentPrivateKey(): KeyObject {
    return createPrivateKey(this.currentPrivateKeyPem);
  }

  get currentPrivateKeyPem(): string {
    return this.content.keys[this.content.current].privateKey!;
  }

  publicKey(kid: string): KeyObject | undefined {
    const stored = this.content.keys[kid];
    return stored ? createPublicKey(stored.publicKey) : undefined;
  }

  publicKeys(): PublicSigningKey[] {
    return Object.entries(this.content.keys).map(([kid, k]) => {
      const key = createPublicKey(k.publicKey);
      return {
        kid,
        pem: k.publicKey,
        fingerprint: publicKeyFingerprint(key),
        current: kid === this.content.current,
        createdAt: k.createdAt,
        retiredAt: k.retiredAt ?? null,
      };
    });
  }

  /** New current key; the old one keeps its public half only. Persisted before it is used. */
  rotate(now: Date): { kid: string; retired: string } {
    const fresh = newKey(now);
    const retired = this.content.current;
    const old = this.content.keys[retired];
    const keys: Record<string, StoredSigningKey> = {
      ...this.content.keys,
      [retired]: { publicKey: old.publicKey, createdAt: old.createdAt, retiredAt: now.toISOString() },
      [fresh.kid]: fresh.stored,
    };
    this.content = { version: 1, current: fresh.kid, keys };
    // Durable replace: a power cut leaves the old ring or the new one, never none.
    writeFileDurably(this.file, JSON.stringify(this.content, null, 2));
    return { kid: fresh.kid, retired };
  }
}

function newKey(now: Date): { kid: string; stored: StoredSigningKey } {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  return {
    kid: kidOf(publicKey),
    stored: {
      publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      createdAt: now.toISOString(),
    },
  };
}
