import type { AccessLogRetentionPolicy } from '@acs/access-log';
import type { AppConfig } from '@acs/config';

/**
 * The access-history retention policy compliance applies, from configuration, for the access
 * log to report (apps/server wires it into AccessLogRetentionModule). History is deleted (or
 * pseudonymised) at end of service plus the purge grace period.
 */
export function historyRetentionPolicy(config: Pick<AppConfig, 'HISTORY_RETENTION' | 'HISTORY_KEEP_DAYS' | 'PURGE_GRACE_DAYS'>): AccessLogRetentionPolicy {
  return {
    ...(config.HISTORY_RETENTION === 'pseudonymise'
      ? { mode: 'pseudonymise' as const, keepDays: config.HISTORY_KEEP_DAYS }
      : { mode: 'until_end_of_service' as const }),
    graceDays: config.PURGE_GRACE_DAYS,
    // The statement's policy unless an operator changed it.
    source: config.PURGE_GRACE_DAYS === 0 && config.HISTORY_RETENTION === 'delete' ? 'default' : 'configuration',
  };
}
