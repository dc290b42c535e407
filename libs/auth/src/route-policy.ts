import { applyDecorators, SetMetadata } from '@nestjs/common';
import type { StaffRole } from './roles.js';

export const ACCESS_POLICY = 'acs:access-policy';
export const AUDIT_POLICY = 'acs:audit-policy';
export const DURING_ENROLMENT = 'acs:during-totp-enrolment';

export type AccessPolicy =
  { kind: 'public' } | { kind: 'roles'; staff: readonly StaffRole[]; customerParam?: string } | { kind: 'authenticated' } | { kind: 'own-account' };

/**
 * Every route declares who may call it; the guard denies routes without a declaration and a
 * test walks all routes to prove none is missing.
 */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(ACCESS_POLICY, { kind: 'public' } satisfies AccessPolicy);

/** Staff with one of these roles. `admin` is never implied: list it where it belongs. */
export const Allow = (...staff: StaffRole[]): MethodDecorator & ClassDecorator => SetMetadata(ACCESS_POLICY, { kind: 'roles', staff } satisfies AccessPolicy);

/**
 * Staff with one of these roles, or a customer token whose customer is the route parameter
 * `customerParam` (so a customer reaches only its own data, whatever id it guesses).
 */
export const AllowStaffOrOwnCustomer = (customerParam: string, ...staff: StaffRole[]): MethodDecorator & ClassDecorator =>
  SetMetadata(ACCESS_POLICY, { kind: 'roles', staff, customerParam } satisfies AccessPolicy);

/**
 * A person's own account, whoever they are: any staff principal, or a customer administrator
 * (their sessions, password, second factor). A customer token has no account and is refused.
 */
export const OwnAccount = (): MethodDecorator & ClassDecorator => SetMetadata(ACCESS_POLICY, { kind: 'own-account' } satisfies AccessPolicy);

/** Any valid token, staff or customer (e.g. "who am I"). */
export const Authenticated = (): MethodDecorator & ClassDecorator => SetMetadata(ACCESS_POLICY, { kind: 'authenticated' } satisfies AccessPolicy);

export interface AuditPolicy {
  /** Stable action name, e.g. `staff.create`, `person.read`. */
  action: string;
  targetType?: string;
  /** Route parameter holding the target id; otherwise the response's `id` is used. */
  targetParam?: string;
}

/**
 * Records the call in the audit trail (success or failure). Required on every state-changing
 * route and on every read of personal data.
 */
export const Audited = (policy: AuditPolicy): MethodDecorator => applyDecorators(SetMetadata(AUDIT_POLICY, policy));

/**
 * A route a browser session may call before its staff member has enrolled the required second
 * factor (the enrolment itself, sign-out, who am I); every other route answers
 * `auth.totp_enrolment_required` to such a session.
 */
export const DuringTotpEnrolment = (): MethodDecorator => SetMetadata(DURING_ENROLMENT, true);
