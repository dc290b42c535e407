/**
 * A witness of chain heads kept outside the database (the signed checkpoints of issue 15). The
 * audit and access-history verify routes ask it, when one is provided, whether the database still
 * holds what the newest checkpoint saw: a hash chain alone cannot tell that its tail is gone.
 * Defined here because both chains' libraries depend on this one and not on each other.
 */
export const CHAIN_WITNESS = Symbol('CHAIN_WITNESS');

export interface ChainWitnessVerdict {
  /** False when the chain lost entries the checkpoint saw (or the checkpoint's signature fails). */
  ok: boolean;
  checkpoint: { number: number; at: string } | null;
  signature: string | null;
  problem: 'missing_tail' | 'rewritten' | 'erased_since' | null;
  checkpointSeq: number | null;
  databaseSeq: number | null;
}

export interface ChainWitness {
  /** `audit`, a customer id, or `site:<id>`. */
  witness(chain: string): Promise<ChainWitnessVerdict>;
}
