import { Module } from '@nestjs/common';
import { CheckpointService } from './checkpoint.service.js';

/**
 * Signed checkpoints of the chain heads (issue 15). The audit and access-history verify routes
 * reach them through the CHAIN_WITNESS port, which the composition root wires
 * (ChainWitnessModule.with in apps/server).
 */
@Module({ providers: [CheckpointService], exports: [CheckpointService] })
export class CheckpointModule {}
