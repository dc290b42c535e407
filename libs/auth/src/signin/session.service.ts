import { randomUUID } from 'node:crypto';
import { Injectable, Logger, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, IsNull, Not, type EntityManager } from 'typeorm';
import { Clock } from '@acs/clock';
import { AppConfig } from '@acs/config';
import { hashToken, newToken, sha256Hex } from '@acs/crypto';
import { WriteQueue } from '@acs/database';
import { RecentCredentials } from '../recent-credentials.js';
import { BrowserSessionEntity, type SessionState } from './sign-in.entities.js';

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
// last_seen_at moves in steps of this much: the idle timeout is minutes long, and a write per
// request would put a write on every read.
const TOUCH_INTERVAL_MS = 30_000;

export interface IssuedSession {
  /** The cookie's value: 256 random bits, stored only as SHA-256. */
  token: string;
  /** The session's CSRF token (see csrfTokenOf). */
  csrfToken: string;
  session: BrowserSessionEntity;
}

/**
 * The session's CSRF (synchronizer) token, derived from the cookie's secret so the server can hand
 * it out again (GET /auth/session after a page reload) without storing it: only a page that can
 * read our responses gets it, and a page on another origin can neither read the httpOnly cookie
 * nor our responses (no CORS). The session row keeps its hash to compare against.
 */
export function csrfTokenOf(sessionToken: string): string {
  return Buffer.from(sha256Hex(`csrf:${sessionToken}`), 'hex').toString('base64url');
}

/** Browser sessions in the database, so every instance sees them and a revocation is immediate everywhere. */
@Injectable()
export class SessionService {
  private readonly logger = new Logger(SessionService.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly writes: WriteQueue,
    private readonly clock: Clock,
    private readonly config: AppConfig,
    @Optional() private readonly recent?: RecentCredentials,
  ) {}

  /** A new session; `replacing` (the session the browser came with, if any) is revoked in the same commit. */
  async create(staffId: string, state: SessionState, replacing?: string): Promise<IssuedSession> {
    const token = newToken('acss');
    const csrfToken = csrfTokenOf(token);
    const now = this.clock.nowMs();
    const session: BrowserSessionEntity = {
      id: randomUUID(),
      tokenHash: hashToken(token),
      csrfHash: hashToken(csrfToken),
      staffId,
      state,
      createdAt: now,
      lastSeenAt: now,
      expiresAt: now + this.config.SESSION_ABSOLUTE_HOURS * HOUR_MS,
      revokedAt: null,
    };
    if (replacing) this.recent?.forget({ sessionId: replacing });
    await this.writes.transaction(async (m) => {
      if (replacing) await m.update(BrowserSessionEntity, { id: replacing, revokedAt: IsNull() }, { revokedAt: now });
      await m.insert(BrowserSessionEntity, session);
    });
    return { token, csrfToken, session };
  }

  /** The live session behind a cookie value, or null when unknown, revoked, idle too long or past its absolute end. */
  async authenticate(token: string): Promise<BrowserSessionEntity | null> {
    const row = await this.dataSource.getRepository(BrowserSessionEntity).findOne({ where: { tokenHash: hashToken(token) } });
    const now = this.clock.nowMs();
    if (!row || !this.live(row, now)) return null;
    if (now - row.lastSeenAt >= TOUCH_INTERVAL_MS) {
      row.lastSeenAt = now;
      await this.writes
        .run(() => this.dataSource.getRepository(BrowserSessionEntity).update({ id: row.id }, { lastSeenAt: now }))
        .catch((err: unknown) => this.logger.warn({ err }, 'could not record session use'));
    }
    return row;
  }

  csrfMatches(session: BrowserSessionEntity, csrfToken: string | undefined): boolean {
    return csrfToken !== undefined && hashToken(csrfToken) === session.csrfHash;
  }

  live(row: BrowserSessionEntity, now = this.clock.nowMs()): boolean {
    return row.revokedAt === null && now < row.expiresAt && now - row.lastSeenAt < this.config.SESSION_IDLE_MINUTES * MINUTE_MS;
  }

  /** The staff member's live sessions, newest first. */
  async listFor(staffId: string): Promise<BrowserSessionEntity[]> {
    const rows = await this.dataSource.getRepository(BrowserSessionEntity).find({ where: { staffId, revokedAt: IsNull() }, order: { createdAt: 'DESC' } });
    const now = this.clock.nowMs();
    return rows.filter((r) => this.live(r, now));
  }

  /** Revokes one of the staff member's sessions; false when there is no such live session of theirs. */
  async revoke(staffId: string, sessionId: string): Promise<boolean> {
    this.recent?.forget({ sessionId });
    const res = await this.writes.run(() =>
      this.dataSource.getRepository(BrowserSessionEntity).update({ id: sessionId, staffId, revokedAt: IsNull() }, { revokedAt: this.clock.nowMs() }),
    );
    return (res.affected ?? 0) > 0;
  }

  /** Sign out everywhere (or after a password or second-factor change): every session of the account but `except`. */
  async revokeAllFor(staffId: string, except?: string): Promise<number> {
    return this.writes.transaction((m) => this.revokeAllIn(m, staffId, this.clock.nowMs(), except));
  }

  async revokeAllIn(m: EntityManager, staffId: string, now: number, except?: string): Promise<number> {
    this.recent?.forget({ staffId });
    const where = except ? { staffId, revokedAt: IsNull(), id: Not(except) } : { staffId, revokedAt: IsNull() };
    const res = await m.update(BrowserSessionEntity, where, { revokedAt: now });
    return res.affected ?? 0;
  }
}
