import { Injectable, Logger, Optional, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Clock } from '@acs/clock';
import { AppConfig } from '@acs/config';
import { EvidenceSigner } from '@acs/crypto';
import { type ChainWitness, type ChainWitnessVerdict, WriteQueue } from '@acs/database';
import { ReadinessRegistry } from '@acs/health';
import { readChainHeads, type ChainHeads } from './chain-heads.js';
import { describeFinding, type CheckpointBody } from './checkpoint-compare.js';
import { appendCheckpoint, lineHash, newestCheckpoint } from './checkpoint-log.js';
import { verifyAgainstCheckpoints, type CheckpointVerification } from './checkpoint-verify.js';

export interface CheckpointStatus {
  folder: string;
  intervalS: number;
  /** The comparison made at start-up; `databaseOlder` is the alarm. */
  startup: CheckpointVerification | null;
  /** Checkpoints are not written while the database is older than the newest one (they would hide it). */
  paused: boolean;
  lastWritten: { number: number; at: string; reason: string } | null;
}

/**
 * Signed checkpoints of the chain heads outside the database (issue 15, part 2): every
 * CHECKPOINT_INTERVAL_S and after every erasure, the heads of the audit chain and of every
 * access-history chain are signed and appended to the checkpoint log. A hash chain cannot tell
 * that its newest entries are gone; the newest checkpoint can.
 */
@Injectable()
export class CheckpointService implements OnApplicationBootstrap, OnApplicationShutdown, ChainWitness {
  private readonly logger = new Logger('Checkpoints');
  private timer?: NodeJS.Timeout;
  private chain: Promise<unknown> = Promise.resolve();
  private startup: CheckpointVerification | null = null;
  private paused = false;
  private last: { number: number; prev: string | null; heads: string | null; at: string; reason: string } | null = null;

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly writes: WriteQueue,
    private readonly clock: Clock,
    private readonly config: AppConfig,
    private readonly signer: EvidenceSigner,
    @Optional() private readonly readiness?: ReadinessRegistry,
  ) {}

  get folder(): string {
    return this.config.checkpointDir;
  }

  async onApplicationBootstrap(): Promise<void> {
    const own = newestCheckpoint(this.folder, this.config.INSTANCE_ID);
    if (own) this.last = { number: own.body.checkpoint, prev: lineHash(own.jws), heads: null, at: own.body.at, reason: own.body.reason };
    this.startup = await this.verify();
    if (!this.startup.ok) {
      this.paused = true;
      const what =
        this.startup.signature !== 'valid'
          ? [`the newest checkpoint's signature does not verify (${this.startup.signature})`]
          : this.startup.findings.filter((f) => f.problem !== 'erased_since').map(describeFinding);
      this.logger.error(
        `EVIDENCE ALARM: the database is older than (or differs from) checkpoint ${this.startup.checkpoint?.number} of ${this.startup.checkpoint?.at}: ${what.join('; ')}. ` +
          'Acknowledged writes or audit entries are missing (restored backup, lost WAL). Checkpoints are paused until `acsctl checkpoint:accept` records the decision.',
      );
    } else {
      await this.take('startup');
    }
    this.readiness?.register('evidence', async () => ({
      checkpoints: this.paused ? 'paused' : 'running',
      databaseOlderThanCheckpoint: this.startup?.databaseOlder ?? false,
      checkpointSignature: this.startup?.signature ?? null,
      // /ready is public: how many chains are behind, not which (GET /compliance/checkpoints names them).
      chainsBehind: (this.startup?.findings ?? []).filter((f) => f.problem !== 'erased_since').length,
      lastCheckpoint: this.last ? { number: this.last.number, at: this.last.at } : null,
    }));
    this.schedule();
  }

  async onApplicationShutdown(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.chain.catch(() => undefined);
  }

  private schedule(): void {
    this.timer = setTimeout(() => {
      void this.resumeIfAccepted()
        .then(() => this.take('interval'))
        .catch((err: Error) => this.logger.error(`checkpoint failed: ${err.message}`))
        .finally(() => {
          if (this.timer) this.schedule();
        });
    }, this.config.CHECKPOINT_INTERVAL_S * 1000);
    this.timer.unref?.();
  }

  /**
   * Signs the current heads and appends them to the log; one at a time. An interval checkpoint
   * with the same heads as the last one is skipped (nothing new to witness).
   */
  take(reason: CheckpointBody['reason']): Promise<CheckpointBody | null> {
    const run = this.chain.then(async () => {
      if (this.paused && reason !== 'rollback_accepted') return null;
      // Through the write queue: on SQLite's shared connection a read outside it could see a
      // transaction that later rolls back, and the checkpoint would witness entries that never were.
      const heads = await this.writes.run(() => readChainHeads(this.ds));
      const fingerprint = JSON.stringify(heads);
      if (reason === 'interval' && this.last?.heads === fingerprint) return null;
      const now = this.clock.now();
      const body: CheckpointBody = {
        version: 1,
        checkpoint: (this.last?.number ?? 0) + 1,
        at: now.toISOString(),
        instance: this.config.INSTANCE_ID,
        reason,
        prev: this.last?.prev ?? null,
        heads,
      };
      const jws = await this.signer.sign('acs-checkpoint', JSON.stringify(body));
      await appendCheckpoint(this.folder, this.config.INSTANCE_ID, now, jws);
      this.last = { number: body.checkpoint, prev: lineHash(jws), heads: fingerprint, at: body.at, reason };
      return body;
    });
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** While paused, `acsctl checkpoint:accept` may have recorded the operator's decision: resume then. */
  private async resumeIfAccepted(): Promise<void> {
    if (!this.paused) return;
    const now = await this.verify();
    if (!now.ok) return;
    const own = newestCheckpoint(this.folder, this.config.INSTANCE_ID);
    if (own) this.last = { number: own.body.checkpoint, prev: lineHash(own.jws), heads: null, at: own.body.at, reason: own.body.reason };
    this.paused = false;
    this.logger.warn(`checkpoints resumed after checkpoint ${now.checkpoint?.number} (${now.checkpoint?.reason})`);
  }

  /** The database against the newest checkpoint (any instance's, in this folder). */
  verify(): Promise<CheckpointVerification> {
    return verifyAgainstCheckpoints(this.ds, this.folder, (jws) => this.signer.verify(jws, 'acs-checkpoint'));
  }

  /** One chain against the newest checkpoint, for the audit and access-history verify routes. */
  async witness(chain: string): Promise<ChainWitnessVerdict> {
    const v = await this.verify();
    const f = v.findings.find((x) => x.chain === chain) ?? null;
    const signatureOk = v.signature === null || v.signature === 'valid';
    return {
      ok: signatureOk && (f === null || f.problem === 'erased_since'),
      checkpoint: v.checkpoint ? { number: v.checkpoint.number, at: v.checkpoint.at } : null,
      signature: v.signature,
      problem: f?.problem ?? null,
      checkpointSeq: f?.checkpointSeq ?? null,
      databaseSeq: f?.databaseSeq ?? null,
    };
  }

  status(): CheckpointStatus {
    return {
      folder: this.folder,
      intervalS: this.config.CHECKPOINT_INTERVAL_S,
      startup: this.startup,
      paused: this.paused,
      lastWritten: this.last ? { number: this.last.number, at: this.last.at, reason: this.last.reason } : null,
    };
  }

  /** For tests and benchmarks: the heads as a checkpoint would record them. */
  heads(): Promise<ChainHeads> {
    return this.writes.run(() => readChainHeads(this.ds));
  }
}
