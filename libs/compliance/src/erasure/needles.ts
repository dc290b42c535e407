import { Injectable } from '@nestjs/common';
import { CredentialService } from '@acs/credentials';
import { Notifications } from '@acs/notifications';
import { TemplateVault } from '@acs/reader-fleet';
import { PersonalData, PersonDataErasure } from '@acs/registry';
import type { ErasureJobEntity } from '../entities.js';
import { ErasureParticipants } from './erasure-participants.js';

/** Values to look for in the database files: kept in memory only, never persisted. */
export interface Needles {
  plaintext: Buffer[];
  /** Ciphertexts of names, e-mail and phone; for a person, the name search index's stored values. */
  ciphertext: Buffer[];
  templates: Buffer[];
  /** Card blind indexes and PIN hashes, as stored (hex and PHC text). */
  cards: Buffer[];
}

/** A slice of a ciphertext past the key-id header: random bytes, unique to that value. */
export const ctSlice = (ct: string | null | undefined): Buffer | null =>
  ct && ct.length >= 100 ? Buffer.from(ct.slice(56, 104)) : ct ? Buffer.from(ct) : null;

/**
 * Prefix of every ciphertext sealed under a data key (KeyService layout: version, id length, id):
 * searching the files for it finds any surviving value of the customer, whoever wrote it.
 */
export function keyPrefix(keyId: string): Buffer {
  const header = Buffer.concat([Buffer.from([1, Buffer.byteLength(keyId)]), Buffer.from(keyId, 'utf8')]);
  const whole = Math.floor(header.length / 3) * 3;
  return Buffer.from(header.subarray(0, whole).toString('base64'));
}

/**
 * The erased values the physical step looks for afterwards, collected before anything is erased.
 * Only this process's memory ever holds them: after a restart they are collected again while
 * they still exist (before the server-data step), else the scan looks for the key prefix only.
 */
@Injectable()
export class ErasureNeedles {
  private readonly byJob = new Map<string, Needles>();

  constructor(
    private readonly pd: PersonalData,
    private readonly people: PersonDataErasure,
    private readonly vault: TemplateVault,
    private readonly credentials: CredentialService,
    private readonly notifications: Notifications,
    private readonly participants: ErasureParticipants,
  ) {}

  get(jobId: string): Needles | undefined {
    return this.byJob.get(jobId);
  }

  forget(jobId: string): void {
    this.byJob.delete(jobId);
  }

  async collect(job: ErasureJobEntity): Promise<void> {
    const plaintext: Buffer[] = [];
    const ciphertext: Buffer[] = [];
    const templateSlices: Buffer[] = [];
    const cards: Buffer[] = [];
    if (job.kind !== 'biometrics') {
      const subject = job.kind === 'customer' ? { customerId: job.customerId } : { customerId: job.customerId, personId: job.personId! };
      // A hash is random-looking and unique to its card, so the whole stored value is the needle.
      for (const s of await this.credentials.storedSecrets(subject)) cards.push(Buffer.from(s, 'utf8'));
      // Likewise the name index's hashes of one person (held and released with the names).
      for (const h of await this.people.nameIndexValues(subject)) ciphertext.push(Buffer.from(h, 'utf8'));
      // A customer's administrators' notification addresses go with the customer (not with one person).
      const addresses = job.kind === 'customer' ? await this.notifications.sealedAddresses(job.customerId) : [];
      const participants = await Promise.all(this.participants.all().map((p) => p.sealedValues(subject)));
      for (const v of [...(await this.people.sealedValues(subject)), ...addresses, ...participants.flat()]) {
        const slice = ctSlice(v.ciphertext);
        if (slice) ciphertext.push(slice);
        try {
          const open = await this.pd.open(v.row, v.field, v.ciphertext);
          if (open) plaintext.push(Buffer.from(open, 'utf8'));
        } catch {
          // Already unreadable (key destroyed): the ciphertext slice is still looked for.
        }
      }
    }
    const templates = await this.vault.storedCiphertexts(job.kind === 'customer' ? { customerId: job.customerId } : { personId: job.personId! });
    for (const t of templates) {
      const slice = ctSlice(t);
      if (slice) templateSlices.push(slice);
    }
    // A resumed held job collects names again; template slices from before the hold are kept.
    const earlier = this.byJob.get(job.id)?.templates ?? [];
    this.byJob.set(job.id, { plaintext, ciphertext, templates: templateSlices.length > 0 ? templateSlices : earlier, cards });
  }

  /** After a restart the values are gone with the old process: collect again while they still exist. */
  async ensure(job: ErasureJobEntity): Promise<void> {
    if (this.byJob.has(job.id)) return;
    if (job.step === 'readers' || job.step === 'server_data') await this.collect(job);
  }
}
