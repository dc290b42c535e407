import type { RequestKind, RequestStatus } from './access-request.entity.js';

/**
 * What a filing does at once. Taking access away needs nobody's approval (the customer may always
 * narrow who enters its space); giving access is applied at once only inside the access levels
 * staff pre-approved for the customer, otherwise it waits for the datacenter's staff.
 */
export function onFiling(kind: RequestKind, accessLevelId: string | null, preApproved: ReadonlySet<string>): 'apply' | 'wait' {
  if (kind === 'remove') return 'apply';
  if (kind === 'grant' && accessLevelId !== null && preApproved.has(accessLevelId)) return 'apply';
  return 'wait';
}

/** The status a request reaches once applied. */
export function appliedStatus(kind: RequestKind): RequestStatus {
  return kind === 'remove' ? 'applied' : 'approved';
}

/** Only a pending request can be decided; a decision is final. */
export function canDecide(status: RequestStatus): boolean {
  return status === 'pending';
}

/** Whether approval of this kind gives someone access, so the person is invited to enrol. */
export function invitesToEnrolment(kind: RequestKind, accessLevelId: string | null): boolean {
  return kind === 'add_person' || (kind === 'grant' && accessLevelId !== null);
}

/** A period is valid when open-ended on either side or ending after it starts. */
export function validPeriod(from: number | null, until: number | null): boolean {
  if ((from !== null && Number.isNaN(from)) || (until !== null && Number.isNaN(until))) return false;
  return from === null || until === null || until > from;
}
