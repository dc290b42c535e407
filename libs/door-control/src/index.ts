export { DoorControlModule, mqttOptions } from './door-control.module.js';
export { RegistryBrokerCredentials, RegistryControllerSecrets } from './registry-credentials.js';
export { BrokerDenialRelay, MqttSecurityAudit } from './security-audit.js';
