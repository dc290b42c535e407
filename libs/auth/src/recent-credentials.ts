import { Injectable } from '@nestjs/common';
import { Clock } from '@acs/clock';
import { AppConfig } from '@acs/config';
import { sha256Hex } from '@acs/crypto';
import type { Principal } from './roles.js';
import type { BrowserSessionEntity } from './signin/sign-in.entities.js';

interface Remembered {
  principal: Extract<Principal, { kind: 'staff' }>;
  session: BrowserSessionEntity | null;
  /** The credential's own end (token expiry, session's absolute end). */
  expiresAt: number;
  validatedAt: number;
}

// Enough for every desk of a large site; the oldest is forgotten first.
const MAX_ENTRIES = 2000;

/**
 * Staff credentials (bearer tokens, browser sessions) the database accepted recently, so that
 * lockdown and emergency release still authenticate while it is unreachable (docs/failover.md,
 * "Degraded mode"). Consulted only when the database lookup fails with a connection error; an
 * entry counts for the session idle timeout after its last successful check and never past the
 * credential's own end. Revocations made through this instance forget at once; one made through
 * another instance just before an outage can still act here until the entry ages out (bounded by
 * the idle timeout, and only on the routes that work while degraded). Keys are SHA-256 of the
 * credential, like the stored hashes, so memory never holds a usable secret.
 */
@Injectable()
export class RecentCredentials {
  private readonly entries = new Map<string, Remembered>();

  constructor(
    private readonly clock: Clock,
    private readonly config: AppConfig,
  ) {}

  remember(credential: string, principal: Principal, expiresAt: number, session: BrowserSessionEntity | null = null): void {
    if (principal.kind !== 'staff') return;
    const key = sha256Hex(credential);
    this.entries.delete(key);
    this.entries.set(key, { principal, session, expiresAt, validatedAt: this.clock.nowMs() });
    if (this.entries.size > MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
  }

  /** The staff principal behind a credential accepted recently, or null. */
  recall(credential: string): { principal: Principal; session: BrowserSessionEntity | null } | null {
    const key = sha256Hex(credential);
    const e = this.entries.get(key);
    if (!e) return null;
    const now = this.clock.nowMs();
    if (now >= e.expiresAt || now - e.validatedAt >= this.config.SESSION_IDLE_MINUTES * 60_000) {
      this.entries.delete(key);
      return null;
    }
    return { principal: e.principal, session: e.session };
  }

  forgetCredential(credential: string): void {
    this.entries.delete(sha256Hex(credential));
  }

  /** Forgets what a revocation ended: one token or session, or everything of an account. */
  forget(where: { tokenId?: string; sessionId?: string; staffId?: string }): void {
    for (const [key, e] of this.entries) {
      const p = e.principal;
      if (
        (where.staffId !== undefined && p.staffId === where.staffId) ||
        (where.tokenId !== undefined && p.tokenId === where.tokenId) ||
        (where.sessionId !== undefined && e.session?.id === where.sessionId)
      ) {
        this.entries.delete(key);
      }
    }
  }
}
