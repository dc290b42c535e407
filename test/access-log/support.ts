import { expect } from '@jest/globals';
import { type AccessEvent, type AccessEventInput, AccessLogService } from '@acs/access-log';
import { bearer, buildSite, createCustomer, createPerson, post, type SiteFixture } from '../support/registry-fixture.js';
import type { TestApp } from '../support/test-app.js';

export interface HistoryFixture {
  site: SiteFixture;
  a: { id: string; people: string[]; token: string };
  b: { id: string; people: string[]; token: string };
  log: AccessLogService;
}

/** A site, two customers with two people each and a customer token for each. */
export async function historyFixture(t: TestApp): Promise<HistoryFixture> {
  const site = await buildSite(t);
  const customer = async () => {
    const c = await createCustomer(t);
    const people = [(await createPerson(t, c.id)).id, (await createPerson(t, c.id)).id];
    const token = (await post<{ token: string }>(t, `/customers/${c.id}/tokens`, { label: 'portal' })).token;
    return { id: c.id, people, token };
  };
  return { site, a: await customer(), b: await customer(), log: t.app.get(AccessLogService) };
}

export function attempt(f: HistoryFixture, who: 'a' | 'b' | null, at: string, extra: Partial<AccessEventInput> = {}): AccessEventInput {
  const c = who ? f[who] : null;
  return {
    customerId: c?.id ?? null,
    personId: c?.people[0] ?? null,
    siteId: f.site.siteId,
    zoneId: f.site.suiteZoneId,
    doorId: f.site.suiteDoorId,
    readerId: f.site.entryReaderId,
    direction: 'entry',
    result: c ? 'granted' : 'denied',
    reason: c ? 'granted' : 'unknown_finger',
    occurredAt: Date.parse(at),
    ...extra,
  };
}

export interface EventView {
  id: string;
  occurredAt: string;
  customerId: string | null;
  personId: string | null;
  doorId: string | null;
  result: string;
  reason: string;
  seq: number;
  credential: string | null;
}

/** GET a page and fail with the problem document on an unexpected status. */
export async function getPage(t: TestApp, path: string, token: string, query: Record<string, string | number> = {}) {
  const res = await t.http().get(path).query(query).set(bearer(token));
  expect({ path, status: res.status, body: res.status === 200 ? undefined : res.body }).toEqual({ path, status: 200, body: undefined });
  return res.body as { items: EventView[]; nextCursor?: string };
}

/** Every page of a listing, following cursors. */
export async function getAll(t: TestApp, path: string, token: string, query: Record<string, string | number> = {}): Promise<EventView[]> {
  const all: EventView[] = [];
  let cursor: string | undefined;
  do {
    const page = await getPage(t, path, token, { ...query, ...(cursor ? { cursor } : {}) });
    all.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return all;
}

/** The ids of stored events newest first, as the API must order them. */
export function newestFirst(events: AccessEvent[]): string[] {
  return [...events].sort((x, y) => y.occurredAt - x.occurredAt || (y.id < x.id ? -1 : y.id > x.id ? 1 : 0)).map((e) => e.id);
}

/** RFC 4180 CSV (quoted fields, doubled quotes, CRLF), enough to read an export back. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += ch;
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}
