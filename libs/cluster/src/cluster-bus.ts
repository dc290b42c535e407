import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '@acs/config';
import { AcsMqttClient, clusterTopic } from '@acs/mqtt';

interface Envelope {
  from: string;
  body: unknown;
}

/**
 * Notices between server instances over the shared broker. They only say "look again": every
 * fact stays in the database (outbox, registry, access log), so a lost notice delays work until
 * the next periodic pass but loses nothing, and nothing crosses instances in shared memory.
 * An instance ignores its own notices.
 */
@Injectable()
export class ClusterBus {
  private readonly logger = new Logger('ClusterBus');

  constructor(
    private readonly client: AcsMqttClient,
    private readonly config: AppConfig,
  ) {}

  get instanceId(): string {
    return this.config.INSTANCE_ID;
  }

  publish(channel: string, body: unknown): void {
    const payload = JSON.stringify({ from: this.config.INSTANCE_ID, body } satisfies Envelope);
    this.client
      .publish(clusterTopic(channel), payload, { qos: 1 })
      .catch((err: Error) => this.logger.warn(`cluster notice on ${channel} not sent: ${err.message}`));
  }

  async subscribe(channel: string, handler: (body: unknown, from: string) => void): Promise<void> {
    await this.client.route(clusterTopic(channel), (_topic, payload) => {
      let env: Envelope;
      try {
        env = JSON.parse(payload.toString('utf8')) as Envelope;
      } catch {
        this.logger.warn(`malformed cluster notice on ${channel} dropped`);
        return;
      }
      if (typeof env?.from !== 'string' || env.from === this.config.INSTANCE_ID) return;
      try {
        handler(env.body, env.from);
      } catch (err) {
        this.logger.warn(`cluster notice on ${channel} not handled: ${(err as Error).message}`);
      }
    });
  }
}
