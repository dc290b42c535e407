import { createHash } from 'node:crypto';

/** The certificate's own SHA-256 over its JSON text without the `hash` field (version 1 certificates). */
export function certificateHash(body: Record<string, unknown>): string {
  return createHash('sha256').update(JSON.stringify(body)).digest('hex');
}
