import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { SealedValue } from '@acs/registry';

/** What an erasure erases: a whole customer, or one person (a visitor's id is its person's id). */
export interface ParticipantSubject {
  customerId: string;
  personId?: string;
}

/**
 * A lib above compliance that holds personal data of its own about a customer's people (visitors'
 * names, companies and e-mail addresses) takes part in every erasure through this port instead of
 * compliance importing it: it gives the values the byte scan must look for, and erases its rows in
 * the server-data step's transaction, counted on the certificate under `count`.
 */
export interface ErasureParticipant {
  /** The certificate's count key (`visitorRecords`). */
  readonly count: string;
  /** Sealed values the erasure will remove, for the physical scan (their row and field bind the ciphertext). */
  sealedValues(subject: ParticipantSubject): Promise<SealedValue[]>;
  /** The tables `erase` deletes from or rewrites (PostgreSQL vacuums them after an erasure). */
  tables(): string[];
  /** Erases in the caller's transaction; returns how many records it erased. */
  erase(m: EntityManager, subject: ParticipantSubject, at: number): Promise<number>;
}

/** The participants registered at start-up (see ErasureParticipant). */
@Injectable()
export class ErasureParticipants {
  private readonly list: ErasureParticipant[] = [];

  register(p: ErasureParticipant): void {
    if (!this.list.includes(p)) this.list.push(p);
  }

  all(): readonly ErasureParticipant[] {
    return this.list;
  }
}
