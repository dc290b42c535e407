import { DataSource, In } from 'typeorm';
import { countCustomerEvents } from '@acs/access-log';
import { dataKeyIdOf } from '@acs/crypto';
import { countTemplates } from '@acs/reader-fleet';
import { countPersonRows, customerScope, findErasableCustomer } from '@acs/registry';
import { ErasureJobEntity, type ErasureKind } from '../entities.js';
import type { CertificateCheck } from './certificate-check.js';
import { listCertificateFiles, readText } from './evidence-files.js';

/** A signed certificate says this was erased, and the database holds it again (a restored backup). */
export interface UndonePurge {
  certificate: string;
  kind: ErasureKind;
  customerId: string;
  personId: string | null;
  issuedAt: string | null;
  /** What is back, as counts and names of kinds of data (never values). */
  back: string[];
}

export interface FolderComparison {
  undone: UndonePurge[];
  /** Files in the folder whose signature or hash fails: they prove nothing and are reported. */
  invalid: Array<{ file: string; problems: string[] }>;
  checked: number;
}

interface CertifiedFacts {
  history?: { mode?: string; expiredAt?: string | null } | null;
}

/**
 * The certificates folder against the database (issue 15, part 4): for every validly signed,
 * complete certificate, whether what it certifies erased is back. Ids and counts only.
 */
export async function findUndonePurges(ds: DataSource, folder: string, check: (jws: string) => Promise<CertificateCheck>): Promise<FolderComparison> {
  const undone: UndonePurge[] = [];
  const invalid: FolderComparison['invalid'] = [];
  const files = listCertificateFiles(folder);
  for (const f of files) {
    const c = await check(readText(f.path));
    if (!c.ok || !c.body) {
      invalid.push({ file: f.path, problems: c.problems });
      continue;
    }
    const body = JSON.parse(c.body) as CertifiedFacts & { complete?: boolean };
    if (body.complete !== true || !c.customerId || !c.kind) continue;
    const back = await whatIsBack(ds, c.kind as ErasureKind, c.customerId, c.personId, body);
    if (back.length > 0)
      undone.push({ certificate: c.certificate!, kind: c.kind as ErasureKind, customerId: c.customerId, personId: c.personId, issuedAt: c.issuedAt, back });
  }
  // One entry per subject: several certificates (a purge and its re-application) may name it.
  const bySubject = new Map<string, UndonePurge>();
  for (const u of undone) {
    const key = `${u.kind}:${u.customerId}:${u.personId ?? ''}`;
    if (!bySubject.has(key)) bySubject.set(key, u);
  }
  return { undone: [...bySubject.values()], invalid, checked: files.length };
}

async function whatIsBack(ds: DataSource, kind: ErasureKind, customerId: string, personId: string | null, body: CertifiedFacts): Promise<string[]> {
  const back: string[] = [];
  const count = (n: number, what: string) => n > 0 && back.push(`${n} ${what}`);
  // Each lib counts its own tables.
  const m = ds.manager;
  if (kind === 'customer') {
    const customer = await findErasableCustomer(m, customerId);
    if (!customer) return back; // gone entirely: nothing of it is back
    if (customer.purgedAt === null) back.push('customer not marked purged');
    count(await countPersonRows(m, { customerId }), 'person row(s)');
    count(await countTemplates(m, { customerId }), 'template row(s)');
    const historyKept = body.history?.mode === 'pseudonymise' && !body.history.expiredAt;
    if (!historyKept) count(await countCustomerEvents(m, customerId), 'history event(s)');
    // One key per scope (a unique index), so the count is 0 or 1.
    count((await dataKeyIdOf(m, customerScope(customerId))) === null ? 0 : 1, 'data key(s)');
  } else if (personId) {
    if (kind === 'person' || kind === 'visitor') count(await countPersonRows(m, { personId }), 'person row(s)');
    count(await countTemplates(m, { personId }), 'template row(s)');
  }
  return back;
}

/** Erasure jobs still unfinished for these subjects (so a re-application is not started twice). */
export async function unfinishedJobs(ds: DataSource, customerIds: string[]): Promise<ErasureJobEntity[]> {
  if (customerIds.length === 0) return [];
  return ds.getRepository(ErasureJobEntity).find({ where: { customerId: In(customerIds), state: In(['running', 'waiting_for_devices', 'held']) } });
}
