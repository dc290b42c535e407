export { DoorControlModule, mqttOptions } from './door-control.module.js';
export { DoorCommandModule, type DoorCommandModuleOptions } from './door-command.module.js';
export { DoorCommandService } from './door-command.service.js';
export {
  DoorCommandError,
  type ControllerStatus,
  type DoorCommandErrorCode,
  type DoorCommandServiceOptions,
  type DoorEdgeEvents,
  type DoorEventRecord,
  type GapNotice,
  type SecurityEvent,
  type SecurityEventKind,
} from './door-command.types.js';
export { RegistryBrokerCredentials, RegistryControllerSecrets } from './registry-credentials.js';
export { BrokerDenialRelay, MqttSecurityAudit, type SecurityAlarmRaised } from './security-audit.js';
