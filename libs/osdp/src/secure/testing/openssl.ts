// An independent AES implementation for the secure-channel specs: the OpenSSL command line. The
// specs compare every derivation, MAC and data block with what `openssl enc` computes, so a bug
// shared by our code and our expectations cannot pass unnoticed. Missing openssl skips those specs
// with a loud line (CI images carry it: it comes with the base system).
import { execFileSync } from 'node:child_process';

function detect(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
}

export const opensslAvailable = detect();

export function warnIfOpensslMissing(spec: string): void {
  if (!opensslAvailable) console.warn(`${spec}: openssl not found, SKIPPING the OpenSSL cross-checks (install openssl to run them)`);
}

/** `openssl enc -aes-128-<mode> -K <key> [-iv <iv>] -nopad [-d]` over `data`. */
export function opensslAes(mode: 'ecb' | 'cbc', key: Uint8Array, data: Uint8Array, options: { iv?: Uint8Array; decrypt?: boolean } = {}): Buffer {
  const args = ['enc', `-aes-128-${mode}`, '-K', Buffer.from(key).toString('hex'), '-nopad'];
  if (options.iv) args.push('-iv', Buffer.from(options.iv).toString('hex'));
  if (options.decrypt) args.push('-d');
  return execFileSync('openssl', args, { input: data, stdio: ['pipe', 'pipe', 'pipe'] });
}

export const hex = (text: string): Buffer => Buffer.from(text.replace(/\s+/g, ''), 'hex');
