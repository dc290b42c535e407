import { randomUUID } from 'node:crypto';
import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, In, IsNull, LessThan, LessThanOrEqual } from 'typeorm';
import { activeCustomerAdmins } from '@acs/auth';
import { Clock, PeriodicJobs } from '@acs/clock';
import { AppConfig } from '@acs/config';
import { WriteQueue } from '@acs/database';
import { NotificationOutboxEntity } from './entities.js';
import { Mailer } from './mailer.js';
import { Notifications } from './notifications.service.js';
import { afterFailure, failureCode, mailFor, type SendFailure } from './rules.js';

/** Mails one round sends at most. */
const BATCH = 10;
/** How long a round holds its rows: more than a batch of sends with the mailer's timeouts. */
const CLAIM_MS = 10 * 60_000;

export interface RoundReport {
  sent: number;
  failed: number;
  dropped: number;
}

/**
 * Sends the outbox. Each round claims due rows with a conditional update (a random token and a
 * deadline; on PostgreSQL the update re-checks the condition on a row another instance has just
 * claimed, on SQLite there is one writer), so several instances never send a row twice at once;
 * a crashed round's claims lapse after CLAIM_MS. A failure is retried with doubling delays until
 * NOTIFY_MAX_ATTEMPTS, then the row is `dead` (listed for staff, who can retry it). Delivery is
 * at least once: a crash between the server's acceptance and the row's update sends it again,
 * with the same Message-ID.
 */
@Injectable()
export class OutboxWorker implements OnApplicationBootstrap {
  private readonly logger = new Logger('Notifications');

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly writes: WriteQueue,
    private readonly clock: Clock,
    private readonly config: AppConfig,
    private readonly jobs: PeriodicJobs,
    private readonly mailer: Mailer,
    private readonly notifications: Notifications,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.notifications.enabled) return;
    this.jobs.every({ name: 'notifications.send', everyMs: this.config.NOTIFY_POLL_S * 1000, run: () => this.round() });
  }

  /** One round: claims due rows and sends them. */
  async round(): Promise<RoundReport> {
    const report: RoundReport = { sent: 0, failed: 0, dropped: 0 };
    if (!this.notifications.enabled) return report;
    const token = randomUUID();
    const rows = await this.claim(token);
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i]!;
      const outcome = await this.sendOne(row, token);
      report[outcome]++;
      if (outcome === 'failed' && row.connectionLost) {
        // The server is unreachable: the rest wait for the next round without spending an attempt.
        await this.release(
          rows.slice(i + 1).map((r) => r.id),
          token,
        );
        break;
      }
    }
    return report;
  }

  private async claim(token: string): Promise<Array<NotificationOutboxEntity & { connectionLost?: boolean }>> {
    const now = this.clock.nowMs();
    await this.writes.transaction(async (m) => {
      const due = await m.find(NotificationOutboxEntity, {
        where: [
          { status: 'pending', nextAttemptAt: LessThanOrEqual(now), claimedUntil: IsNull() },
          { status: 'pending', nextAttemptAt: LessThanOrEqual(now), claimedUntil: LessThan(now) },
        ],
        order: { nextAttemptAt: 'ASC', id: 'ASC' },
        take: BATCH,
        select: { id: true },
      });
      if (due.length === 0) return;
      await m
        .createQueryBuilder()
        .update(NotificationOutboxEntity)
        .set({ claimToken: token, claimedUntil: now + CLAIM_MS })
        .where('id IN (:...ids)', { ids: due.map((d) => d.id) })
        .andWhere("status = 'pending' AND (claimed_until IS NULL OR claimed_until < :now)", { now })
        .execute();
    });
    return this.ds
      .getRepository(NotificationOutboxEntity)
      .find({ where: { claimToken: token, status: 'pending' }, order: { nextAttemptAt: 'ASC', id: 'ASC' } });
  }

  private async sendOne(row: NotificationOutboxEntity & { connectionLost?: boolean }, token: string): Promise<keyof RoundReport> {
    const mine = { id: row.id, claimToken: token };
    const active = await activeCustomerAdmins(this.ds.manager, row.customerId, [row.staffId]);
    const to = active.has(row.staffId) ? await this.notifications.addressOf(row.staffId, row.customerId) : null;
    if (to === null) {
      await this.writes.transaction((m) => m.update(NotificationOutboxEntity, mine, { status: 'dropped', claimToken: null, claimedUntil: null }));
      return 'dropped';
    }
    const mail = mailFor(row.kind, JSON.parse(row.payload) as never, this.config.PUBLIC_URL);
    try {
      await this.mailer.send({ to, ...mail, outboxId: row.id });
    } catch (err) {
      const f = err as SendFailure;
      const attempts = row.attempts + 1;
      const next = afterFailure(f, attempts, this.config.NOTIFY_MAX_ATTEMPTS, this.clock.nowMs(), this.config.NOTIFY_RETRY_BASE_S * 1000);
      const code = failureCode(f);
      row.connectionLost = f.responseCode === undefined;
      await this.writes.transaction((m) =>
        m.update(NotificationOutboxEntity, mine, {
          status: next.status,
          attempts,
          nextAttemptAt: next.nextAttemptAt,
          lastError: code,
          claimToken: null,
          claimedUntil: null,
        }),
      );
      // Ids and codes only: the server's text can echo the address.
      this.logger.warn(`notification ${row.id} (${row.kind}) not sent, attempt ${attempts}: ${code}${next.status === 'dead' ? ', given up (dead)' : ''}`);
      return 'failed';
    }
    await this.writes.transaction((m) =>
      m.update(NotificationOutboxEntity, mine, {
        status: 'sent',
        attempts: row.attempts + 1,
        sentAt: this.clock.nowMs(),
        lastError: null,
        claimToken: null,
        claimedUntil: null,
      }),
    );
    return 'sent';
  }

  private async release(ids: string[], token: string): Promise<void> {
    if (ids.length === 0) return;
    await this.writes.transaction((m) => m.update(NotificationOutboxEntity, { id: In(ids), claimToken: token }, { claimToken: null, claimedUntil: null }));
  }
}
