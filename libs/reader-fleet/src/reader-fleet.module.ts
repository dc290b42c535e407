import { Module } from '@nestjs/common';
import { CryptoModule } from '@acs/crypto';
import { HealthModule } from '@acs/health';
import { RegistryModule } from '@acs/registry';
import { TemplateFingerCounts } from './finger-counts.js';
import { ReaderLibraryService } from './reader-library.service.js';
import { ReaderManager } from './reader-manager.js';
import { TemplateStore } from './template-store.js';
import { TemplateVault } from './template-vault.js';

const SERVICES = [ReaderManager, TemplateVault, TemplateStore, TemplateFingerCounts, ReaderLibraryService];

/** The door and desk readers, and every reader library kept in step with the registry (issue 6). */
@Module({
  imports: [CryptoModule, HealthModule, RegistryModule],
  providers: SERVICES,
  exports: SERVICES,
})
export class ReaderFleetModule {}
