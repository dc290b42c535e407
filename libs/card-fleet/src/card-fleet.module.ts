import { Module } from '@nestjs/common';
import { HealthModule } from '@acs/health';
import { RegistryModule } from '@acs/registry';
import { CardFleet } from './card-fleet.js';

/** The OSDP card readers of this instance (issue 17). */
@Module({
  imports: [HealthModule, RegistryModule],
  providers: [CardFleet],
  exports: [CardFleet],
})
export class CardFleetModule {}
