import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DataSource, IsNull, LessThanOrEqual } from 'typeorm';
import { AccessEventEntity } from '@acs/access-log';
import { CertificateEvidence, certificateHash, ErasureCertificateEntity, ErasureJobEntity, findUndonePurges, queueReapply } from '@acs/compliance';
import { AuditService } from '@acs/audit';
import { WriteQueue } from '@acs/database';
import type { AppConfig } from '@acs/config';
import { DataKeyEntity, EvidenceSigner } from '@acs/crypto';
import { FingerprintTemplateEntity } from '@acs/reader-fleet';
import { CustomerEntity, customerScope, PersonEntity } from '@acs/registry';
import { CliModule } from './cli.module.js';
import type { Out } from './out.js';

export interface CertificateCheck {
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
 * Every erasure certificate: its own hash, its Ed25519 signature, and that what a complete customer
 * purge certified is still true today (a restored backup would bring rows or the key back); and
 * the signed files in CERTIFICATE_DIR against the database. What `purge:verify` prints and what
 * `restore` reports after putting a backup back.
 */
export async function certificateChecks(app: INestApplicationContext, config: AppConfig): Promise<CertificateCheck[]> {
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
  // The signed files outside the database: a restored backup may lack the rows, not the files.
  const folder = await findUndonePurges(ds, config.certificateDir, (jws) => evidence.checkJws(jws));
  for (const u of folder.undone) {
    const known = checks.find((c) => c.certificate === u.certificate);
    const problem = `signed certificate file: ${u.back.join(', ')} back${u.personId ? ` (person ${u.personId})` : ''}; run acsctl purge:reapply`;
    if (known) {
      if (!known.problems.some((p) => p.includes('back'))) known.problems.push(problem);
      known.stillErased = false;
    } else
      checks.push({
        certificate: u.certificate,
        kind: u.kind,
        customerId: u.customerId,
        complete: true,
        hashOk: true,
        stillErased: false,
        problems: [problem],
      });
  }
  for (const f of folder.invalid)
    checks.push({ certificate: f.file, kind: 'file', customerId: '-', complete: false, hashOk: false, stillErased: null, problems: f.problems });
  return checks;
}

/** Prints the verdict on every erasure certificate (certificateChecks); false when any has a problem. */
export async function purgeVerify(config: AppConfig, out: Out, opts: { json?: boolean }): Promise<boolean> {
  const app = await NestFactory.createApplicationContext(CliModule.register(config), { logger: ['error', 'warn'] });
  try {
    const checks = await certificateChecks(app, config);
    if (opts.json) out.json(checks);
    else if (checks.length === 0) out.line('No erasure certificates yet.');
    else
      for (const c of checks) {
        out.line(
          `${c.certificate} ${c.kind} customer ${c.customerId}${c.complete ? '' : ' (partial: legal hold)'}: ${c.problems.length === 0 ? 'ok' : c.problems.join('; ')}`,
        );
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
    const ended = await ds
      .getRepository(CustomerEntity)
      .find({ where: { purgedAt: IsNull(), serviceEnd: LessThanOrEqual(cutoff) }, select: { id: true, contractRef: true, serviceEnd: true } });
    const started = new Set(
      (await ds.getRepository(ErasureJobEntity).find({ where: { kind: 'customer' }, select: { customerId: true } })).map((j) => j.customerId),
    );
    const due = ended
      .filter((c) => !started.has(c.id))
      .map((c) => ({ customerId: c.id, contractRef: c.contractRef, serviceEnd: new Date(c.serviceEnd!).toISOString() }));
    if (opts.json) out.json(due);
    else if (due.length === 0) out.line('No customer is due for a purge.');
    else for (const d of due) out.line(`${d.customerId} ${d.contractRef} service ended ${d.serviceEnd}`);
  } finally {
    await app.close();
  }
}

/**
 * Erases again exactly the customers and people whose signed certificate (CERTIFICATE_DIR) exists
 * but whose data is back in the database. The jobs are queued for the server's erasure runner,
 * which owns the readers (reader step included) and issues new certificates naming the originals.
 * Running it again queues nothing new.
 */
export async function purgeReapply(config: AppConfig, out: Out, opts: { json?: boolean }): Promise<void> {
  const app = await NestFactory.createApplicationContext(CliModule.register(config), { logger: ['error', 'warn'] });
  try {
    const ds = app.get(DataSource);
    const evidence = new CertificateEvidence(config, app.get(EvidenceSigner));
    const folder = await findUndonePurges(ds, config.certificateDir, (jws) => evidence.checkJws(jws));
    const plan = await queueReapply(ds, app.get(WriteQueue), folder.undone, Date.now(), 'cli:acsctl');
    for (const s of plan.started) {
      await app.get(AuditService).record({
        actor: { actorType: 'cli', actorId: 'acsctl', role: 'admin' },
        action: 'compliance.erasure.started',
        targetType: s.kind === 'customer' ? 'customer' : 'person',
        targetId: s.personId ?? s.customerId,
        outcome: 'success',
        details: { jobId: s.jobId, kind: s.kind, trigger: 'reapply', reapplies: s.reapplies.join(',') },
      });
    }
    if (opts.json) out.json({ ...plan, invalidFiles: folder.invalid });
    else {
      if (plan.started.length === 0 && plan.alreadyRunning.length === 0)
        out.line(`Nothing to re-apply: none of the ${folder.checked} signed certificate(s) in ${config.certificateDir} has its data back.`);
      for (const s of plan.started)
        out.line(
          `Queued erasure job ${s.jobId} (${s.kind}, customer ${s.customerId}${s.personId ? `, person ${s.personId}` : ''}) re-applying ${s.reapplies.join(', ')}; the server runs it (readers included) and certifies it.`,
        );
      for (const r of plan.alreadyRunning) out.line(`Erasure job ${r.jobId} (${r.kind}, customer ${r.customerId}) is already running.`);
      for (const f of folder.invalid) out.line(`Certificate file ${f.file} does not verify: ${f.problems.join('; ')}`);
    }
  } finally {
    await app.close();
  }
}
