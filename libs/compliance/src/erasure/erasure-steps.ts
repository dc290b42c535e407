import { Injectable } from '@nestjs/common';
import { AccessHistoryErasure } from '@acs/access-log';
import { StaffService, TokenService } from '@acs/auth';
import { Clock } from '@acs/clock';
import { CredentialService } from '@acs/credentials';
import { AppConfig } from '@acs/config';
import { KeyService } from '@acs/crypto';
import { WriteQueue } from '@acs/database';
import { Notifications } from '@acs/notifications';
import { ReaderLibraryService, TemplateVault, type ErasureSubject } from '@acs/reader-fleet';
import { customerScope, PersonDataErasure, type PersonDataErased } from '@acs/registry';
import { ErasureJobEntity } from '../entities.js';
import { DAY_MS, defer, recordHolders, undefer, type ErasureData } from './erasure-data.js';
import { erasurePolicy, type ErasurePolicy } from './erasure-policy.js';
import { ErasureJobs } from './erasure-jobs.js';
import { ErasureParticipants } from './erasure-participants.js';
import { ErasureProbe } from './erasure-probe.js';
import { LegalHolds } from './legal-holds.js';

/**
 * The erasure steps before the physical scan and the certificate (issue 9): readers → server_data
 * → history → key. Each is idempotent (a crash repeats at most the step it was in) and asks the
 * policy with the holds of the moment. The data itself is erased by the libs that own it.
 */
@Injectable()
export class ErasureSteps {
  constructor(
    private readonly jobs: ErasureJobs,
    private readonly writes: WriteQueue,
    private readonly clock: Clock,
    private readonly config: AppConfig,
    private readonly keys: KeyService,
    private readonly library: ReaderLibraryService,
    private readonly vault: TemplateVault,
    private readonly people: PersonDataErasure,
    private readonly history: AccessHistoryErasure,
    private readonly holds: LegalHolds,
    private readonly probe: ErasureProbe,
    private readonly tokens: TokenService,
    private readonly credentials: CredentialService,
    private readonly accounts: StaffService,
    private readonly notifications: Notifications,
    private readonly participants: ErasureParticipants,
  ) {}

  async policy(job: ErasureJobEntity): Promise<ErasurePolicy> {
    return erasurePolicy({
      kind: job.kind,
      personId: job.personId,
      historyRetention: this.config.HISTORY_RETENTION,
      holds: await this.holds.active(job.customerId),
    });
  }

  private subject(job: ErasureJobEntity): ErasureSubject {
    return job.kind === 'customer' ? { customerId: job.customerId } : { personId: job.personId! };
  }

  /** Step 1: DeletChar on every reader through the outbox, confirmed with ReadIndexTable. True when every reader confirmed. */
  async readers(job: ErasureJobEntity, data: ErasureData): Promise<boolean> {
    const subject = this.subject(job);
    let readers = data.readers;
    if (!readers) {
      // Jobs created before the holders were recorded at creation (recordHolders) write them down
      // here, still before any delete is queued.
      const before = await this.library.erasureStatus(subject);
      readers = recordHolders(
        data,
        before.map((r) => ({ readerId: r.readerId, slots: r.remainingSlots })),
      );
      await this.jobs.save(job.id, { data: JSON.stringify(data) });
    }
    const policy = await this.policy(job);
    const ticket = await this.library.eraseTemplatesOf(subject, { keepServerCopy: policy.serverTemplatesWith === 'server_data' });
    this.probe.at('readers:queued', job.id);
    for (const r of ticket.readerIds) if (!readers.readerIds.includes(r)) readers.readerIds.push(r);
    const status = await this.library.erasureStatus(subject, readers.readerIds);
    const now = this.clock.nowMs();
    for (const s of status) {
      const prev = readers.confirmations[s.readerId];
      readers.confirmations[s.readerId] = {
        readerId: s.readerId,
        confirmedAt: s.confirmed ? (prev?.confirmedAt ?? now) : null,
        remainingSlots: s.remainingSlots,
        pendingOps: s.pendingOpIds.length,
      };
      if (!readers.readerIds.includes(s.readerId)) readers.readerIds.push(s.readerId);
    }
    data.counts.readers = readers.readerIds.length;
    return status.every((s) => s.confirmed);
  }

  /**
   * Step 2: template rows, then (unless held) people, their grants, their cards and PINs, and the
   * contact person. Saves the job's move to `history` in the same transaction: a crash cannot
   * separate the two.
   */
  async serverData(job: ErasureJobEntity, data: ErasureData): Promise<void> {
    const policy = await this.policy(job);
    const now = this.clock.nowMs();
    const people = job.kind === 'customer' ? { customerId: job.customerId } : { customerId: job.customerId, personId: job.personId! };
    const out: { erased?: PersonDataErased } = {};
    await this.writes.transaction(async (m): Promise<unknown> => {
      await this.vault.deleteStoredTemplates(m, job.kind === 'customer' ? { customerId: job.customerId } : { personId: job.personId! });
      if (policy.apiTokens === 'revoke') {
        // In this transaction: the revocation commits with the step (the count goes on the certificate).
        const revoked = await this.tokens.revokeAllIn(m, { customerId: job.customerId }, now);
        data.counts.tokensRevoked = (data.counts.tokensRevoked ?? 0) + revoked;
      }
      const commit = () => m.update(ErasureJobEntity, { id: job.id }, { step: 'history', data: JSON.stringify(data), updatedAt: now });
      if (policy.names === 'keep') return commit();
      if (policy.names === 'defer') {
        defer(data, 'names', policy.holdIds);
        return commit();
      }
      // A card identifies its holder like the name does, so it is held and erased with the name
      // (never by a biometrics withdrawal: names are kept then). Counted by the delete itself, in
      // this transaction: a crash rolls back the count with the rows, so a resumed step counts right.
      const cards = await this.credentials.eraseCredentials(m, people);
      data.counts.cards = (data.counts.cards ?? 0) + cards.cards;
      data.counts.pins = (data.counts.pins ?? 0) + cards.pins;
      // Libs above compliance with personal data of their own (visitors), in this transaction too.
      for (const p of this.participants.all()) data.counts[p.count] = (data.counts[p.count] ?? 0) + (await p.erase(m, people, now));
      const erased = await this.people.erasePersonData(m, people, now);
      out.erased = erased;
      if (erased.deletedPersonIds.length > 0) {
        data.counts.personGrants = (data.counts.personGrants ?? 0) + erased.grants;
        data.counts.people = (data.counts.people ?? 0) + erased.people;
      } else data.counts.people ??= 0;
      if (job.kind === 'customer') {
        if (erased.contactPerson > 0) data.counts.contactPerson = 1;
        data.counts.contactPerson ??= 0;
        // Its administrators' accounts name people too (their usernames): erased with the names.
        data.counts.customerAdmins = (data.counts.customerAdmins ?? 0) + (await this.accounts.eraseCustomerAdminsIn(m, job.customerId));
        // And their notification addresses (and the customer's queued mails) with the accounts.
        data.counts.notificationAddresses = (data.counts.notificationAddresses ?? 0) + (await this.notifications.eraseCustomerIn(m, job.customerId));
      }
      undefer(data, 'names');
      data.steps.server_data!.finishedAt = now;
      return commit();
    });
    if (out.erased) this.people.announce(people, out.erased);
  }

  /** Step 3: the retention policy for the access history (customer), or the person's events. */
  async historyStep(job: ErasureJobEntity, data: ErasureData): Promise<void> {
    const policy = await this.policy(job);
    if (policy.history === 'keep') return;
    if (policy.history === 'defer') {
      defer(data, 'history', policy.holdIds);
      return;
    }
    const chainId = job.customerId;
    if (!data.history) {
      const head = await this.history.head(chainId);
      const events = await this.history.count(job.kind === 'customer' ? { customerId: chainId } : { personId: job.personId! });
      data.history = { mode: policy.history, events, erasedHeadSeq: head?.seq ?? null, erasedHeadHash: head?.hash ?? null };
      // The head is written down before the first row goes, so a resumed step certifies the original chain.
      await this.jobs.save(job.id, { data: JSON.stringify(data) });
    }
    const h = data.history;
    if (h.mode === 'delete') {
      await this.history.deleteHistory(chainId, () => this.probe.at('history:chunk', job.id));
    } else if (h.mode === 'pseudonymise') {
      await this.history.pseudonymise(chainId);
      const head = await this.history.rechain(chainId);
      h.newHeadSeq = head?.seq ?? null;
      h.newHeadHash = head?.hash ?? null;
      h.keepUntil = (data.serviceEnd ?? this.clock.nowMs()) + this.config.HISTORY_KEEP_DAYS * DAY_MS;
    } else {
      // One person's events leave the customer's chain; the chain is re-linked and both heads certified.
      await this.history.deletePersonEvents(job.personId!);
      const head = await this.history.rechain(chainId);
      h.newHeadSeq = head?.seq ?? null;
      h.newHeadHash = head?.hash ?? null;
    }
    undefer(data, 'history');
  }

  /** Step 4: destroy the customer's data key (every copy of every ciphertext becomes noise). */
  async key(job: ErasureJobEntity, data: ErasureData): Promise<void> {
    const policy = await this.policy(job);
    if (policy.key.action === 'keep') {
      data.key = { destroyed: false, reason: policy.key.reason };
      return;
    }
    if (policy.key.action === 'defer') {
      // Names under a hold are still sealed with this key; the templates' rows are already gone.
      defer(data, 'key', policy.holdIds);
      data.key = { destroyed: false, reason: policy.key.reason };
      return;
    }
    const existed = await this.keys.destroyScope(customerScope(job.customerId));
    data.key = { destroyed: existed || data.key?.destroyed === true || !(await this.keys.hasScope(customerScope(job.customerId))) };
    undefer(data, 'key');
  }

  /** Deletes pseudonymised history whose keeping period ended (the second half of that policy). */
  async expireHistory(customerId: string): Promise<void> {
    await this.history.deleteHistory(customerId);
  }
}
