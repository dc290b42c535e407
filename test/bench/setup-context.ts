import { Writable } from 'node:stream';
import { NestFactory } from '@nestjs/core';
import type { INestApplicationContext } from '@nestjs/common';
import type { DestinationStream } from 'pino';
import { DataSource } from 'typeorm';
import type { Clock } from '@acs/clock';
import { loadConfig } from '@acs/config';
import { ReaderLibraryService, TemplateVault } from '@acs/reader-fleet';
import { AccessService, CustomerService, DeviceService, PersonService, SiteService } from '@acs/registry';
import { AppModule } from '../../apps/server/src/app.module.js';

/** Log lines of a benchmark's server contexts go nowhere: the figures are the output. */
export const silent = new Writable({ write: (_c, _e, cb) => cb() }) as unknown as DestinationStream;

/** The whole server as an application context (no HTTP listener) on these settings. */
export function serverContext(env: Record<string, string>, clock: Clock): Promise<INestApplicationContext> {
  return NestFactory.createApplicationContext(AppModule.register({ config: loadConfig(env), clock, logDestination: silent }), { logger: false });
}

/**
 * A context for writing a benchmark's fixture, and the services the fixtures write through. Its
 * reader library never plans: the set-up writes the libraries' end state itself (templates, stored
 * slots, flash files), and the planner, woken 20 ms after each registry change, would otherwise
 * plan slots of its own in between (it did once writes stopped holding the event loop: UNIQUE
 * reader_slot in the purge benchmark). The measured context, started afterwards, plans normally.
 */
export async function setUpContext(env: Record<string, string>, clock: Clock) {
  const app = await serverContext(env, clock);
  app.get(ReaderLibraryService).requestPlan = () => undefined;
  return {
    app,
    ds: app.get(DataSource),
    sites: app.get(SiteService),
    devices: app.get(DeviceService),
    access: app.get(AccessService),
    customers: app.get(CustomerService),
    persons: app.get(PersonService),
    vault: app.get(TemplateVault),
  };
}
