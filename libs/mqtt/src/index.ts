export { type MqttLogger, SILENT_LOGGER } from './logger.js';
export {
  type BrokerCredentialProvider,
  type ControllerSecretProvider,
  InMemoryControllerSecretProvider,
  InMemoryCredentialProvider,
  type MqttPrincipal,
} from './credentials.js';
export { type BrokerDenial, DEFAULT_EMBEDDED_PORT, EmbeddedBroker, EmbeddedBrokerError } from './embedded-broker.js';
export { RateLimitedLog } from './rate-limited-log.js';
export { type SecurityAggregate, SecurityEventAggregator } from './security-aggregator.js';
export { AcsMqttClient, type DoorTransport, type MessageHandler, MqttConnectError } from './mqtt-client.js';
export { type MosquittoAuthInput, renderMosquittoAuth } from './mosquitto-auth.js';
export { MqttEdge, MqttModule, type MqttModuleOptions } from './mqtt.module.js';
export { CLUSTER_TOPIC_PREFIX, clusterTopic, isClusterTopic, serverUsername } from './cluster-topics.js';
