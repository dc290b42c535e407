import { Injectable } from '@nestjs/common';

export type ErasureProbeListener = (point: string, jobId: string) => void;

/**
 * Named points inside the erasure steps, for observers outside the runner: the crash tests
 * listen and throw at one of them to abort the step as a dying process would (the job row says
 * where to resume). Nobody listens in production; a listener's exception is the step's.
 */
@Injectable()
export class ErasureProbe {
  private readonly listeners = new Set<ErasureProbeListener>();

  /** Returns the function that removes the listener. */
  listen(listener: ErasureProbeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  at(point: string, jobId: string): void {
    for (const l of this.listeners) l(point, jobId);
  }
}
