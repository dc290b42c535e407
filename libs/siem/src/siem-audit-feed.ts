import type BetterSqlite3 from 'better-sqlite3';
import { Injectable, Module, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AuditAppendTap, type AuditEntry } from '@acs/audit';
import { AppConfig } from '@acs/config';
import { fromAuditEntry, type SiemEvent } from './siem-events.js';
import { SiemOutbox } from './siem-outbox.js';

/**
 * The audit trail's feed alone, for processes other than the server: `acsctl` creates staff
 * accounts, issues tokens and starts purges, and those entries belong in the SOC's view as much
 * as the server's. They are queued in the entry's own transaction in the shared outbox; the
 * server's sender ships them. Off unless SIEM_SYSLOG_URL is set, like the server's feeds.
 */
@Injectable()
export class SiemAuditFeed implements OnModuleInit, OnApplicationShutdown {
  constructor(
    private readonly config: AppConfig,
    private readonly outbox: SiemOutbox,
    private readonly audit: AuditAppendTap,
  ) {}

  onModuleInit(): void {
    if (!this.config.siemTarget) return;
    const events = (items: readonly AuditEntry[]) => items.map(fromAuditEntry).filter((e): e is SiemEvent => e !== null);
    this.audit.connect({
      append: (m: EntityManager, items) => this.outbox.enqueue(m, events(items)),
      appendNative: (db: BetterSqlite3.Database, items) => this.outbox.enqueueNative(db, events(items)),
    });
  }

  onApplicationShutdown(): void {
    this.audit.disconnect();
  }
}

/** The CLI's part of the SIEM export: its audit entries into the outbox (docs/siem.md). */
@Module({ providers: [SiemOutbox, SiemAuditFeed] })
export class SiemAuditFeedModule {}
