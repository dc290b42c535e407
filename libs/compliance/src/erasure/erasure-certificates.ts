import { randomUUID } from 'node:crypto';
import { Injectable, Logger, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AuditService } from '@acs/audit';
import { Clock } from '@acs/clock';
import { WriteQueue } from '@acs/database';
import { NotFoundError } from '@acs/http';
import { closeCaseForErasure } from '../case-closure.js';
import { certificateHash } from '../certificates/certificate-hash.js';
import { CertificateEvidence } from '../certificates/certificate-evidence.js';
import { CheckpointService } from '../checkpoints/checkpoint.service.js';
import { ErasureCertificateEntity, ErasureJobEntity } from '../entities.js';
import { certificateBody } from './certificate-body.js';
import { iso, type ErasureData } from './erasure-data.js';
import { ErasureProbe } from './erasure-probe.js';

export interface CertificateSummary {
  id: string;
  jobId: string;
  kind: string;
  customerId: string;
  personId: string | null;
  complete: boolean;
  issuedAt: string;
  hash: string;
}

export interface CertificateReading {
  body: Record<string, unknown>;
  hash: string;
  valid: boolean;
  signature: 'valid' | 'invalid' | 'unsigned';
  jws: string | null;
  problems: string[];
}

/** Issues erasure certificates (the last step) and reads them back with their checks. */
@Injectable()
export class ErasureCertificates {
  private readonly logger = new Logger('Erasure');

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly writes: WriteQueue,
    private readonly clock: Clock,
    private readonly audit: AuditService,
    private readonly evidence: CertificateEvidence,
    private readonly probe: ErasureProbe,
    @Optional() private readonly checkpoints?: CheckpointService,
  ) {}

  /**
   * The last step: the certificate; a held job waits for the release and then certifies the rest.
   * Saves the job itself (done, or held back at server_data), in the transaction that stores the
   * certificate.
   */
  async issue(job: ErasureJobEntity, data: ErasureData): Promise<'done' | 'held'> {
    const now = this.clock.nowMs();
    const deferred = data.deferred?.parts ?? [];
    const complete = deferred.length === 0;
    const id = randomUUID();
    data.steps.certificate!.finishedAt = now;
    const body = certificateBody(id, job, data, now, complete);
    const hash = certificateHash(body);
    data.certificateIds.push(id);
    this.probe.at('certificate:issue', job.id);
    const text = JSON.stringify({ ...body, hash });
    // Signed and on disk outside the database before the row commits (issue 15).
    const { jws } = await this.evidence.issue(id, text);
    let inserted = false;
    await this.writes.transaction(async (m) => {
      const fresh = await m.findOneOrFail(ErasureJobEntity, { where: { id: job.id } });
      if (fresh.step !== 'certificate') return;
      inserted = true;
      await m.insert(ErasureCertificateEntity, {
        id,
        jobId: job.id,
        kind: job.kind,
        customerId: job.customerId,
        personId: job.personId,
        complete,
        issuedAt: now,
        body: text,
        hash,
        jws,
      });
      if (complete) await closeCaseForErasure(m, job.caseId, id, now);
      // Held: the remaining steps run again from server_data once the hold is released.
      await m.update(
        ErasureJobEntity,
        { id: job.id },
        complete
          ? { state: 'done', step: 'done', data: JSON.stringify(data), finishedAt: now, updatedAt: now, lastError: null }
          : { state: 'held', step: 'server_data', data: JSON.stringify(data), updatedAt: now, lastError: null },
      );
    });
    if (!inserted) this.evidence.discard(id);
    // The erased chains' new heads are witnessed at once, so a later restore of an older copy shows.
    else
      await this.checkpoints
        ?.take(job.kind === 'customer' ? 'purge' : 'erasure')
        .catch((err: Error) => this.logger.error(`checkpoint after erasure failed: ${err.message}`));
    await this.audit.record({
      actor: { actorType: 'system', actorId: null, role: null },
      action: 'compliance.erasure.certified',
      targetType: 'erasure_certificate',
      targetId: id,
      outcome: 'success',
      details: { jobId: job.id, kind: job.kind, complete, hash },
    });
    return complete ? 'done' : 'held';
  }

  async list(filter: { customerId?: string } = {}): Promise<CertificateSummary[]> {
    const rows = await this.ds.getRepository(ErasureCertificateEntity).find({
      where: filter,
      order: { issuedAt: 'DESC' },
      take: 500,
      select: { id: true, jobId: true, kind: true, customerId: true, personId: true, complete: true, issuedAt: true, hash: true },
    });
    return rows.map((r) => ({
      id: r.id,
      jobId: r.jobId,
      kind: r.kind,
      customerId: r.customerId,
      personId: r.personId,
      complete: r.complete,
      issuedAt: iso(r.issuedAt),
      hash: r.hash,
    }));
  }

  async read(id: string): Promise<CertificateReading> {
    const row = await this.ds.getRepository(ErasureCertificateEntity).findOne({ where: { id } });
    if (!row) throw new NotFoundError('ErasureCertificate', id);
    const body = JSON.parse(row.body) as Record<string, unknown>;
    const { hash, ...rest } = body;
    const hashOk = hash === row.hash && certificateHash(rest) === row.hash;
    const check = await this.evidence.checkRow(row);
    // An unsigned row is not valid: clearing the signature must not downgrade a check to the bare hash.
    const signature = !check.signed ? 'unsigned' : check.ok ? 'valid' : 'invalid';
    return {
      body,
      hash: row.hash,
      valid: hashOk && signature === 'valid',
      signature,
      jws: row.jws,
      problems: hashOk ? check.problems : ['hash does not match the body', ...check.problems],
    };
  }
}
