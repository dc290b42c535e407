import { type DynamicModule, Module, type ModuleMetadata, type Type } from '@nestjs/common';
import { CHAIN_WITNESS, type ChainWitness } from './chain-witness.js';

/**
 * Wires the {@link CHAIN_WITNESS} port: the composition root names the module that provides the
 * witness (compliance's checkpoints) and the class behind it. Global because the audit and
 * access-history routes that ask it live in libraries that must not import the witness's.
 */
@Module({})
export class ChainWitnessModule {
  static with(source: { imports: ModuleMetadata['imports']; useExisting: Type<ChainWitness> }): DynamicModule {
    return {
      module: ChainWitnessModule,
      global: true,
      imports: source.imports,
      providers: [{ provide: CHAIN_WITNESS, useExisting: source.useExisting }],
      exports: [CHAIN_WITNESS],
    };
  }
}
