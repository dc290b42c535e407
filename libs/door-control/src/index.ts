export { DoorControlModule, mqttOptions } from './door-control.module.js';
export { RegistryBrokerCredentials, RegistryControllerSecrets } from './registry-credentials.js';
export { BrokerDenialRelay, MqttSecurityAudit, type SecurityAlarmRaised } from './security-audit.js';
