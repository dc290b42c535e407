import { type DynamicModule, Module } from '@nestjs/common';
import { AccessLogCoreModule } from '@acs/access-log';
import { AuditCoreModule } from '@acs/audit';
import { AuthCoreModule } from '@acs/auth';
import { ClockModule, SystemClock } from '@acs/clock';
import { type AppConfig, ConfigModule } from '@acs/config';
import { CryptoModule } from '@acs/crypto';
import { DatabaseModule } from '@acs/database';
import { RegistryCoreModule } from '@acs/registry';
import { SCHEMA } from '@acs/schema';
import { SiemAuditFeedModule } from '@acs/siem';

/** The services an admin command needs, without HTTP. */
@Module({})
export class CliModule {
  static register(config: AppConfig): DynamicModule {
    return {
      module: CliModule,
      imports: [
        ConfigModule.withConfig(config),
        ClockModule.with(new SystemClock()),
        DatabaseModule.forRoot(SCHEMA),
        CryptoModule,
        AuditCoreModule,
        AuthCoreModule,
        RegistryCoreModule,
        AccessLogCoreModule,
        SiemAuditFeedModule,
      ],
    };
  }
}
