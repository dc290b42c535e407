/**
 * The facts access decisions are made from: a plain, in-memory snapshot of the registry.
 * Instants are epoch milliseconds (UTC); wall-clock times are interpreted in the schedule's
 * IANA time zone. Nothing here knows about Nest, TypeORM or HTTP.
 */

export type Instant = number;

/**
 * The credentials a door asks for. `a+b`: both, correlated within a window; `a|b`: either.
 * Stable codes (stored with zones and doors).
 */
export const CREDENTIAL_POLICIES = ['fingerprint', 'card', 'card+pin', 'card+fingerprint', 'fingerprint|card'] as const;
export type CredentialPolicy = (typeof CREDENTIAL_POLICIES)[number];
/** Today's behaviour: a door without a policy opens by fingerprint alone. */
export const DEFAULT_CREDENTIAL_POLICY: CredentialPolicy = 'fingerprint';

export type PersonStatus = 'active' | 'suspended' | 'restricted';

export interface CustomerFacts {
  id: string;
  /** Access is possible from this instant on. */
  serviceStart: Instant;
  /** Access ends at this exact instant (exclusive); null until notice is given. */
  serviceEnd: Instant | null;
  /** Set once the customer's data has been purged. */
  purgedAt: Instant | null;
}

export interface PersonFacts {
  id: string;
  customerId: string;
  status: PersonStatus;
  /** Inclusive start; null means "from the customer's service start". */
  validFrom: Instant | null;
  /** Exclusive end; null means "open-ended". */
  validUntil: Instant | null;
  /**
   * A visitor who must be escorted: the host who must badge with them at every door they enter
   * (escort.ts). Absent or null: no escort needed (employees, and visitors whose customer's
   * policy lets them walk alone).
   */
  escortedBy?: string | null;
}

/** ISO weekday: 1 = Monday ... 7 = Sunday. */
export type IsoWeekday = 1 | 2 | 3 | 4 | 5 | 6 | 7;

export interface WeeklyWindow {
  day: IsoWeekday;
  /** Local wall-clock "HH:mm", inclusive. */
  start: string;
  /** Local wall-clock "HH:mm", exclusive; "24:00" means end of day. Must be after start. */
  end: string;
}

export interface ScheduleFacts {
  id: string;
  /** IANA zone name, e.g. Europe/Amsterdam. */
  timeZone: string;
  windows: WeeklyWindow[];
  /** Local calendar dates ("YYYY-MM-DD") on which `windows` do not apply. */
  holidays: string[];
  /** Windows that apply on a holiday instead (only their start/end are used; `day` is ignored). */
  holidayWindows: WeeklyWindow[];
}

export interface AccessLevelFacts {
  id: string;
  /** Zones the level opens: every door securing one of these zones. */
  zoneIds: string[];
  /** Single doors the level opens in addition. */
  doorIds: string[];
  /** null = at all times. */
  scheduleId: string | null;
}

export interface GrantFacts {
  id: string;
  accessLevelId: string;
  customerId: string;
  /** null = every person of the customer. */
  personId: string | null;
  validFrom: Instant | null;
  validUntil: Instant | null;
}

export type AntiPassbackMode = 'off' | 'soft' | 'hard';

export interface ZoneFacts {
  id: string;
  siteId: string;
  lockdown: boolean;
  antiPassback: AntiPassbackMode;
  /** Doors of one interlock group: only one may be open at a time (mantrap). */
  interlockGroup: string | null;
  /** Two distinct authorised people within this many seconds; null = off. */
  twoPersonWindowSeconds: number | null;
  /** Which credentials open the zone's doors (see credentials.ts); absent = `fingerprint`. */
  credentialPolicy?: CredentialPolicy;
}

export interface DoorFacts {
  id: string;
  siteId: string;
  /** The zone this door leads into. */
  zoneId: string;
  /** Overrides the zone's policy for this door alone; absent = the zone's. */
  credentialPolicy?: CredentialPolicy;
}

export interface RegistrySnapshot {
  customers: ReadonlyMap<string, CustomerFacts>;
  persons: ReadonlyMap<string, PersonFacts>;
  schedules: ReadonlyMap<string, ScheduleFacts>;
  accessLevels: ReadonlyMap<string, AccessLevelFacts>;
  grants: readonly GrantFacts[];
  zones: ReadonlyMap<string, ZoneFacts>;
  doors: ReadonlyMap<string, DoorFacts>;
}

/**
 * Why a person may or may not open a door at an instant. Stable codes: they appear in the API
 * and, later, in the access history. Order of checks = order below.
 */
export const ACCESS_REASONS = [
  'granted',
  'unknown_person',
  'unknown_door',
  'customer_purged',
  'customer_not_started',
  'customer_service_ended',
  'person_suspended',
  'person_restricted',
  'person_not_yet_valid',
  'person_expired',
  'zone_lockdown',
  'no_grant_for_door',
  'grant_not_yet_valid',
  'grant_expired',
  'outside_schedule',
] as const;
export type AccessReason = (typeof ACCESS_REASONS)[number];

export interface AccessAnswer {
  allowed: boolean;
  reason: AccessReason;
  /** The grant that allows it (granted) or the closest one that did not (time reasons). */
  grantId?: string;
  accessLevelId?: string;
  /** When the answer next changes, if known (e.g. schedule window end, service end). */
  until?: Instant;
}
