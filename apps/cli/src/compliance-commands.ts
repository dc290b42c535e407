import { NestFactory } from '@nestjs/core';
import { DataSource, IsNull, LessThanOrEqual } from 'typeorm';
import { AccessEventEntity } from '@acs/access-log';
import { CertificateEvidence, certificateHash, ErasureCertificateEntity, ErasureJobEntity } from '@acs/compliance';
import type { AppConfig } from '@acs/config';
import { DataKeyEntity, EvidenceSigner } from '@acs/crypto';
import { FingerprintTemplateEntity } from '@acs/enrollment';
import { CustomerEntity, customerScope, PersonEntity } from '@acs/registry';
import { CliModule } from './cli.module.js';
import type { Out } from './commands.js';

interface CertificateCheck {
  certificate: string;
  kind: string;
  customerId: string;
  complete: boolean;
  hashOk: boolean;
  /** For a complete customer purge: nothing of the customer is back (no people, templates, history, key). */
  stillErased: boolean | null;
  problems: string[];
}

/**
 * Checks every erasure certificate: its own hash, its Ed25519 signature, and that what a complete customer purge
 * certified is still true today (a restored backup would bring rows or the key back).
 */
export async function purgeVerify(config: AppConfig, out: Out, opts: { json?: boolean }): Promise<boolean> {
  const app = await NestFactory.createApplicationContext(CliModule.register(config), { logger: ['error', 'warn'] });
  try {
    const ds = app.get(DataSource);
    const evidence = new CertificateEvidence(config, app.get(EvidenceSigner));
    const rows = await ds.getRepository(ErasureCertificateEntity).find({ order: { issuedAt: 'ASC' } });
    const checks: CertificateCheck[] = [];
    for (const r of rows) {
      const body = JSON.parse(r.body) as Record<string, unknown>;
      const { hash, ...rest } = body;
      const problems: string[] = [];
      const hashOk = hash === r.hash && certificateHash(rest) === r.hash;
      if (!hashOk) problems.push('hash does not match the body');
      const signed = await evidence.checkRow(r);
      if (!signed.ok) problems.push(`signature: ${signed.problems.join(', ')}`);
      const problemsBeforeData = problems.length;
      let stillErased: boolean | null = null;
      if (r.kind === 'customer' && r.complete) {
        const [people, templates, events, key] = await Promise.all([
          ds.getRepository(PersonEntity).countBy({ customerId: r.customerId }),
          ds.getRepository(FingerprintTemplateEntity).countBy({ customerId: r.customerId }),
          ds.getRepository(AccessEventEntity).countBy({ customerId: r.customerId }),
          ds.getRepository(DataKeyEntity).countBy({ scope: customerScope(r.customerId) }),
        ]);
        const history = body.history as { mode?: string; expiredAt?: string | null } | null;
        const historyKept = history?.mode === 'pseudonymise' && !history.expiredAt;
        if (people > 0) problems.push(`${people} person row(s) back`);
        if (templates > 0) problems.push(`${templates} template row(s) back`);
        if (events > 0 && !historyKept) problems.push(`${events} history event(s) back`);
        if (key > 0) problems.push('the data key is back');
        stillErased = problems.length === problemsBeforeData;
      }
      checks.push({ certificate: r.id, kind: r.kind, customerId: r.customerId, complete: r.complete, hashOk, stillErased, problems });
    }
    if (opts.json) out.json(checks);
    else if (checks.length === 0) out.line('No erasure certificates yet.');
    else
      for (const c of checks) {
        out.line(`${c.certificate} ${c.kind} customer ${c.customerId}${c.complete ? '' : ' (partial: legal hold)'}: ${c.problems.length === 0 ? 'ok' : c.problems.join('; ')}`);
      }
    return checks.every((c) => c.problems.length === 0);
  } finally {
    await app.close();
  }
}

/**
 * Customers due for the end-of-service purge (ids and contract references, no names). The purge
 * itself runs in the server, which owns the reader connections: `POST /compliance/customers/{id}/purge`.
 */
export async function purgeDue(config: AppConfig, out: Out, opts: { json?: boolean }): Promise<void> {
  const app = await NestFactory.createApplicationContext(CliModule.register(config), { logger: ['error', 'warn'] });
  try {
    const ds = app.get(DataSource);
    const cutoff = Date.now() - config.PURGE_GRACE_DAYS * 86_400_000;
    const ended = await ds.getRepository(CustomerEntity).find({ where: { purgedAt: IsNull(), serviceEnd: LessThanOrEqual(cutoff) }, select: { id: true, contractRef: true, serviceEnd: true } });
    const started = new Set((await ds.getRepository(ErasureJobEntity).find({ where: { kind: 'customer' }, select: { customerId: true } })).map((j) => j.customerId));
    const due = ended.filter((c) => !started.has(c.id)).map((c) => ({ customerId: c.id, contractRef: c.contractRef, serviceEnd: new Date(c.serviceEnd!).toISOString() }));
    if (opts.json) out.json(due);
    else if (due.length === 0) out.line('No customer is due for a purge.');
    else for (const d of due) out.line(`${d.customerId} ${d.contractRef} service ended ${d.serviceEnd}`);
  } finally {
    await app.close();
  }
}
