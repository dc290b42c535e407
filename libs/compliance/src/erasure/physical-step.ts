import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AccessHistoryErasure } from '@acs/access-log';
import { AppConfig } from '@acs/config';
import { dataKeyTables } from '@acs/crypto';
import { CredentialService } from '@acs/credentials';
import { nativeSqlite, WriteQueue } from '@acs/database';
import { TemplateVault } from '@acs/reader-fleet';
import { PersonDataErasure } from '@acs/registry';
import type { ErasureJobEntity } from '../entities.js';
import { sqliteFiles } from '../scan-paths.js';
import { scanFilesInChild } from '../scan-process.js';
import { scanTables } from '../table-scan.js';
import type { ErasureData } from './erasure-data.js';
import { ErasureParticipants } from './erasure-participants.js';
import { ErasureNeedles, keyPrefix } from './needles.js';
import { setTimeout as sleep } from 'node:timers/promises';

type Physical = NonNullable<ErasureData['physical']>;

/**
 * Step 5: make the erased rows physically unreachable, then look for the erased values.
 * SQLite: checkpoint and truncate the WAL, then a byte scan of every file. PostgreSQL: VACUUM
 * the tables the erasure wrote to, then a scan of every text and bytea column in SQL.
 */
@Injectable()
export class PhysicalErasure {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly writes: WriteQueue,
    private readonly config: AppConfig,
    private readonly vault: TemplateVault,
    private readonly people: PersonDataErasure,
    private readonly history: AccessHistoryErasure,
    private readonly needles: ErasureNeedles,
    private readonly credentials: CredentialService,
    private readonly participants: ErasureParticipants,
  ) {}

  async run(job: ErasureJobEntity, data: ErasureData): Promise<void> {
    const collected = this.needles.get(job.id);
    // Names and cards under a legal hold are legitimately still there: then only the templates are looked for.
    const namesHeld = data.deferred?.parts.includes('names') === true;
    const cards = namesHeld ? [] : (collected?.cards ?? []);
    const looked: Buffer[] = [
      ...(namesHeld ? [] : [...(collected?.plaintext ?? []), ...(collected?.ciphertext ?? [])]),
      ...(collected?.templates ?? []),
      ...cards,
    ];
    const withPrefix = job.kind === 'customer' && data.keyId !== null && data.key?.destroyed === true;
    if (withPrefix) looked.push(keyPrefix(data.keyId!));
    const values = {
      plaintext: namesHeld ? 0 : (collected?.plaintext.length ?? 0),
      ciphertext: (namesHeld ? 0 : (collected?.ciphertext.length ?? 0)) + (collected?.templates.length ?? 0),
      cards: cards.length,
      keyPrefix: withPrefix,
      collectedInThisRun: collected !== undefined,
    };
    if (this.ds.options.type === 'postgres') {
      data.physical = await this.postgres(looked, values);
      return;
    }
    const files = sqliteFiles(this.config.databasePath);
    let t0 = performance.now();
    let checkpoint = await this.checkpoint();
    let checkpointMs = performance.now() - t0;
    t0 = performance.now();
    let scan = await scanFilesInChild(files, looked);
    let scanMs = performance.now() - t0;
    let vacuumed = false;
    if (scan.some((f) => f.hits > 0)) {
      // secure_delete zeroes freed cells; VACUUM rebuilds the file for anything else (docs/sqlite-durability.md §Secure delete).
      t0 = performance.now();
      await this.writes.run(async () => nativeSqlite(this.ds).exec('VACUUM'));
      checkpoint = await this.checkpoint();
      checkpointMs += performance.now() - t0;
      t0 = performance.now();
      scan = await scanFilesInChild(files, looked);
      scanMs += performance.now() - t0;
      vacuumed = true;
    }
    data.physical = {
      checkpoint,
      vacuumed,
      values,
      files: scan,
      clean: scan.every((f) => f.hits === 0) && checkpoint.busy === 0,
      checkpointMs: Math.round(checkpointMs),
      scanMs: Math.round(scanMs),
    };
  }

  /** SQLite: WAL checkpoint TRUNCATE, retried while readers keep it busy (20 tries, 100 ms apart). */
  async checkpoint(): Promise<{ busy: number; log: number; checkpointed: number }> {
    for (let i = 0; ; i++) {
      const [r] = await this.writes.run(
        async () => nativeSqlite(this.ds).pragma('wal_checkpoint(TRUNCATE)') as Array<{ busy: number; log: number; checkpointed: number }>,
      );
      if (r.busy === 0 || i >= 20) return r;
      await sleep(100);
    }
  }

  /** Tables an erasure deletes from or rewrites (old row versions hold the values until VACUUM on PostgreSQL). */
  private erasedTables(): string[] {
    return [
      ...this.vault.tables(),
      ...this.people.tables(),
      ...this.credentials.tables(),
      ...this.history.tables(),
      ...this.participants.all().flatMap((p) => p.tables()),
      ...dataKeyTables(this.ds),
    ];
  }

  /**
   * PostgreSQL keeps deleted and overwritten row versions in the table files until VACUUM (there
   * is no secure_delete): every table the erasure deleted from or updated is vacuumed, through the
   * write queue so no write of ours interleaves, and outside a transaction as VACUUM requires.
   * This is defence in depth, not the guarantee: the bytes of freed space, WAL segments and
   * backups are the cluster operator's, which is why the customer's data key was destroyed.
   */
  private async postgres(needles: Buffer[], values: Physical['values']): Promise<Physical> {
    const tables = this.erasedTables();
    // A session of its own without the statement timeout: a vacuum or scan of a large history
    // may take longer, and a cancelled one would only be retried from the start.
    const session = this.ds.createQueryRunner();
    try {
      await session.query('SET statement_timeout = 0');
      let t0 = performance.now();
      // One table per turn of the queue: badge-in events are written between tables, not after all.
      for (const table of tables) await this.writes.run(() => session.query(`VACUUM (ANALYZE) "${table}"`));
      const vacuumMs = performance.now() - t0;
      t0 = performance.now();
      const scan = await scanTables(session, needles);
      const scanMs = performance.now() - t0;
      return {
        driver: 'postgres',
        vacuumed: true,
        vacuum: { tables, ms: Math.round(vacuumMs) },
        values,
        files: scan,
        clean: scan.every((f) => f.hits === 0),
        scanMs: Math.round(scanMs),
      };
    } finally {
      // The pool reuses the connection: it must not keep the lifted timeout.
      await session.query('RESET statement_timeout').catch(() => undefined);
      await session.release();
    }
  }
}
