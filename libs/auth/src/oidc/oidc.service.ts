import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import * as client from 'openid-client';
import { DataSource, LessThan } from 'typeorm';
import { Clock } from '@acs/clock';
import { AppConfig } from '@acs/config';
import { sha256Hex } from '@acs/crypto';
import { WriteQueue } from '@acs/database';
import type { StaffRole } from '../roles.js';
import { SessionService } from '../signin/session.service.js';
import { StaffAccountEntity } from '../staff-account.entity.js';
import { OidcClient, OidcRefused } from './oidc-client.js';
import { OidcAttemptEntity, StaffExternalIdentityEntity } from './oidc.entities.js';
import { mapRole, parseRoleMap, type RoleMapping } from './role-map.js';

const MINUTE_MS = 60_000;

export interface OidcOutcome {
  staff: StaffAccountEntity;
  /** The role changed at the provider since the last sign-in (or the account is new). */
  roleChanged: boolean;
  created: boolean;
  /** The session the browser started from, to end with the new one. */
  replacesSessionId: string | null;
}

/**
 * Single sign-on for staff (docs/single-sign-on.md). The server keeps what the callback must
 * check, once, and the provider's word on who the person is and which groups they hold decides
 * the account and its role. The provider is trusted with the second factor.
 */
@Injectable()
export class OidcService {
  private readonly client: OidcClient | null;
  private readonly roles: RoleMapping[];

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly writes: WriteQueue,
    private readonly clock: Clock,
    private readonly config: AppConfig,
    private readonly sessions: SessionService,
  ) {
    const c = config;
    this.client =
      c.OIDC_ISSUER && c.OIDC_CLIENT_ID && c.OIDC_REDIRECT_URL
        ? new OidcClient({
            issuer: c.OIDC_ISSUER,
            clientId: c.OIDC_CLIENT_ID,
            clientSecret: c.OIDC_CLIENT_SECRET,
            redirectUrl: c.OIDC_REDIRECT_URL,
            scopes: c.OIDC_SCOPES,
          })
        : null;
    // A bad map stops the start-up (parseRoleMap throws), so nobody is let in under a typo.
    this.roles = this.client ? parseRoleMap(c.OIDC_ROLE_MAP ?? '') : [];
  }

  get enabled(): boolean {
    return this.client !== null;
  }

  private requireClient(): OidcClient {
    if (!this.client) throw new OidcRefused('auth.oidc_not_configured', 'single sign-on is not configured on this server (OIDC_ISSUER)', 404);
    return this.client;
  }

  /**
   * A new authorization request (OpenID Connect Core 1.0 §3.1.2.1): fresh state, nonce and PKCE
   * verifier (RFC 7636 §4.1, 256 bits each), stored against the browser's binding cookie.
   */
  async start(binding: string, currentSessionId: string | null): Promise<URL> {
    const oidc = this.requireClient();
    const state = client.randomState();
    const nonce = client.randomNonce();
    const codeVerifier = client.randomPKCECodeVerifier();
    const now = this.clock.nowMs();
    const url = await oidc.authorizationUrl({ state, nonce, codeChallenge: await client.calculatePKCECodeChallenge(codeVerifier), nowMs: now });
    await this.writes.transaction(async (m) => {
      // Expired attempts go here, in passing: there is no other reader of them.
      await m.delete(OidcAttemptEntity, { expiresAt: LessThan(now) });
      await m.insert(OidcAttemptEntity, {
        id: randomUUID(),
        stateHash: sha256Hex(state),
        bindingHash: sha256Hex(binding),
        codeVerifier,
        nonce,
        replacesSessionId: currentSessionId,
        createdAt: now,
        expiresAt: now + this.config.OIDC_STATE_TTL_MINUTES * MINUTE_MS,
      });
    });
    return url;
  }

  /**
   * The provider's answer. The attempt is taken (deleted) before anything else, so a state works
   * once whatever happens next; it must belong to this browser and be within its time.
   */
  async finish(query: URLSearchParams, binding: string | undefined): Promise<OidcOutcome> {
    const oidc = this.requireClient();
    const state = query.get('state');
    const attempt = state ? await this.take(state) : null;
    const now = this.clock.nowMs();
    if (!attempt || binding === undefined || sha256Hex(binding) !== attempt.bindingHash || now >= attempt.expiresAt) {
      throw new OidcRefused('auth.oidc_state_invalid', 'this sign-in answer is unknown, already used, expired or from another browser; start again', 400);
    }
    const identity = await oidc.exchange({
      callbackQuery: query.toString(),
      state: state!,
      nonce: attempt.nonce,
      codeVerifier: attempt.codeVerifier,
      nowMs: now,
    });
    const role = mapRole(identity.claims[this.config.OIDC_ROLE_CLAIM], this.roles);
    const linked = await this.dataSource.getRepository(StaffExternalIdentityEntity).findOne({ where: { issuer: identity.issuer, subject: identity.subject } });
    if (!role) {
      // Access withdrawn at the provider: the account's open sessions end too, not only this sign-in.
      if (linked) await this.sessions.revokeAllFor(linked.staffId);
      throw new OidcRefused(
        'auth.oidc_unmapped_role',
        'the provider names no group or role that this product maps to a staff role',
        403,
        linked?.staffId ?? null,
      );
    }
    return { ...(await this.link(identity.issuer, identity.subject, role, linked, now)), replacesSessionId: attempt.replacesSessionId };
  }

  private async take(state: string): Promise<OidcAttemptEntity | null> {
    return this.writes.transaction(async (m) => {
      const row = await m.findOne(OidcAttemptEntity, { where: { stateHash: sha256Hex(state) } });
      if (!row) return null;
      const gone = await m.delete(OidcAttemptEntity, { id: row.id });
      return (gone.affected ?? 0) === 1 ? row : null;
    });
  }

  /** Finds the account linked to (issuer, subject) or provisions one; a changed role is applied and ends the account's other sessions. */
  private async link(
    issuer: string,
    subject: string,
    role: StaffRole,
    linked: StaffExternalIdentityEntity | null,
    now: number,
  ): Promise<Omit<OidcOutcome, 'replacesSessionId'>> {
    return this.writes.transaction(async (m) => {
      if (linked) {
        const staff = await m.findOneOrFail(StaffAccountEntity, { where: { id: linked.staffId } });
        if (staff.disabledAt !== null)
          throw new OidcRefused('auth.oidc_account_disabled', 'the staff account linked to this identity is disabled', 403, staff.id);
        const roleChanged = staff.role !== role;
        if (roleChanged) {
          staff.role = role;
          await m.update(StaffAccountEntity, { id: staff.id }, { role });
          // A privilege change: no session of the old role outlives it (OWASP session management, "renew after privilege change").
          await this.sessions.revokeAllIn(m, staff.id, now);
        }
        await m.update(StaffExternalIdentityEntity, { id: linked.id }, { lastSignInAt: now });
        return { staff, roleChanged, created: false };
      }
      // A handle derived from the identity, not the person's name or e-mail: the account list shows no personal data.
      const staff: StaffAccountEntity = {
        id: randomUUID(),
        username: `sso-${sha256Hex(`${issuer}\n${subject}`).slice(0, 20)}`,
        role,
        customerId: null,
        createdAt: now,
        disabledAt: null,
      };
      await m.insert(StaffAccountEntity, staff);
      await m.insert(StaffExternalIdentityEntity, { id: randomUUID(), issuer, subject, staffId: staff.id, createdAt: now, lastSignInAt: now });
      return { staff, roleChanged: true, created: true };
    });
  }
}
