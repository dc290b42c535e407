import { type DynamicModule, Module } from '@nestjs/common';
import type { DestinationStream } from 'pino';
import { AccessLogFenceModule, AccessLogModule, AccessLogRetentionModule, AccessLogSpoolModule } from '@acs/access-log';
import { AccessRequestsModule } from '@acs/access-requests';
import { VisitorsModule } from '@acs/visitors';
import { AuditModule } from '@acs/audit';
import { BadgeInModule } from '@acs/badge-in';
import { AuthModule } from '@acs/auth';
import { BackupModule } from '@acs/backup';
import { ClusterModule, DeviceFenceVerifier } from '@acs/cluster';
import { Clock, ClockModule, SystemClock } from '@acs/clock';
import { CheckpointModule, CheckpointService, ComplianceModule, historyRetentionPolicy } from '@acs/compliance';
import { AppConfig, ConfigModule } from '@acs/config';
import { CredentialsModule } from '@acs/credentials';
import { CryptoModule } from '@acs/crypto';
import { ChainWitnessModule, DatabaseModule } from '@acs/database';
import { EnrolmentModule } from '@acs/enrolment';
import { DoorControlModule } from '@acs/door-control';
import { HealthModule } from '@acs/health';
import { LoggingModule } from '@acs/logging';
import { MetricsModule } from '@acs/metrics';
import { NotificationsModule } from '@acs/notifications';
import { ReaderFleetModule, TemplateFingerCounts } from '@acs/reader-fleet';
import { FingerCountsPort, RegistryModule } from '@acs/registry';
import { SCHEMA } from '@acs/schema';
import { SiemModule } from '@acs/siem';

export interface AppOptions {
  config: AppConfig;
  clock?: Clock;
  /** Where log lines go; stdout when absent. */
  logDestination?: DestinationStream;
}

/** The composition root: wiring only. */
@Module({})
export class AppModule {
  /** Ports a lower lib declares and a higher one implements are connected here, in plain sight. */
  constructor(fingerCounts: FingerCountsPort, templateFingerCounts: TemplateFingerCounts) {
    fingerCounts.connect(templateFingerCounts);
  }

  static register(opts: AppOptions): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.withConfig(opts.config),
        ClockModule.with(opts.clock ?? new SystemClock()),
        LoggingModule.forRoot(opts.logDestination),
        DatabaseModule.forRoot(SCHEMA),
        CryptoModule,
        AuditModule,
        AuthModule,
        HealthModule,
        RegistryModule,
        AccessRequestsModule,
        NotificationsModule,
        DoorControlModule,
        ClusterModule,
        AccessLogModule,
        CredentialsModule,
        ReaderFleetModule,
        EnrolmentModule,
        ComplianceModule,
        VisitorsModule,
        BadgeInModule,
        BackupModule,
        MetricsModule,
        SiemModule,
        // Ports: what compliance supplies to libraries that must not import it.
        AccessLogRetentionModule.with({ inject: [AppConfig], useFactory: historyRetentionPolicy }),
        // Attempts on devices that fail over carry their lease's fencing token; the cluster checks it.
        AccessLogFenceModule.with({ inject: [DeviceFenceVerifier], useFactory: (v: DeviceFenceVerifier) => v }),
        ChainWitnessModule.with({ imports: [CheckpointModule], useExisting: CheckpointService }),
        // Degraded mode: the instance's local spool of access events while the database is unreachable.
        AccessLogSpoolModule,
      ],
    };
  }
}
