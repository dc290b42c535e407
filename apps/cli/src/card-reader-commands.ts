import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AuditService } from '@acs/audit';
import type { AppConfig } from '@acs/config';
import type { Page } from '@acs/http';
import { CardReaderService } from '@acs/registry';
import { CliModule } from './cli.module.js';
import { CliError, type Out } from './out.js';

const CLI_ACTOR = { actorType: 'cli', actorId: 'acsctl', role: 'admin' } as const;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

type BusView = Awaited<ReturnType<CardReaderService['getBus']>>;
type ReaderView = Awaited<ReturnType<CardReaderService['getCardReader']>>;

async function all<T>(page: (cursor?: string) => Promise<Page<T>>): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | undefined;
  do {
    const p = await page(cursor);
    items.push(...p.items);
    cursor = p.nextCursor;
  } while (cursor);
  return items;
}

async function withRegistry<T>(config: AppConfig, run: (app: INestApplicationContext, readers: CardReaderService) => Promise<T>): Promise<T> {
  const app = await NestFactory.createApplicationContext(CliModule.register(config), { logger: ['error', 'warn'] });
  try {
    return await run(app, app.get(CardReaderService));
  } finally {
    await app.close();
  }
}

function checkSite(site: string | undefined): void {
  if (site !== undefined && !UUID.test(site)) throw new CliError('--site must be a site id (UUID)');
}

/** The OSDP buses (RS-485 lines), each with the server instance that opens it and its card readers. */
export async function osdpBusList(config: AppConfig, out: Out, opts: { site?: string; json?: boolean }): Promise<Array<BusView & { readers: number }>> {
  checkSite(opts.site);
  return withRegistry(config, async (_app, registry) => {
    const buses = await all((cursor) => registry.listBuses({ siteId: opts.site, cursor, limit: 200 }));
    const rows = [];
    for (const b of buses) rows.push({ ...b, readers: (await all((cursor) => registry.listCardReaders({ busId: b.id, cursor, limit: 200 }))).length });
    if (opts.json) out.json(rows);
    else if (rows.length === 0) out.line('No OSDP buses.');
    else for (const b of rows) out.line(`${b.id}  ${b.name}  ${b.transport} @ ${b.baudRate} baud  instance ${b.host}  ${b.readers} card reader(s)`);
    return rows;
  });
}

/** Card readers with what an installer checks: role, address, Secure Channel mode, install mode, whether the reader has its own key. */
export async function cardReaderList(config: AppConfig, out: Out, opts: { site?: string; bus?: string; json?: boolean }): Promise<ReaderView[]> {
  checkSite(opts.site);
  if (opts.bus !== undefined && !UUID.test(opts.bus)) throw new CliError('--bus must be an OSDP bus id (UUID)');
  return withRegistry(config, async (_app, registry) => {
    const readers = await all((cursor) => registry.listCardReaders({ siteId: opts.site, busId: opts.bus, cursor, limit: 200 }));
    if (opts.json) out.json(readers);
    else if (readers.length === 0) out.line('No card readers.');
    else {
      for (const r of readers) {
        const key = r.keySet ? `own key since ${r.keySetAt}` : 'no own key';
        out.line(
          `${r.id}  ${r.name}  bus ${r.busId} address ${r.address}  ${r.role}  secure ${r.secureMode}  install mode ${r.installMode ? 'on' : 'off'}  ${key}`,
        );
      }
    }
    return readers;
  });
}

/**
 * Install mode for a new or factory-reset reader: its next Secure Channel set-up may use the
 * public default key, and the server then gives it a key of its own. Audited as acsctl, which
 * is also how a running server notices the change (it follows the trail's cli entries).
 */
export async function cardReaderInstallMode(config: AppConfig, out: Out, id: string, opts: { off?: boolean; json?: boolean }): Promise<ReaderView> {
  if (!UUID.test(id)) throw new CliError('the card reader id must be a UUID');
  return withRegistry(config, async (app, registry) => {
    const on = !opts.off;
    const r = await registry.setInstallMode(id, on).catch((err: Error & { code?: string }) => {
      throw err.code === 'card_reader.not_found' ? new CliError(`no card reader ${id}`) : err;
    });
    await app.get(AuditService).record({ actor: CLI_ACTOR, action: 'card_reader.install_mode', targetType: 'card_reader', targetId: id, outcome: 'success' });
    if (opts.json) out.json(r);
    else if (on) out.line(`Install mode on for ${r.name} (${r.id}): it gets its own key at its next Secure Channel set-up with the default key.`);
    else out.line(`Install mode off for ${r.name} (${r.id}).`);
    return r;
  });
}
