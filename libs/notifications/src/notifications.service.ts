import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { timeOrderedId } from '@acs/crypto';
import { activeCustomerAdmins } from '@acs/auth';
import { Clock } from '@acs/clock';
import { AppConfig } from '@acs/config';
import { WriteQueue } from '@acs/database';
import { DomainError, iso, isoOrNull, NotFoundError } from '@acs/http';
import { customerScope, PersonalData } from '@acs/registry';
import {
  NOTIFICATION_KINDS,
  NotificationOutboxEntity,
  NotificationSettingEntity,
  OUTBOX_STATUSES,
  type NotificationKind,
  type OutboxStatus,
} from './entities.js';
import { formatKinds, parseKinds, type Payloads } from './rules.js';

const settingRow = (staffId: string) => `notification_setting:${staffId}`;

export interface SettingsView {
  staffId: string;
  customerId: string;
  email: string | null;
  kinds: NotificationKind[];
  availableKinds: NotificationKind[];
  /** False while SMTP_URL is unset: settings are kept, nothing is sent. */
  sending: boolean;
}

export interface OutboxRowView {
  id: string;
  customerId: string;
  staffId: string;
  kind: NotificationKind;
  status: OutboxStatus;
  attempts: number;
  nextAttemptAt: string;
  lastError: string | null;
  createdAt: string;
  sentAt: string | null;
}

const outboxView = (r: NotificationOutboxEntity): OutboxRowView => ({
  id: r.id,
  customerId: r.customerId,
  staffId: r.staffId,
  kind: r.kind,
  status: r.status,
  attempts: r.attempts,
  nextAttemptAt: iso(r.nextAttemptAt),
  lastError: r.lastError,
  createdAt: iso(r.createdAt),
  sentAt: isoOrNull(r.sentAt),
});

/** The customer administrator an address belongs to. */
export interface Recipient {
  staffId: string;
  customerId: string;
}

/**
 * Notifications to customer administrators: their settings (the address sealed under the
 * customer's data key) and the queueing of mails into the persisted outbox. Other libs call
 * {@link enqueueIn} inside the transaction of the change the mail is about, so the change and its
 * mail commit together or not at all; the outbox worker sends them later.
 */
@Injectable()
export class Notifications {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly writes: WriteQueue,
    private readonly clock: Clock,
    private readonly config: AppConfig,
    private readonly pd: PersonalData,
  ) {}

  /** SMTP_URL set: mails are queued and sent. Off: nothing is queued (the outbox would only grow). */
  get enabled(): boolean {
    return Boolean(this.config.SMTP_URL);
  }

  /**
   * Queues one mail of `kind` for every enabled administrator of the customer who asked for the
   * kind and gave an address, in the caller's transaction. The same `dedupeKey` is queued once
   * per recipient (a unique index; a repeat is ignored). Returns the administrators addressed.
   */
  async enqueueIn<K extends NotificationKind>(m: EntityManager, customerId: string, kind: K, dedupeKey: string, payload: Payloads[K]): Promise<number> {
    if (!this.enabled) return 0;
    const settings = await m.find(NotificationSettingEntity, { where: { customerId } });
    const wanting = settings.filter((s) => s.emailCt !== null && parseKinds(s.kinds).includes(kind));
    if (wanting.length === 0) return 0;
    const active = await activeCustomerAdmins(
      m,
      customerId,
      wanting.map((s) => s.staffId),
    );
    const now = this.clock.nowMs();
    const rows = wanting
      .filter((s) => active.has(s.staffId))
      .map((s) => ({
        id: timeOrderedId(),
        customerId,
        staffId: s.staffId,
        kind,
        dedupeKey,
        payload: JSON.stringify(payload),
        status: 'pending' as const,
        attempts: 0,
        nextAttemptAt: now,
        claimToken: null,
        claimedUntil: null,
        lastError: null,
        createdAt: now,
        sentAt: null,
      }));
    if (rows.length > 0) await m.createQueryBuilder().insert().into(NotificationOutboxEntity).values(rows).orIgnore().execute();
    return rows.length;
  }

  /** {@link enqueueIn} in a transaction of its own (facts noticed after their commit: denials, grants' ends). */
  enqueue<K extends NotificationKind>(customerId: string, kind: K, dedupeKey: string, payload: Payloads[K]): Promise<number> {
    if (!this.enabled) return Promise.resolve(0);
    return this.writes.transaction((m) => this.enqueueIn(m, customerId, kind, dedupeKey, payload));
  }

  // ---------------------------------------------------------------- settings

  async settingsOf(r: Recipient): Promise<SettingsView> {
    const s = await this.ds.getRepository(NotificationSettingEntity).findOne({ where: { staffId: r.staffId, customerId: r.customerId } });
    return {
      staffId: r.staffId,
      customerId: r.customerId,
      email: s ? await this.openOrNull(s) : null,
      kinds: s ? parseKinds(s.kinds) : [...NOTIFICATION_KINDS],
      availableKinds: [...NOTIFICATION_KINDS],
      sending: this.enabled,
    };
  }

  /** Replaces the administrator's address (null: none, nothing is sent) and the kinds they receive. */
  async saveSettings(r: Recipient, email: string | null, kinds: readonly string[]): Promise<SettingsView> {
    const emailCt = await this.pd.seal(customerScope(r.customerId), settingRow(r.staffId), 'email', email);
    await this.writes.transaction(async (m) => {
      const row = { staffId: r.staffId, customerId: r.customerId, emailCt, kinds: formatKinds(kinds), updatedAt: this.clock.nowMs() };
      // The account's customer never changes, so the row of this staff id can only be this customer's.
      await m.delete(NotificationSettingEntity, { staffId: r.staffId });
      await m.insert(NotificationSettingEntity, row);
    });
    return this.settingsOf(r);
  }

  /** The address to send a recipient's mail to, or null (none any more: the row is dropped). */
  async addressOf(staffId: string, customerId: string): Promise<string | null> {
    const s = await this.ds.getRepository(NotificationSettingEntity).findOne({ where: { staffId, customerId } });
    return s ? this.openOrNull(s) : null;
  }

  /**
   * A customer's purge: deletes its administrators' settings (their addresses) and its queued
   * mails, in the purge's transaction. Returns how many addresses were erased (on the certificate).
   */
  async eraseCustomerIn(m: EntityManager, customerId: string): Promise<number> {
    const addresses = await m.count(NotificationSettingEntity, { where: { customerId } });
    await m.delete(NotificationSettingEntity, { customerId });
    await m.delete(NotificationOutboxEntity, { customerId });
    return addresses;
  }

  /** The customer's sealed addresses, for the erasure's byte scan (values to look for afterwards). */
  async sealedAddresses(customerId: string): Promise<Array<{ row: string; field: string; ciphertext: string }>> {
    const rows = await this.ds.getRepository(NotificationSettingEntity).find({ where: { customerId } });
    return rows.filter((r) => r.emailCt !== null).map((r) => ({ row: settingRow(r.staffId), field: 'email', ciphertext: r.emailCt! }));
  }

  // ---------------------------------------------------------------- the outbox for staff

  async outbox(status: OutboxStatus | undefined, limit = 100): Promise<OutboxRowView[]> {
    const rows = await this.ds.getRepository(NotificationOutboxEntity).find({ where: status ? { status } : {}, order: { id: 'DESC' }, take: limit });
    return rows.map(outboxView);
  }

  async summary(): Promise<Record<OutboxStatus, number>> {
    const rows = await this.ds
      .getRepository(NotificationOutboxEntity)
      .createQueryBuilder('o')
      .select('o.status', 'status')
      .addSelect('COUNT(*)', 'n')
      .groupBy('o.status')
      .getRawMany<{ status: OutboxStatus; n: string | number }>();
    const out = Object.fromEntries(OUTBOX_STATUSES.map((s) => [s, 0])) as Record<OutboxStatus, number>;
    for (const r of rows) out[r.status] = Number(r.n);
    return out;
  }

  /** A dead mail is given another round of attempts (after staff fixed the cause). */
  async retry(id: string): Promise<OutboxRowView> {
    await this.writes.transaction(async (m) => {
      const row = await m.findOne(NotificationOutboxEntity, { where: { id } });
      if (!row) throw new NotFoundError('Notification', id);
      if (row.status !== 'dead')
        throw new DomainError('notification.not_dead', 'only a dead notification can be retried', 409, { notificationStatus: row.status });
      await m.update(
        NotificationOutboxEntity,
        { id, status: 'dead' },
        { status: 'pending', attempts: 0, nextAttemptAt: this.clock.nowMs(), claimToken: null, claimedUntil: null },
      );
    });
    return outboxView((await this.ds.getRepository(NotificationOutboxEntity).findOne({ where: { id } }))!);
  }

  /** After the customer's purge the key is shredded: an address that cannot be opened is no address. */
  private async openOrNull(s: NotificationSettingEntity): Promise<string | null> {
    try {
      return await this.pd.open(settingRow(s.staffId), 'email', s.emailCt);
    } catch {
      return null;
    }
  }
}
