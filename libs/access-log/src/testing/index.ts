import type BetterSqlite3 from 'better-sqlite3';
import type { DataSource } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import { seededRandom } from '@acs/clock';
import { accessEventHash, GENESIS_HASH } from '../access-chain.js';
import { ACCESS_EVENT_COLUMNS, toRow } from '../access-event.entity.js';
import { type AccessEvent, type AccessEventInput, chainIdFor } from '../model.js';

/** Development helper (tests, benchmarks, demos): never an HTTP route. */

export interface GeneratorDoor {
  doorId: string;
  zoneId: string;
  readerId: string;
}

export interface GeneratorCustomer {
  customerId: string;
  personIds: string[];
}

export interface GenerateOptions {
  siteId: string;
  doors: GeneratorDoor[];
  customers: GeneratorCustomer[];
  count: number;
  /** Time of the first event; each next one is `stepMs` later. */
  startMs: number;
  stepMs?: number;
  /** Share of attempts denied (default 0.1) and of unknown fingers (default 0.02). */
  deniedShare?: number;
  unknownShare?: number;
  /** Weight of each customer (default equal). */
  weights?: number[];
  seed?: number;
}

const DENIAL_REASONS = ['outside_schedule', 'no_grant_for_door', 'person_suspended', 'anti_passback', 'customer_service_ended'];

/** Plausible attempts in time order: grants, denials with reasons, unknown fingers. */
export function generateEvents(o: GenerateOptions): AccessEventInput[] {
  const rnd = seededRandom(o.seed ?? 1);
  const step = o.stepMs ?? 1000;
  const weights = o.weights ?? o.customers.map(() => 1);
  const totalWeight = weights.reduce((s, w) => s + w, 0);
  const pickCustomer = (): GeneratorCustomer => {
    let r = rnd() * totalWeight;
    for (let i = 0; i < o.customers.length; i++) {
      r -= weights[i];
      if (r < 0) return o.customers[i];
    }
    return o.customers[o.customers.length - 1];
  };
  const out: AccessEventInput[] = [];
  for (let i = 0; i < o.count; i++) {
    const door = o.doors[Math.floor(rnd() * o.doors.length)];
    const occurredAt = o.startMs + i * step;
    const base = { siteId: o.siteId, zoneId: door.zoneId, doorId: door.doorId, readerId: door.readerId, direction: 'entry' as const, occurredAt };
    if (rnd() < (o.unknownShare ?? 0.02)) {
      out.push({ ...base, customerId: null, personId: null, result: 'denied', reason: 'unknown_finger' });
      continue;
    }
    const c = pickCustomer();
    const personId = c.personIds[Math.floor(rnd() * c.personIds.length)] ?? null;
    const denied = rnd() < (o.deniedShare ?? 0.1);
    out.push({
      ...base,
      customerId: c.customerId,
      personId,
      result: denied ? 'denied' : 'granted',
      reason: denied ? DENIAL_REASONS[Math.floor(rnd() * DENIAL_REASONS.length)] : 'granted',
    });
  }
  return out;
}

/**
 * Inserts events straight into a migrated database with better-sqlite3, chained exactly as the
 * service chains them (continuing each chain from its stored head), in multi-row statements.
 * For fixtures of a million events: seconds instead of minutes through the service.
 */
export function insertChained(db: BetterSqlite3.Database, inputs: readonly AccessEventInput[], recordedAt: number, rowsPerStatement = 100): AccessEvent[] {
  const head = db.prepare('SELECT seq, hash FROM access_event WHERE chain_id = ? ORDER BY seq DESC LIMIT 1');
  const placeholders = (n: number) => Array.from({ length: n }, () => `(${ACCESS_EVENT_COLUMNS.map(() => '?').join(',')})`).join(',');
  const sql = (n: number) => `INSERT INTO access_event (${ACCESS_EVENT_COLUMNS.join(',')}) VALUES ${placeholders(n)}`;
  const full = db.prepare(sql(rowsPerStatement));
  const heads = new Map<string, { seq: number; hash: string }>();
  const run = db.transaction((batch: AccessEvent[]) => {
    let i = 0;
    for (; i + rowsPerStatement <= batch.length; i += rowsPerStatement) full.run(batch.slice(i, i + rowsPerStatement).flatMap(toRow));
    if (i < batch.length) db.prepare(sql(batch.length - i)).run(batch.slice(i).flatMap(toRow));
  });
  const stored = chainAfter(inputs, recordedAt, (chainId) => heads.get(chainId) ?? (head.get(chainId) as { seq: number; hash: string } | undefined), heads);
  const chunk = 10_000;
  for (let i = 0; i < stored.length; i += chunk) run(stored.slice(i, i + chunk));
  return stored;
}

/** Chains `inputs` after each chain's head (`headOf`), recording the new heads in `heads`. */
function chainAfter(
  inputs: readonly AccessEventInput[],
  recordedAt: number,
  headOf: (chainId: string) => { seq: number; hash: string } | undefined,
  heads: Map<string, { seq: number; hash: string }>,
): AccessEvent[] {
  const stored: AccessEvent[] = [];
  for (const input of inputs) {
    const chainId = chainIdFor({ customerId: input.customerId, siteId: input.siteId });
    const h = headOf(chainId) ?? { seq: 0, hash: GENESIS_HASH };
    const id = input.id ?? uuidv7();
    const fields = {
      id,
      chainId,
      seq: h.seq + 1,
      customerId: input.customerId,
      personId: input.personId ?? null,
      siteId: input.siteId,
      zoneId: input.zoneId ?? null,
      doorId: input.doorId ?? null,
      readerId: input.readerId ?? null,
      direction: input.direction,
      result: input.result,
      reason: input.reason,
      kind: input.kind ?? 'attempt',
      attemptId: input.attemptId ?? id,
      occurredAt: input.occurredAt,
      recordedAt,
      prevHash: h.hash,
      credential: input.credential ?? null,
      degraded: false,
    } as const;
    const e: AccessEvent = { ...fields, hash: accessEventHash(fields) };
    heads.set(chainId, { seq: e.seq, hash: e.hash });
    stored.push(e);
  }
  return stored;
}

/**
 * insertChained for PostgreSQL (or any TypeORM data source): the same chaining, written in
 * multi-row statements inside one transaction per chunk, through a connection of the caller's.
 */
export async function insertChainedVia(
  ds: DataSource,
  inputs: readonly AccessEventInput[],
  recordedAt: number,
  rowsPerStatement = 500,
): Promise<AccessEvent[]> {
  const heads = new Map<string, { seq: number; hash: string }>();
  for (const chainId of new Set(inputs.map((i) => chainIdFor({ customerId: i.customerId, siteId: i.siteId })))) {
    const rows = (await ds.query('SELECT seq, hash FROM access_event WHERE chain_id = $1 ORDER BY seq DESC LIMIT 1', [chainId])) as Array<{
      seq: string | number;
      hash: string;
    }>;
    if (rows.length > 0) heads.set(chainId, { seq: Number(rows[0].seq), hash: rows[0].hash });
  }
  const stored = chainAfter(inputs, recordedAt, (chainId) => heads.get(chainId), heads);
  const width = ACCESS_EVENT_COLUMNS.length;
  for (let i = 0; i < stored.length; i += rowsPerStatement * 20) {
    const chunk = stored.slice(i, i + rowsPerStatement * 20);
    await ds.transaction(async (m) => {
      for (let j = 0; j < chunk.length; j += rowsPerStatement) {
        const rows = chunk.slice(j, j + rowsPerStatement);
        const values = rows.map((_, r) => `(${ACCESS_EVENT_COLUMNS.map((__, c) => `$${r * width + c + 1}`).join(',')})`).join(',');
        await m.query(`INSERT INTO access_event (${ACCESS_EVENT_COLUMNS.join(',')}) VALUES ${values}`, rows.flatMap(toRow));
      }
    });
  }
  return stored;
}
