import { readFileSync } from 'node:fs';
import type { KeyObject } from 'node:crypto';
import { checkCertificate } from '@acs/compliance';
import type { AppConfig } from '@acs/config';
import { kidOf, parsePublicKeys, SigningKeyError, SigningKeyRing } from '@acs/crypto';
import { CliError, type Out } from './out.js';

function ring(config: AppConfig, create: boolean): SigningKeyRing {
  try {
    const r = create ? SigningKeyRing.open(config.signingKeyFile, () => new Date()) : SigningKeyRing.openExisting(config.signingKeyFile);
    if (!r)
      throw new CliError(`no signing key ring at ${config.signingKeyFile}; pass --public-key with the server's public key (acsctl keys:public on the server)`);
    return r;
  } catch (err) {
    if (err instanceof SigningKeyError) throw new CliError(err.message);
    throw err;
  }
}

/** Prints every verification key (PEM) with its id and SHA-256 fingerprint; retired keys stay listed. */
export function keysPublic(config: AppConfig, out: Out, opts: { json?: boolean }): void {
  const keys = ring(config, true).publicKeys();
  if (opts.json) {
    out.json(keys);
    return;
  }
  for (const k of keys) {
    out.line(`# ${k.kid} ${k.current ? 'current' : `retired ${k.retiredAt ?? ''}`.trim()} created ${k.createdAt}`);
    out.line(`# SHA-256 fingerprint (of the DER key) ${k.fingerprint}`);
    out.line(k.pem.trimEnd());
  }
}

/** New signing key; the old private key is dropped, its public key kept so older evidence verifies. */
export function keysRotateSigning(config: AppConfig, out: Out): void {
  const r = ring(config, true);
  const { kid, retired } = r.rotate(new Date());
  out.line(`New signing key ${kid}; ${retired} retired (its public key stays in the ring). Restart the server(s) to sign with the new key.`);
}

/**
 * Verifies a signed certificate file with no database and no server: the keys come from
 * --public-key (a PEM file, e.g. saved from `keys:public`) or else from the local signing key ring.
 */
export async function certificateVerify(config: AppConfig, out: Out, file: string, opts: { publicKey?: string; json?: boolean }): Promise<boolean> {
  let jws: string;
  try {
    jws = readFileSync(file, 'utf8');
  } catch {
    throw new CliError(`cannot read ${file}`);
  }
  let keyFor: (kid: string | null) => KeyObject[];
  if (opts.publicKey) {
    let keys: KeyObject[];
    try {
      keys = parsePublicKeys(readFileSync(opts.publicKey, 'utf8'));
    } catch (err) {
      throw new CliError(`--public-key ${opts.publicKey}: ${err instanceof SigningKeyError ? err.message : 'not a readable PEM public key'}`);
    }
    if (keys.length === 0) throw new CliError(`--public-key ${opts.publicKey} holds no PEM public key`);
    // The key id is derived from the key, so a matching one is tried first; the others after it.
    keyFor = (kid) => [...keys.filter((k) => kidOf(k) === kid), ...keys.filter((k) => kidOf(k) !== kid)];
  } else {
    const r = ring(config, false);
    keyFor = (kid) => {
      const k = kid ? r.publicKey(kid) : undefined;
      return k ? [k] : [];
    };
  }
  const check = await checkCertificate(jws, keyFor);
  if (opts.json) out.json({ file, ...check });
  else if (check.ok)
    out.line(
      `VALID: erasure certificate ${check.certificate} (${check.kind}, customer ${check.customerId}${check.personId ? `, person ${check.personId}` : ''}) issued ${check.issuedAt}, signed by ${check.kid}.`,
    );
  else out.line(`INVALID: ${file}: ${check.problems.join('; ')}.`);
  return check.ok;
}
