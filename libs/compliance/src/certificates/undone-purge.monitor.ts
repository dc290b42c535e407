import { Injectable, Logger, Optional, type OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { AuditActor } from '@acs/audit';
import { ReadinessRegistry } from '@acs/health';
import { ErasureService, type ErasureJobView } from '../erasure.service.js';
import { CertificateEvidence } from './certificate-evidence.js';
import { findUndonePurges, type FolderComparison } from './undone-purges.js';

/**
 * At start-up, the signed certificates folder against the database: a restored backup older than
 * a purge brings the purged data back, and this says so by id (log, /ready, the console).
 */
@Injectable()
export class UndonePurgeMonitor implements OnApplicationBootstrap {
  private readonly logger = new Logger('ErasureEvidence');
  private startup: FolderComparison | null = null;

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly evidence: CertificateEvidence,
    private readonly erasure: ErasureService,
    @Optional() private readonly readiness?: ReadinessRegistry,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.startup = await this.check();
    for (const u of this.startup.undone) {
      this.logger.error(
        `EVIDENCE ALARM: ${u.kind} erasure undone: certificate ${u.certificate} (customer ${u.customerId}${u.personId ? `, person ${u.personId}` : ''}) is signed, yet ${u.back.join(', ')} are back (a restored backup?). Run acsctl purge:reapply.`,
      );
    }
    for (const f of this.startup.invalid) this.logger.error(`EVIDENCE ALARM: certificate file ${f.file} does not verify: ${f.problems.join('; ')}`);
    // /ready is public: counts only; GET /compliance/undone-purges names them.
    this.readiness?.register('erasure_evidence', async () => ({
      undonePurges: this.startup?.undone.length ?? 0,
      invalidCertificateFiles: this.startup?.invalid.length ?? 0,
    }));
  }

  check(): Promise<FolderComparison> {
    return findUndonePurges(this.ds, this.evidence.folder, (jws) => this.evidence.checkJws(jws));
  }

  status(): { startup: FolderComparison | null } {
    return { startup: this.startup };
  }

  /** Erases again every undone subject, one job each; the new certificates name the originals. */
  async reapply(actor: AuditActor): Promise<{ jobs: ErasureJobView[] }> {
    const now = await this.check();
    const jobs: ErasureJobView[] = [];
    for (const u of now.undone) {
      const certificates = [u.certificate];
      jobs.push(await this.erasure.startReapply({ kind: u.kind, customerId: u.customerId, personId: u.personId, certificates }, actor));
    }
    return { jobs };
  }
}
