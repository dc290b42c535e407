export {
  assertValidControllerId,
  commandTopic,
  eventTopic,
  isValidControllerId,
  parseTopic,
  replyTopic,
  SERVER_SUBSCRIPTIONS,
  stateTopic,
  statusTopic,
  TOPIC_PREFIX,
  type TopicKind,
  topicMatches,
} from './topics.js';
export { newNonce, signEnvelope, verifyEnvelope } from './signing.js';
export {
  type CommandBody,
  type CommandName,
  DOOR_MODES,
  type DoorAlarm,
  type DoorMode,
  type DoorState,
  type EventBody,
  type EventType,
  MAX_DOORS,
  MAX_UNLOCK_MS,
  parseEnvelope,
  peekRequest,
  type RepliedCommandBody,
  type ReplyBody,
  type ReplyCode,
  type StateBody,
  type StatusBody,
  validateCommand,
  validateEvent,
  validateReply,
  validateState,
  validateStatus,
} from './messages.js';
export { aheadOfClock, checkFreshness, DEFAULT_MAX_SKEW_MS } from './freshness.js';
export { NonceCache } from './nonce-cache.js';
export { EventSequencer, SequenceTracker } from './sequence.js';
