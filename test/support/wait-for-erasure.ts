import type { ErasureJobView, ErasureService } from '@acs/compliance';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Drives an erasure job through the service's public operations (advance, job) until it reaches
 * one of `states`; rejects after `timeoutMs` with where it stands.
 */
export async function waitForErasure(eraser: ErasureService, jobId: string, states: string[] = ['done'], timeoutMs = 60_000): Promise<ErasureJobView> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await eraser.advance(jobId);
    const job = await eraser.job(jobId);
    if (states.includes(job.state)) return job;
    if (Date.now() > deadline) throw new Error(`erasure job ${jobId} is ${job.state} at ${job.step} after ${timeoutMs} ms`);
    await sleep(50);
  }
}
