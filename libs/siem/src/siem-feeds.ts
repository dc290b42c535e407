import type BetterSqlite3 from 'better-sqlite3';
import { Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { type AccessEvent, AccessEventTap } from '@acs/access-log';
import { AuditAppendTap, type AuditEntry } from '@acs/audit';
import { type AlarmView, DoorAlarmTap } from '@acs/badge-in';
import { AppConfig } from '@acs/config';
import type { AppendListener } from '@acs/database';
import { fromAccessEvent, fromAuditEntry, fromDoorAlarm, type SiemEvent } from './siem-events.js';
import { SiemOutbox } from './siem-outbox.js';

/**
 * Feeds the outbox from three places, each in the transaction of its record: the audit trail
 * (sign-in failures, refused calls, staff changes, lockdowns, emergency releases, MQTT security
 * events and alarms, erasures), the access log (denied attempts) and door alarms. No service is
 * touched: each of those libs offers a tap, connected here when the export is on. Off, nothing
 * is queued (an outbox nobody drains would only grow).
 */
@Injectable()
export class SiemFeeds implements OnModuleInit, OnApplicationShutdown {
  constructor(
    private readonly config: AppConfig,
    private readonly outbox: SiemOutbox,
    private readonly audit: AuditAppendTap,
    private readonly access: AccessEventTap,
    private readonly alarms: DoorAlarmTap,
  ) {}

  onModuleInit(): void {
    if (!this.config.siemTarget) return;
    this.audit.connect(this.listener(fromAuditEntry));
    this.access.connect(this.listener(fromAccessEvent));
    this.alarms.connect(this.listener(fromDoorAlarm));
  }

  onApplicationShutdown(): void {
    for (const tap of [this.audit, this.access, this.alarms]) tap.disconnect();
  }

  private listener<T extends AuditEntry | AccessEvent | AlarmView>(map: (item: T) => SiemEvent | null): AppendListener<T> {
    const events = (items: readonly T[]) => items.map(map).filter((e): e is SiemEvent => e !== null);
    return {
      append: (m: EntityManager, items) => this.outbox.enqueue(m, events(items)),
      appendNative: (db: BetterSqlite3.Database, items) => this.outbox.enqueueNative(db, events(items)),
    };
  }
}
