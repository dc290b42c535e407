export { STAFF_ROLES, type StaffRole, type Principal, actorOf } from './roles.js';
export {
  ACCESS_POLICY,
  AUDIT_POLICY,
  Public,
  Allow,
  AllowStaffOrOwnCustomer,
  Authenticated,
  Audited,
  type AccessPolicy,
  type AuditPolicy,
} from './route-policy.js';
export { SecurityEventSink } from './security-event.sink.js';
export { AuthGuard, type AuthenticatedRequest } from './auth.guard.js';
export { CurrentPrincipal } from './principal.decorator.js';
export { StaffAccountEntity } from './staff-account.entity.js';
export { ApiTokenEntity } from './api-token.entity.js';
export { TokenService, type IssuedToken } from './token.service.js';
export { StaffService } from './staff.service.js';
export { AuthFailureLimiter } from './auth-failure-limiter.js';
export { AuthModule, AuthCoreModule } from './auth.module.js';
