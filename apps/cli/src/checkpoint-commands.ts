import type { INestApplicationContext } from '@nestjs/common';
import { DataSource } from 'typeorm';
import {
  appendCheckpoint,
  describeFinding,
  lineHash,
  newestCheckpoint,
  readChainHeads,
  verifyAgainstCheckpoints,
  type CheckpointBody,
  type CheckpointVerification,
} from '@acs/compliance';
import type { AppConfig } from '@acs/config';
import { EvidenceSigner } from '@acs/crypto';
import { WriteQueue } from '@acs/database';
import type { Out } from './out.js';

/** The database against the newest signed checkpoint, for the chains a command is about. */
export async function checkpointCheck(
  app: INestApplicationContext,
  config: AppConfig,
  only: (chain: string) => boolean,
): Promise<{ ok: boolean; lines: string[]; json: unknown }> {
  const signer = app.get(EvidenceSigner);
  const v: CheckpointVerification = await verifyAgainstCheckpoints(app.get(DataSource), config.checkpointDir, (jws) => signer.verify(jws, 'acs-checkpoint'));
  const findings = v.findings.filter((f) => only(f.chain));
  const lost = findings.filter((f) => f.problem !== 'erased_since');
  const lines: string[] = [];
  if (!v.checkpoint) lines.push(`No checkpoint in ${config.checkpointDir}: a missing tail cannot be detected.`);
  else if (v.signature !== 'valid') lines.push(`Checkpoint ${v.checkpoint.number} of ${v.checkpoint.at} does NOT verify (${v.signature}): ${v.file}`);
  else {
    lines.push(
      `Checkpoint ${v.checkpoint.number} of ${v.checkpoint.at} (${v.checkpoint.instance}, ${v.checkpoint.reason}): ${lost.length === 0 ? 'the database holds everything it witnessed' : 'the database is OLDER than the checkpoint'}.`,
    );
    for (const f of findings) lines.push(`  ${describeFinding(f)}`);
  }
  const ok = v.signature === null || (v.signature === 'valid' && lost.length === 0);
  return { ok, lines, json: { checkpoint: v.checkpoint, signature: v.signature, file: v.file, databaseOlder: lost.length > 0, findings } };
}

/**
 * Records an operator's decision that the database as it is now is the one to go on with (after a
 * restore was investigated): a signed checkpoint of the current heads with reason `rollback_accepted`.
 */
export async function checkpointAccept(app: INestApplicationContext, config: AppConfig, out: Out): Promise<void> {
  const heads = await app.get(WriteQueue).run(() => readChainHeads(app.get(DataSource)));
  const previous = newestCheckpoint(config.checkpointDir, config.INSTANCE_ID);
  const now = new Date();
  const body: CheckpointBody = {
    version: 1,
    checkpoint: (previous?.body.checkpoint ?? 0) + 1,
    at: now.toISOString(),
    instance: config.INSTANCE_ID,
    reason: 'rollback_accepted',
    prev: previous ? lineHash(previous.jws) : null,
    heads,
  };
  const jws = await app.get(EvidenceSigner).sign('acs-checkpoint', JSON.stringify(body));
  const file = await appendCheckpoint(config.checkpointDir, config.INSTANCE_ID, now, jws);
  out.line(`Checkpoint ${body.checkpoint} (rollback_accepted) appended to ${file}; the server resumes checkpoints at its next interval.`);
}
