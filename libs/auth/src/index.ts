export { STAFF_ROLES, CUSTOMER_ADMIN, ACCOUNT_ROLES, type StaffRole, type AccountRole, type Principal, actorOf } from './roles.js';
export {
  ACCESS_POLICY,
  AUDIT_POLICY,
  DURING_ENROLMENT,
  DuringTotpEnrolment,
  Public,
  Allow,
  AllowStaffOrOwnCustomer,
  OwnAccount,
  Audited,
  type AccessPolicy,
  type AuditPolicy,
} from './route-policy.js';
export { SecurityEventSink, type AuthEvent } from './security-event.sink.js';
export type { AuthenticatedRequest } from './auth.guard.js';
export { CurrentPrincipal } from './principal.decorator.js';
export { StaffAccountEntity } from './staff-account.entity.js';
export { ApiTokenEntity } from './api-token.entity.js';
export { TokenService, type IssuedToken } from './token.service.js';
export { StaffService, type AccountWithSignIn } from './staff.service.js';
export { activeCustomerAdmins } from './customer-admin-reads.js';
export { CreateCustomerAdminDto, CreatedCustomerAdminView, staffView } from './dto/staff.dto.js';
export { AuthModule, AuthCoreModule } from './auth.module.js';
export { SIGN_IN_ENTITIES, StaffCredentialEntity, PasswordResetEntity, RecoveryCodeEntity, BrowserSessionEntity } from './signin/sign-in.entities.js';
export { PASSKEY_ENTITIES, StaffPasskeyEntity, PasskeyChallengeEntity } from './signin/passkey.entities.js';
export { OIDC_ENTITIES, StaffExternalIdentityEntity, OidcAttemptEntity } from './oidc/oidc.entities.js';
export { ARGON2_PARAMS, PasswordHasher } from './signin/password-hasher.js';
