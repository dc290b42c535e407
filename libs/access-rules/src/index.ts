export {
  ACCESS_REASONS,
  type AccessAnswer,
  type AccessReason,
  type AntiPassbackMode,
  type Instant,
  type IsoWeekday,
  type PersonFacts,
  type PersonStatus,
  type RegistrySnapshot,
  type ScheduleFacts,
  type WeeklyWindow,
} from './model.js';
export { isWithinSchedule, nextScheduleChange, validateSchedule, SCHEDULE_LOOKAHEAD_MS } from './schedule.js';
export { evaluateAccess, doorsForPerson, whoMayOpen, personsCoveredByDoors, personsCoveredByEachDoor } from './effective-access.js';
export type { DoorAccessAnswer, PersonAccessAnswer } from './effective-access.js';
export { SnapshotIndex, indexSnapshot } from './snapshot-index.js';
export {
  decideBadgeIn,
  BADGE_IN_DIRECTIONS,
  BADGE_IN_DECISION_REASONS,
  BADGE_IN_ONLY_REASONS,
  BADGE_IN_VIOLATIONS,
  DOOR_HOLD_MODES,
  GRANTING_REASONS,
  REASON_DESCRIPTIONS,
  REASON_FAMILIES,
} from './badge-in.js';
export type {
  BadgeInAttempt,
  BadgeInDecision,
  BadgeInDirection,
  BadgeInInput,
  BadgeInOnlyReason,
  BadgeInReason,
  BadgeInViolation,
  DoorConditions,
  DoorHoldMode,
  ReasonFamily,
} from './badge-in.js';
export { decideEscort, escortWindowMs, DEFAULT_ESCORT_WINDOW_SECONDS, MAX_ESCORT_WINDOW_SECONDS } from './escort.js';
export type { EscortFacts, EscortOutcome } from './escort.js';
export { ZoneState, DOOR_EVENT_KINDS, DEFAULT_ANTI_PASSBACK_RESET_MINUTES, DEFAULT_UNLOCK_GRACE_MS, MAX_ANTI_PASSBACK_RESET_MINUTES } from './zone-state.js';
export type { DoorEvent, DoorEventKind, DoorStatus, PendingTwoPerson, PresenceSide, ZoneStateOptions, ZoneStateView } from './zone-state.js';
export { CREDENTIAL_POLICIES, DEFAULT_CREDENTIAL_POLICY, type CredentialPolicy } from './model.js';
export {
  CARD_STATES,
  CREDENTIAL_REASONS,
  CREDENTIAL_REASON_DESCRIPTIONS,
  CREDENTIAL_WINDOW_BOUNDS_MS,
  DEFAULT_CREDENTIAL_WINDOW_MS,
  FACTOR_KINDS,
  PIN_RESULTS,
  credentialPolicyFor,
  currentAttempt,
  decideCredentialAccess,
  decideCredentials,
  isTwoFactor,
} from './credentials.js';
export type {
  CardFacts,
  CardFactor,
  CardState,
  CredentialAccessDecision,
  CredentialAccessInput,
  CredentialInput,
  CredentialOutcome,
  CredentialReason,
  FactorKind,
  FingerprintFactor,
  PinFactor,
  PinResult,
  PresentedFactor,
} from './credentials.js';
