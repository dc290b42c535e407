import { Module } from '@nestjs/common';
import { AccessLogCoreModule } from '@acs/access-log';
import { BadgeInModule } from '@acs/badge-in';
import { HealthModule } from '@acs/health';
import { SiemFeeds } from './siem-feeds.js';
import { SiemOutbox } from './siem-outbox.js';
import { SyslogSender } from './syslog-sender.js';

/**
 * The SIEM export (docs/siem.md): security events into the outbox in their records'
 * transactions, and out to the syslog collector over TLS. Off unless SIEM_SYSLOG_URL is set.
 * Sits above the libs it listens to; none of them imports it.
 */
@Module({
  imports: [AccessLogCoreModule, BadgeInModule, HealthModule],
  providers: [SiemOutbox, SiemFeeds, SyslogSender],
  exports: [SiemOutbox, SyslogSender],
})
export class SiemModule {}
