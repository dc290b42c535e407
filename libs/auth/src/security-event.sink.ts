import type { Principal } from './roles.js';

/** A sign-in or credential event for the audit trail: ids, codes and counts only, never a username or secret. */
export interface AuthEvent {
  action: string;
  /** The staff member acting (null: anonymous, e.g. a refused sign-in). */
  staffId: string | null;
  /** The staff account concerned. */
  targetId: string | null;
  outcome: 'success' | 'failure' | 'denied';
  requestId?: string;
  details?: Record<string, string | number | boolean | null>;
}

/**
 * Where the guard reports refused calls by authenticated principals, and sign-in reports what no
 * route's audit entry shows (an account lock-out). The audit module provides the implementation;
 * auth does not depend on audit.
 */
export abstract class SecurityEventSink {
  abstract accessDenied(principal: Principal, route: string, requestId: string | undefined): Promise<void>;
  abstract authEvent(event: AuthEvent): Promise<void>;
}
