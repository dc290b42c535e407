import type { AccessEventInput, AccessLogService } from '@acs/access-log';
import type { Clock } from '@acs/clock';
import type { MonitorBus } from './monitor.js';

/**
 * A follow-up of an attempt (entered, not_entered, door_unreachable, a soft violation): one more
 * access event against the same attempt id, and the same on the live monitor.
 */
export class FollowUps {
  constructor(
    private readonly accessLog: Pick<AccessLogService, 'append'>,
    private readonly bus: Pick<MonitorBus, 'publish'>,
    private readonly clock: Clock,
    private readonly logger: { error(message: string): void },
  ) {}

  record(attempt: AccessEventInput, attemptId: string, reason: string, result: 'granted' | 'denied'): void {
    const at = this.clock.nowMs();
    // The credential belongs to the attempt alone: the history refuses it on a follow-up.
    const { credential: _credential, ...facts } = attempt;
    const [r] = this.accessLog.append([{ ...facts, kind: 'follow_up', attemptId, reason, result, occurredAt: at }]);
    r.durable.catch((err: Error) => this.logger.error(`follow-up ${reason} of ${attemptId} not recorded: ${err.message}`));
    this.bus.publish({
      type: 'follow_up',
      id: r.id,
      attemptId,
      at,
      siteId: attempt.siteId,
      zoneId: attempt.zoneId ?? null,
      doorId: attempt.doorId ?? null,
      readerId: attempt.readerId ?? null,
      direction: attempt.direction,
      result,
      reason,
      customerId: attempt.customerId,
      personId: attempt.personId ?? null,
    });
  }
}
