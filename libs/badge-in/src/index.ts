export { BADGE_IN_ENTITIES, ControllerSequenceEntity, DoorAlarmEntity } from './entities.js';
export { BadgeInModule } from './badge-in.module.js';
export { BadgeInService, type BadgeOutcome, type BadgeInEvents, type DoorStatusView, type ReaderLoopView } from './badge-in.service.js';
export { AlarmService, alarmView, DoorAlarmTap, type AlarmView, type RaiseAlarm } from './alarm.service.js';
export { DoorModesService, type ModeChangeResult, type ModeScope } from './door-modes.service.js';
export { MonitorBus, matchesFilter, isSecurityAlarm, type MonitorEvent, type MonitorFilter } from './monitor.js';
export { channelKey, type DoorWiring, type ReaderBinding, type Topology } from './topology.js';
export { SecurityAlarmService, SECURITY_ALARM_ACTION, SECURITY_ALARM_ACK_ACTION, type SecurityAlarmView } from './security-alarms.service.js';
export { DEFAULT_READER_BAUD, IDLE_POLL_BYTES, idlePollCost, lineMs, type PollCost } from './poll-cost.js';
