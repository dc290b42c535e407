import type { DeviceOwnership, OwnershipChange } from '@acs/cluster';
import type { DoorCommandService } from '@acs/door-control';
import type { ControllerSequences } from './controller-sequences.js';

/**
 * What badge-in does when a failover lease changes hands at this instance (issue 18). Readers
 * open and close by themselves (the reader fleet follows the leases); controllers need their
 * event sequence: a controller this instance has just taken over resumes from the durable record
 * its previous owner saved, so events that owner handled are not handled twice, and the ones it
 * never acknowledged (the controller keeps and resends them) are handled here. A first command
 * under the new fence (a state read) raises the controller's fence at once, so a deposed owner
 * that comes back to life is refused even before it next unlocks.
 */
export class FailoverHandover {
  private readonly onChange = (c: OwnershipChange) =>
    void this.handle(c).catch((err: Error) => this.deps.logger.error(`handover of ${c.lease} incomplete: ${err.message}`));

  constructor(
    private readonly deps: {
      ownership: Pick<DeviceOwnership, 'on' | 'off'>;
      doors: Pick<DoorCommandService, 'forgetUnowned' | 'tracksSequence' | 'restoreSequence' | 'readState'>;
      secrets: { owns(mqttId: string): Promise<boolean> };
      sequences: Pick<ControllerSequences, 'restore'>;
      /** The MQTT ids of every controller wired to a door. */
      controllers: () => Iterable<string>;
      logger: { log(message: string): void; warn(message: string): void; error(message: string): void };
    },
  ) {}

  start(): void {
    this.deps.ownership.on('changed', this.onChange);
  }

  stop(): void {
    this.deps.ownership.off('changed', this.onChange);
  }

  async handle(c: OwnershipChange): Promise<void> {
    const d = this.deps;
    await d.doors.forgetUnowned();
    if (!c.held) return;
    const stored = new Map((await d.sequences.restore()).map((s) => [s.mqttId, s]));
    for (const mqttId of d.controllers()) {
      if (d.doors.tracksSequence(mqttId) || !(await d.secrets.owns(mqttId))) continue;
      const s = stored.get(mqttId);
      if (s) d.doors.restoreSequence(mqttId, s.epoch, s.seq);
      d.logger.log(`took over controller ${mqttId} (${c.lease}, token ${c.token}) from event ${s ? `${s.epoch}/${s.seq}` : 'its first'}`);
      d.doors.readState(mqttId).catch((err: Error) => d.logger.warn(`first state read of ${mqttId} after takeover failed: ${err.message}`));
    }
  }
}
