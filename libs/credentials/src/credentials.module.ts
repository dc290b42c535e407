import { Module } from '@nestjs/common';
import { CryptoModule } from '@acs/crypto';
import { CredentialService } from './credential.service.js';

/** Cards and PINs (issue 17): the service badge-in, the card routes and the erasure call. */
@Module({
  imports: [CryptoModule],
  providers: [CredentialService],
  exports: [CredentialService],
})
export class CredentialsModule {}
