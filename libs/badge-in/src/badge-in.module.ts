import { Module } from '@nestjs/common';
import { AccessLogCoreModule } from '@acs/access-log';
import { AuthModule } from '@acs/auth';
import { EnrollmentModule } from '@acs/enrollment';
import { HealthModule } from '@acs/health';
import { RegistryModule } from '@acs/registry';
import { AlarmService } from './alarm.service.js';
import { AlarmsController, DoorModesController, MonitorController } from './badge-in.controller.js';
import { BadgeInService } from './badge-in.service.js';
import { DoorModesService } from './door-modes.service.js';
import { MonitorBus } from './monitor.js';
import { MonitorClusterRelay } from './monitor-relay.js';

const SERVICES = [MonitorBus, MonitorClusterRelay, AlarmService, BadgeInService, DoorModesService];

/**
 * Badge-in (issue 7): identification loops on the door readers, decisions, unlocks, access
 * events, door alarms, lockdown and emergency release, live monitoring. Needs the door edge
 * (DoorControlModule, global) in the application.
 */
@Module({
  imports: [AuthModule, HealthModule, RegistryModule, AccessLogCoreModule, EnrollmentModule],
  controllers: [MonitorController, AlarmsController, DoorModesController],
  providers: SERVICES,
  exports: SERVICES,
})
export class BadgeInModule {}
