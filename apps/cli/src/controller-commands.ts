import { NestFactory } from '@nestjs/core';
import { DataSource } from 'typeorm';
import { ControllerSequenceEntity } from '@acs/badge-in';
import type { AppConfig } from '@acs/config';
import { WriteQueue } from '@acs/database';
import { isValidControllerId } from '@acs/door-protocol';
import { CliModule } from './cli.module.js';
import { CliError, type Out } from './out.js';

/**
 * Forgets the stored event sequence (epoch and highest seq) of one controller, so the next
 * events it sends start a fresh record. The way out when a bad epoch was stored (a controller
 * booted with its clock far ahead, before the server bounded epochs): the server would otherwise
 * drop every later real event as "older epoch". Restart the instance that owns the controller
 * afterwards: it holds the sequence in memory too. Events the controller still buffers are
 * replayed and recorded again only if they were never acknowledged.
 */
export async function controllerResetSequence(config: AppConfig, out: Out, opts: { mqttId: string }): Promise<void> {
  if (!isValidControllerId(opts.mqttId)) throw new CliError('--mqtt-id must be a controller MQTT id');
  const app = await NestFactory.createApplicationContext(CliModule.register(config), { logger: ['error', 'warn'] });
  try {
    const repo = app.get(DataSource).getRepository(ControllerSequenceEntity);
    const row = await repo.findOneBy({ mqttId: opts.mqttId });
    if (!row) {
      out.line(`No stored event sequence for ${opts.mqttId}.`);
      return;
    }
    await app.get(WriteQueue).transaction((m) => m.getRepository(ControllerSequenceEntity).delete({ mqttId: opts.mqttId }));
    out.line(`Forgot the event sequence of ${opts.mqttId} (epoch ${row.epoch}, seq ${row.seq}). Restart the server instance that owns it.`);
  } finally {
    await app.close();
  }
}
