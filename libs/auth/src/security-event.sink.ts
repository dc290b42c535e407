import type { Principal } from './roles.js';

/**
 * Where the guard reports refused calls by authenticated principals. The audit module provides
 * the implementation; auth does not depend on audit.
 */
export abstract class SecurityEventSink {
  abstract accessDenied(principal: Principal, route: string, requestId: string | undefined): Promise<void>;
}
