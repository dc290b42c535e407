import { Global, Module } from '@nestjs/common';
import { CHAIN_WITNESS } from '@acs/database';
import { CheckpointService } from './checkpoint.service.js';

/**
 * Global so that the audit and access-history verify routes, in modules that do not know this
 * one, find the checkpoints through the CHAIN_WITNESS token.
 */
@Global()
@Module({
  providers: [CheckpointService, { provide: CHAIN_WITNESS, useExisting: CheckpointService }],
  exports: [CheckpointService, CHAIN_WITNESS],
})
export class CheckpointModule {}
