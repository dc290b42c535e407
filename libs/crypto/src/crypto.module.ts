import { Global, Module } from '@nestjs/common';
import { EvidenceSigner } from './evidence-signer.js';
import { KeyService } from './key.service.js';

@Global()
@Module({ providers: [KeyService, EvidenceSigner], exports: [KeyService, EvidenceSigner] })
export class CryptoModule {}
