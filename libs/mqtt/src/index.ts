export * from './logger.js';
export * from './credentials.js';
export * from './broker-acl.js';
export * from './embedded-broker.js';
export * from './mqtt-client.js';
export * from './door-command.service.js';
export * from './mosquitto-auth.js';
export * from './mqtt.module.js';
export { CLUSTER_TOPIC_PREFIX, clusterTopic, isClusterTopic, serverUsername } from './cluster-topics.js';
