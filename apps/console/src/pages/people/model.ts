import { ApiError, type Schemas } from '../../api';
import type { StaffRole } from '../../session';
import type { Tone } from '../../ui';

/** Shapes of the API views these pages read (libs/registry, libs/enrolment DTOs), generated from the OpenAPI document. */
export type Customer = Schemas['CustomerView'];
export type Person = Schemas['PersonView'];
export type Grant = Schemas['GrantView'];
export type AccessLevel = Schemas['AccessLevelView'];
export type Fingerprint = Schemas['FingerprintView'];
export type DoorAccess = Schemas['DoorAccessView'];

/** Mirrors the route policies of the controllers (the API stays the real gate). */
export const can = {
  addPerson: (r: StaffRole) => r === 'admin' || r === 'security',
  grant: (r: StaffRole) => r === 'admin' || r === 'security',
  enrol: (r: StaffRole) => r === 'admin' || r === 'security',
  seeFingerprints: (r: StaffRole) => r !== 'auditor',
};

/** ISO/IEC 19794 finger positions minus one, as the enrolment API numbers them. */
export const FINGERS = [
  'Right thumb',
  'Right index finger',
  'Right middle finger',
  'Right ring finger',
  'Right little finger',
  'Left thumb',
  'Left index finger',
  'Left middle finger',
  'Left ring finger',
  'Left little finger',
] as const;

export function fingerName(n: number): string {
  return FINGERS[n] ?? `Finger ${n}`;
}

export const CUSTOMER_TONE: Record<Customer['status'], Tone> = { active: 'ok', upcoming: 'info', ended: 'warn', purged: 'idle' };
export const PERSON_TONE: Record<Person['status'], Tone> = { active: 'ok', suspended: 'bad', restricted: 'warn' };

/** The stable reason codes of libs/access-rules, in words for the desk. */
export const ACCESS_REASON_TEXT: Record<string, string> = {
  granted: 'Granted',
  unknown_person: 'Person not known to the access rules',
  unknown_door: 'Door not known to the access rules',
  customer_purged: "Customer's data has been erased",
  customer_not_started: "Customer's service has not started yet",
  customer_service_ended: "Customer's service has ended",
  person_suspended: 'Person is suspended',
  person_restricted: 'Person is restricted',
  person_not_yet_valid: 'Person is not valid yet',
  person_expired: "Person's validity has ended",
  zone_lockdown: 'Zone is in lockdown',
  no_grant_for_door: 'No grant covers this door',
  grant_not_yet_valid: 'Grant is not valid yet',
  grant_expired: 'Grant has expired',
  outside_schedule: 'Outside the schedule of the access level',
};

export function reasonText(code: string): string {
  return ACCESS_REASON_TEXT[code] ?? code.replace(/_/g, ' ');
}

/** Per-field messages of a validation problem: the server lists `{ field, problems }` (ProblemView.errors). */
export function fieldErrors(e: unknown): Record<string, string> {
  if (!(e instanceof ApiError)) return {};
  const out: Record<string, string> = {};
  for (const f of e.problem.errors ?? []) out[f.field] = f.problems.length > 0 ? f.problems.join('; ') : 'invalid';
  return out;
}

/** Accent- and case-insensitive, like the server's own name search. */
export function searchable(s: string): string {
  return s.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
}
