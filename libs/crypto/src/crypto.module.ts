import { Global, Module } from '@nestjs/common';
import { KeyService } from './key.service.js';

@Global()
@Module({ providers: [KeyService], exports: [KeyService] })
export class CryptoModule {}
