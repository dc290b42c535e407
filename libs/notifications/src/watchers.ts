import { Injectable, Logger, Optional, type OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, Not, IsNull } from 'typeorm';
import { AttemptFeed } from '@acs/access-log';
import { Clock, PeriodicJobs } from '@acs/clock';
import { LeaseService } from '@acs/cluster';
import { AppConfig } from '@acs/config';
import { WriteQueue } from '@acs/database';
import { grantsEndingBetween } from '@acs/registry';
import { DenialCursorEntity, NotificationSettingEntity, type NotificationKind } from './entities.js';
import { Notifications } from './notifications.service.js';
import { DAY_MS, endsWithin, parseKinds, streakReached } from './rules.js';

/** Events read from a chain per step. */
const PAGE = 500;
/** How often grants' ends are looked at (each grant is told once; the check is cheap). */
const ENDING_CHECK_MS = 3_600_000;
const LEASE = 'notifications.watch';

/**
 * The facts noticed after their commit: a person denied N times in a row at a zone (from the
 * access history, followed per customer chain from a stored position), and grants ending within
 * NOTIFY_ACCESS_ENDING_DAYS. One instance watches at a time (the `notifications.watch` lease); the
 * outbox's unique key would absorb a repeat anyway.
 */
@Injectable()
export class NotificationWatchers implements OnApplicationBootstrap {
  private readonly logger = new Logger('Notifications');

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly writes: WriteQueue,
    private readonly clock: Clock,
    private readonly config: AppConfig,
    private readonly jobs: PeriodicJobs,
    private readonly feed: AttemptFeed,
    private readonly notifications: Notifications,
    @Optional() private readonly leases?: LeaseService,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.notifications.enabled) return;
    this.jobs.every({ name: 'notifications.denials', everyMs: this.config.NOTIFY_POLL_S * 1000, run: () => this.denials() });
    this.jobs.every({ name: 'notifications.access_ending', everyMs: ENDING_CHECK_MS, run: () => this.accessEnding() });
  }

  private async mayWatch(): Promise<boolean> {
    return !this.leases || (await this.leases.acquire(LEASE));
  }

  /** Customers with at least one administrator who wants `kind` and gave an address. */
  private async subscribed(kind: NotificationKind): Promise<Set<string>> {
    const rows = await this.ds.getRepository(NotificationSettingEntity).find({ where: { emailCt: Not(IsNull()) }, select: { customerId: true, kinds: true } });
    return new Set(rows.filter((r) => parseKinds(r.kinds).includes(kind)).map((r) => r.customerId));
  }

  /** One round of the denial watcher over every subscribed customer's chain; returns the streaks told. */
  async denials(): Promise<number> {
    if (!this.notifications.enabled || !(await this.mayWatch())) return 0;
    let told = 0;
    for (const customerId of await this.subscribed('person_denied')) told += await this.followChain(customerId);
    return told;
  }

  private async followChain(chainId: string): Promise<number> {
    const n = this.config.NOTIFY_DENIALS_IN_A_ROW;
    const cursor = await this.ds.getRepository(DenialCursorEntity).findOne({ where: { chainId } });
    if (!cursor) {
      // A customer newly subscribed: from now on, not its past.
      const head = await this.feed.headSeq(chainId);
      await this.writes.transaction((m) => m.createQueryBuilder().insert().into(DenialCursorEntity).values({ chainId, seq: head }).orIgnore().execute());
      return 0;
    }
    let at = cursor.seq;
    let told = 0;
    for (;;) {
      const events = await this.feed.after(chainId, at, PAGE);
      if (events.length === 0) return told;
      const streaks: Array<{ personId: string; zoneId: string; eventId: string; lastAt: number }> = [];
      for (const e of events) {
        if (e.kind !== 'attempt' || e.result !== 'denied' || !e.personId || !e.zoneId || !e.customerId) continue;
        const last = await this.feed.lastAttemptsAt(e.personId, e.zoneId, e.occurredAt, n + 1);
        if (streakReached(last, e.id, n)) streaks.push({ personId: e.personId, zoneId: e.zoneId, eventId: e.id, lastAt: e.occurredAt });
      }
      const to = events[events.length - 1]!.seq;
      // The mails and the position commit together: a crash repeats the page, and the outbox's
      // unique key (the streak's last event) absorbs the repeat.
      await this.writes.transaction(async (m) => {
        for (const s of streaks)
          await this.notifications.enqueueIn(m, chainId, 'person_denied', `person_denied:${s.eventId}`, {
            personId: s.personId,
            zoneId: s.zoneId,
            count: n,
            lastAt: s.lastAt,
          });
        await m.update(DenialCursorEntity, { chainId }, { seq: to });
      });
      told += streaks.length;
      at = to;
      if (events.length < PAGE) return told;
    }
  }

  /** One round of the reminder of grants ending within NOTIFY_ACCESS_ENDING_DAYS; returns the grants told. */
  async accessEnding(): Promise<number> {
    if (!this.notifications.enabled || !(await this.mayWatch())) return 0;
    const customers = await this.subscribed('access_ending');
    if (customers.size === 0) return 0;
    const now = this.clock.nowMs();
    const until = now + this.config.NOTIFY_ACCESS_ENDING_DAYS * DAY_MS;
    let told = 0;
    let from = now + 1;
    for (;;) {
      const grants = await grantsEndingBetween(this.ds.manager, from, until, PAGE);
      for (const g of grants) {
        if (!customers.has(g.customerId) || !endsWithin(g.validUntil, now, this.config.NOTIFY_ACCESS_ENDING_DAYS)) continue;
        // Once per grant and end date: a grant extended and then ending again is told again.
        const key = `access_ending:${g.id}:${g.validUntil}`;
        await this.notifications.enqueue(g.customerId, 'access_ending', key, {
          grantId: g.id,
          personId: g.personId,
          accessLevelId: g.accessLevelId,
          endsAt: g.validUntil,
        });
        told++;
      }
      if (grants.length < PAGE || grants[grants.length - 1]!.validUntil === from) break;
      from = grants[grants.length - 1]!.validUntil;
    }
    if (told > 0) this.logger.debug(`access ending: ${told} grant(s) looked at`);
    return told;
  }
}
