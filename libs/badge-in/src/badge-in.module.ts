import { Module } from '@nestjs/common';
import { AccessLogCoreModule } from '@acs/access-log';
import { AuthModule } from '@acs/auth';
import { CardFleetModule } from '@acs/card-fleet';
import { CredentialsModule } from '@acs/credentials';
import { DoorControlModule } from '@acs/door-control';
import { ReaderFleetModule } from '@acs/reader-fleet';
import { HealthModule } from '@acs/health';
import { RegistryModule } from '@acs/registry';
import { AlarmService, DoorAlarmTap } from './alarm.service.js';
import { AlarmsController, DoorModesController, MonitorController } from './badge-in.controller.js';
import { BadgeInService } from './badge-in.service.js';
import { DoorModesService } from './door-modes.service.js';
import { MonitorBus } from './monitor.js';
import { MonitorClusterRelay } from './monitor-relay.js';
import { SecurityAlarmsController } from './security-alarms.controller.js';
import { SecurityAlarmService } from './security-alarms.service.js';

const SERVICES = [MonitorBus, MonitorClusterRelay, AlarmService, DoorAlarmTap, BadgeInService, DoorModesService, SecurityAlarmService];

/**
 * Badge-in (issue 7): identification loops on the door readers, decisions, unlocks, access
 * events, door alarms, lockdown and emergency release, live monitoring, and the door edge's
 * security alarms (DoorControlModule).
 */
@Module({
  imports: [AuthModule, HealthModule, RegistryModule, AccessLogCoreModule, ReaderFleetModule, CardFleetModule, CredentialsModule, DoorControlModule],
  controllers: [MonitorController, AlarmsController, DoorModesController, SecurityAlarmsController],
  providers: SERVICES,
  exports: SERVICES,
})
export class BadgeInModule {}
