import { dirname } from 'node:path';
import { expect } from '@jest/globals';
import { DataSource } from 'typeorm';
import { AccessLogService } from '@acs/access-log';
import { ErasureService, scanFilesInChild, sqliteFiles } from '@acs/compliance';
import { FingerprintTemplateEntity, ReaderLibraryService, type ReaderManager } from '@acs/reader-fleet';
import { CardCredentialEntity, CredentialService, type CardRead } from '@acs/credentials';
import { type EnrolmentView } from '@acs/enrolment';
import { FingerprintError, FingerprintErrorCode } from '@acs/fingerprint';
import { PersonEntity } from '@acs/registry';
import { actAtDesk, flashTemplates, type Site, type VirtualDevice } from '../enrolment/enrolment-support.js';
import { bearer, post } from '../support/registry-fixture.js';
import { occurrences, storedBytes } from '../support/raw-store.js';
import type { TestApp } from '../support/test-app.js';
import { ON_POSTGRES } from '../support/test-database.js';
import { librarySettled } from '../support/library-settled.js';

export interface Enrolled {
  personId: string;
  /** What an erasure must remove: plaintext values, their stored ciphertexts, the template ciphertext. */
  plaintext: string[];
  ciphertexts: string[];
  /** The template as the door readers' flash holds it (a probe for Search). */
  template: Buffer;
}

let fingers = 0;

/** A person with the planted values, granted the suite, enrolled at the desk and on the suite readers. */
export async function enrolPerson(
  t: TestApp,
  site: Site,
  readers: VirtualDevice[],
  library: ReaderLibraryService,
  customerId: string,
  marker: string,
): Promise<Enrolled> {
  const person = {
    fullName: `Zwanenburg-Oudshoorn ${marker}`,
    email: `${marker.toLowerCase()}@voorbeeld-klant.nl`,
    phone: `+31 6 4821${String(1000 + (++fingers % 9000))}`,
  };
  const p = await post<{ id: string }>(t, `/customers/${customerId}/people`, person);
  await post(t, '/grants', { accessLevelId: site.suiteLevelId, customerId, personId: p.id });
  const started = await post<EnrolmentView>(t, '/enrolments', { personId: p.id, finger: 1, readerId: site.deskId });
  const { final } = await actAtDesk(t, readers[0].device, started.id, `${marker}-right-index-${fingers}`);
  expect(final.status).toBe('enrolled');
  await librarySettled(library);
  const ds = t.app.get(DataSource);
  const row = await ds.getRepository(PersonEntity).findOneByOrFail({ id: p.id });
  const tpl = await ds.getRepository(FingerprintTemplateEntity).findOneByOrFail({ personId: p.id });
  const onEntry = [...flashTemplates(readers[1]).entries()];
  const slot = (await Promise.all(onEntry.map(async ([s]) => ((await library.slotOwner(site.suiteEntryId, s))?.personId === p.id ? s : null)))).find(
    (s) => s !== null,
  );
  expect(slot).not.toBeUndefined();
  return {
    personId: p.id,
    plaintext: Object.values(person),
    ciphertexts: [row.nameCt, row.emailCt!, row.phoneCt!, tpl.templateCt],
    template: flashTemplates(readers[1]).get(slot!)!,
  };
}

export interface IssuedCard {
  cardId: string;
  /** The last two digits of the printed number, as the person's export shows them (`…47`). */
  hint: string;
  /** What the database stores for the card: its blind index and, with a PIN, the PIN's Argon2id string. */
  stored: string[];
}

let cards = 0;

/**
 * Issues the person a 26-bit H10301 card (a new number each call, ending in `hint`) through the
 * credential service, with a PIN if given, and reads back what the database stores for it.
 */
export async function issueCard(t: TestApp, customerId: string, personId: string, opts: { pin?: string; hint?: number } = {}): Promise<IssuedCard> {
  const number = (++cards % 600) * 100 + (opts.hint ?? 47);
  // Even parity, 8-bit facility code 77, 16-bit number, odd parity (parity bits not checked), left-justified in 32 bits.
  const data = Buffer.alloc(4);
  data.writeUInt32BE((((77 << 17) | (number << 1)) << 6) >>> 0);
  const read: CardRead = { format: 'wiegand', bitCount: 26, data };
  const credentials = t.app.get(CredentialService);
  const card = await credentials.issueCard({ customerId, personId, read });
  if (opts.pin !== undefined) await credentials.setPin(card.id, opts.pin);
  const row = await t.app.get(DataSource).getRepository(CardCredentialEntity).findOneByOrFail({ id: card.id });
  return { cardId: card.id, hint: card.hint, stored: [row.numberHash, ...(row.pinHash === null ? [] : [row.pinHash])] };
}

/**
 * Byte scan of the SQLite file, its WAL and shared-memory file for the values (ciphertexts by a
 * unique slice); on PostgreSQL of every text and bytea value of every table (storedBytes).
 */
export async function scanDatabase(
  t: Pick<TestApp, 'config'>,
  values: { plaintext: string[]; ciphertexts: string[] },
): Promise<{ plaintext: number; ciphertext: number }> {
  let hits: (needles: Buffer[]) => Promise<number>;
  if (ON_POSTGRES) {
    const stored = await storedBytes(dirname(t.config.databasePath));
    hits = async (needles) => needles.reduce((n, needle) => n + occurrences(stored, needle), 0);
  } else {
    // In a child process: this test process may be the server (TestApp), whose SQLite locks a
    // descriptor closed here would drop.
    const files = sqliteFiles(t.config.databasePath);
    hits = async (needles) => (await scanFilesInChild(files, needles)).reduce((n, f) => n + f.hits, 0);
  }
  return {
    plaintext: await hits(values.plaintext.map((v) => Buffer.from(v))),
    ciphertext: await hits(values.ciphertexts.map((c) => Buffer.from(c.slice(60, 108)))),
  };
}

/** Search every door reader's library for the finger: null everywhere means an unknown finger at every door. */
export async function searchEveryReader(manager: ReaderManager, readerIds: string[], template: Buffer): Promise<Array<number | null>> {
  const out: Array<number | null> = [];
  for (const id of readerIds) {
    const searchOnce = () =>
      manager.withReader(id, async (r) => {
        await r.downloadTemplate(1, template);
        const hit = await r.search(1);
        return hit ? hit.pageId : null;
      });
    // The test drives the readers with the short test deadlines (FAST_READER_OPTIONS, 250 ms); on
    // a loaded machine one exchange can miss it. A timeout is transient (the product's outbox
    // retries it too), so the check is repeated; any other error, or a wrong answer, still fails.
    for (let attempt = 1; ; attempt++) {
      try {
        out.push(await searchOnce());
        break;
      } catch (err) {
        if (attempt >= 3 || !(err instanceof FingerprintError) || err.code !== FingerprintErrorCode.Timeout) throw err;
      }
    }
  }
  return out;
}

export function anyFlashHolds(readers: VirtualDevice[], template: Buffer): boolean {
  return readers.some((d) => [...flashTemplates(d).values()].some((b) => b.equals(template)));
}

export async function endService(t: TestApp, customerId: string): Promise<void> {
  await t
    .http()
    .patch(`/customers/${customerId}`)
    .set(bearer(t.adminToken))
    .send({ serviceEnd: new Date(t.clock.nowMs() + 60_000).toISOString() })
    .expect(200);
  // The change triggers a re-plan of the reader libraries; it runs while the service is still
  // on, so the templates are on the readers when the purge starts (otherwise a plan that sees
  // the ended service races the purge to take them off, and the certificate counts depend on
  // which one wins).
  await librarySettled(t.app.get(ReaderLibraryService));
  t.clock.advance(120_000);
}

export async function newCustomer(t: TestApp, tag: string, contactName: string): Promise<string> {
  const c = await post<{ id: string }>(t, '/customers', {
    companyName: `Purge ${tag} B.V.`,
    contractRef: `PRG-${tag}-${Date.now() % 100000}`,
    serviceStart: '2026-01-01T00:00:00+01:00',
    contact: { name: contactName, email: `${tag.toLowerCase()}.contact@voorbeeld-klant.nl` },
  });
  return c.id;
}

export async function badgeEvents(t: TestApp, site: Site, customerId: string, personId: string, n: number): Promise<void> {
  const log = t.app.get(AccessLogService);
  const receipts = log.append(
    Array.from({ length: n }, (_, i) => ({
      customerId,
      personId,
      siteId: site.siteId,
      zoneId: site.suiteZoneId,
      readerId: site.suiteEntryId,
      direction: 'entry' as const,
      result: 'granted' as const,
      reason: 'granted',
      occurredAt: t.clock.nowMs() - (n - i) * 1000,
    })),
  );
  await Promise.all(receipts.map((r) => r.durable));
}

export function erasure(t: TestApp): ErasureService {
  const e = t.app.get(ErasureService);
  e.pollMs = 50;
  return e;
}
