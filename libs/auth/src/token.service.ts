import { randomUUID } from 'node:crypto';
import { Injectable, Logger, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, IsNull, type EntityManager } from 'typeorm';
import { Clock } from '@acs/clock';
import { AppConfig } from '@acs/config';
import { hashToken, newToken } from '@acs/crypto';
import { readRows, WriteQueue } from '@acs/database';
import { ConflictError, NotFoundError } from '@acs/http';
import { ApiTokenEntity } from './api-token.entity.js';
import { RecentCredentials } from './recent-credentials.js';
import { type AccountRole, type Principal, principalOfAccount } from './roles.js';
import { StaffAccountEntity } from './staff-account.entity.js';

const DAY_MS = 86_400_000;

// A token row with its staff account (none for a customer token, or a deleted account).
const TOKEN_LOOKUP = `SELECT t.id, t.kind, t.customer_id, t.expires_at, t.revoked_at,
  s.id AS staff_id, s.role AS staff_role, s.customer_id AS staff_customer_id, s.disabled_at AS staff_disabled_at
  FROM api_token t LEFT JOIN staff_account s ON s.id = t.staff_id WHERE t.token_hash = ?`;

interface TokenRow {
  id: string;
  kind: ApiTokenEntity['kind'];
  customer_id: string | null;
  expires_at: number | string;
  revoked_at: number | string | null;
  staff_id: string | null;
  staff_role: string | null;
  staff_customer_id: string | null;
  staff_disabled_at: number | string | null;
}
// lastUsedAt is informational; writing it on every request would put a write on every read.
const TOUCH_INTERVAL_MS = 60_000;

export interface IssuedToken {
  /** The bearer token. Shown once; only its hash is stored. */
  token: string;
  id: string;
  expiresAt: number;
}

@Injectable()
export class TokenService {
  private readonly logger = new Logger(TokenService.name);
  private readonly lastTouched = new Map<string, number>();

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly writes: WriteQueue,
    private readonly clock: Clock,
    private readonly config: AppConfig,
    @Optional() private readonly recent?: RecentCredentials,
  ) {}

  async issueForStaff(staffId: string, opts: { label?: string; ttlDays?: number } = {}): Promise<IssuedToken> {
    const staff = await this.dataSource.getRepository(StaffAccountEntity).findOne({ where: { id: staffId, disabledAt: IsNull() } });
    if (!staff) throw new NotFoundError('Staff account', staffId);
    // A customer administrator is a person who signs in; automation for a customer uses its customer tokens.
    if (staff.customerId !== null) {
      throw new ConflictError('staff.customer_admin_no_token', 'a customer administrator signs in with a password; issue a customer token instead');
    }
    return this.issue({ kind: 'staff', staffId, customerId: null }, opts);
  }

  async issueForCustomer(customerId: string, opts: { label?: string; ttlDays?: number } = {}): Promise<IssuedToken> {
    return this.issue({ kind: 'customer', staffId: null, customerId }, opts);
  }

  /**
   * The principal behind a bearer token, or null when it is unknown, expired, revoked or disabled.
   * Read from the database on every request, so a revocation or a disabled account counts at
   * once on every instance; one prepared statement rather than TypeORM's find with a relation,
   * which cost about 1 ms a request (`npm run bench -- access-log`, the HTTP figures).
   */
  async authenticate(token: string): Promise<Principal | null> {
    const [row] = await readRows<TokenRow>(this.dataSource, TOKEN_LOOKUP, [hashToken(token)]);
    const now = this.clock.nowMs();
    if (!row || row.revoked_at !== null || Number(row.expires_at) <= now) {
      this.recent?.forgetCredential(token);
      return null;
    }
    this.touch(row.id, now);
    if (row.kind === 'staff') {
      if (row.staff_id === null || row.staff_disabled_at !== null) return null;
      const principal = principalOfAccount({ id: row.staff_id, role: row.staff_role as AccountRole, customerId: row.staff_customer_id }, row.id);
      this.recent?.remember(token, principal, Number(row.expires_at));
      return principal;
    }
    if (!row.customer_id) return null;
    return { kind: 'customer', tokenId: row.id, customerId: row.customer_id };
  }

  async revoke(tokenId: string): Promise<void> {
    this.recent?.forget({ tokenId });
    await this.writes.transaction(async (m) => {
      const row = await m.findOne(ApiTokenEntity, { where: { id: tokenId } });
      if (!row) throw new NotFoundError('Token', tokenId);
      if (row.revokedAt === null) await m.update(ApiTokenEntity, { id: tokenId }, { revokedAt: this.clock.nowMs() });
    });
  }

  async revokeAllFor(where: { staffId?: string; customerId?: string }): Promise<number> {
    return this.writes.transaction((m) => this.revokeAllIn(m, where, this.clock.nowMs()));
  }

  /**
   * revokeAllFor inside the caller's transaction: an erasure step revokes a customer's tokens and
   * records the count in the same commit, so a crash cannot separate the two. Returns how many
   * tokens this call revoked (already revoked ones keep their original instant).
   */
  async revokeAllIn(m: EntityManager, where: { staffId?: string; customerId?: string }, now: number): Promise<number> {
    if (where.staffId !== undefined) this.recent?.forget({ staffId: where.staffId });
    const res = await m.update(ApiTokenEntity, { ...where, revokedAt: IsNull() }, { revokedAt: now });
    // A customer's end (its purge revokes its tokens here) ends its administrators' sign-ins too:
    // the guard refuses a disabled account's sessions on their next request.
    if (where.customerId !== undefined && where.staffId === undefined) {
      await m.update(StaffAccountEntity, { customerId: where.customerId, disabledAt: IsNull() }, { disabledAt: now });
    }
    return res.affected ?? 0;
  }

  async list(where: { staffId?: string; customerId?: string } = {}): Promise<ApiTokenEntity[]> {
    return this.dataSource.getRepository(ApiTokenEntity).find({ where, order: { createdAt: 'DESC' } });
  }

  private async issue(owner: Pick<ApiTokenEntity, 'kind' | 'staffId' | 'customerId'>, opts: { label?: string; ttlDays?: number }): Promise<IssuedToken> {
    const token = newToken('acs');
    const id = randomUUID();
    const now = this.clock.nowMs();
    const expiresAt = now + (opts.ttlDays ?? this.config.TOKEN_TTL_DAYS) * DAY_MS;
    await this.writes.transaction((m) =>
      m.insert(ApiTokenEntity, {
        id,
        tokenHash: hashToken(token),
        ...owner,
        label: opts.label ?? null,
        createdAt: now,
        expiresAt,
        revokedAt: null,
        lastUsedAt: null,
      }),
    );
    return { token, id, expiresAt };
  }

  private touch(tokenId: string, now: number): void {
    const last = this.lastTouched.get(tokenId) ?? 0;
    if (now - last < TOUCH_INTERVAL_MS) return;
    this.lastTouched.set(tokenId, now);
    this.writes
      .run(() => this.dataSource.getRepository(ApiTokenEntity).update({ id: tokenId }, { lastUsedAt: now }))
      .catch((err: unknown) => this.logger.warn({ err, tokenId }, 'could not record token use'));
  }
}
