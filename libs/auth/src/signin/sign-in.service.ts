import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppConfig } from '@acs/config';
import { DomainError } from '@acs/http';
import { AuthFailureLimiter } from '../auth-failure-limiter.js';
import { CUSTOMER_ADMIN } from '../roles.js';
import { SecurityEventSink } from '../security-event.sink.js';
import { StaffAccountEntity } from '../staff-account.entity.js';
import { PasswordHasher } from './password-hasher.js';
import { PasskeyService } from './passkey.service.js';
import { PasswordService } from './password.service.js';
import type { SessionState } from './sign-in.entities.js';
import { TotpService } from './totp.service.js';

/** Failed sign-ins per username (a second AuthFailureLimiter, keyed by the username's digest). */
export class AccountLockout {
  constructor(readonly limiter: AuthFailureLimiter) {}
}

export interface SignInAttempt {
  username: string;
  password: string;
  totpCode?: string;
  recoveryCode?: string;
  address: string;
  requestId?: string;
}

export interface SignInOutcome {
  staff: StaffAccountEntity;
  state: SessionState;
}

/** Thrown refusals carry the staff id (when there is an account) so the audit entry can name it. */
export class SignInRefused extends DomainError {
  constructor(
    code: string,
    message: string,
    status: number,
    readonly staffId: string | null,
    extra: Record<string, unknown> = {},
  ) {
    super(code, message, status, extra);
  }
}

/**
 * Username + password (+ second factor). Order matters:
 * 1. the address's failure budget (shared with bad bearer tokens) and the username's lock, before
 *    any hash is computed, so a locked-out guesser costs no Argon2 work;
 * 2. the password, always hashed (a dummy hash for unknown or disabled accounts and accounts
 *    without a password), so timing does not reveal which usernames exist;
 * 3. the second factor, asked for only after a correct password.
 * Failures of steps 2 and 3 count against the address and the username; the username's lock
 * only ever affects that username.
 */
@Injectable()
export class SignInService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly config: AppConfig,
    private readonly addresses: AuthFailureLimiter,
    private readonly lockout: AccountLockout,
    private readonly hasher: PasswordHasher,
    private readonly passwords: PasswordService,
    private readonly totp: TotpService,
    private readonly sink: SecurityEventSink,
    private readonly passkeys: PasskeyService,
  ) {}

  async signIn(a: SignInAttempt): Promise<SignInOutcome> {
    const { staff, accountKey, hash } = await this.firstFactor(a);
    const staffId = staff.id;
    const totpOn = await this.totp.enrolled(staffId);
    // A passkey is a second factor as good as TOTP: either one satisfies "second factor required".
    const passkeysOn = await this.passkeys.any(staffId);
    if (totpOn || passkeysOn) {
      const factors = [...(totpOn ? ['totp'] : []), ...(passkeysOn ? ['passkey'] : [])];
      if (a.totpCode === undefined && a.recoveryCode === undefined) {
        if (!totpOn) throw new SignInRefused('auth.passkey_required', 'this account signs in with its passkey after the password', 401, staffId, { factors });
        throw new SignInRefused('auth.totp_required', 'this account needs its second factor: send totpCode or recoveryCode', 401, staffId, { factors });
      }
      const second =
        a.totpCode !== undefined ? await this.totp.verifyCode(staffId, a.totpCode) : await this.totp.useRecoveryCode(staffId, a.recoveryCode ?? '');
      if (!second) {
        await this.fail(a, accountKey, staffId);
        throw new SignInRefused('auth.totp_invalid', 'the second-factor code is not valid or was already used', 401, staffId);
      }
    }

    await this.lockout.limiter.reset(accountKey);
    await this.passwords.rehashIfNeeded(staffId, hash, a.password);
    return { staff, state: this.stateAfterSignIn(staff, totpOn || passkeysOn) };
  }

  /**
   * Steps 1 and 2 alone, for the passkey sign-in's first request: the password is right and the
   * account has a passkey. The lock-out is reset only once the passkey has answered.
   */
  async passwordForPasskey(a: SignInAttempt): Promise<StaffAccountEntity> {
    const { staff, hash } = await this.firstFactor(a);
    if (!(await this.passkeys.any(staff.id))) {
      throw new SignInRefused('auth.no_passkey', 'this account has no passkey; sign in with the password (and code) instead', 401, staff.id);
    }
    await this.passwords.rehashIfNeeded(staff.id, hash, a.password);
    return staff;
  }

  /** After a passkey's assertion verified: the account's failures are forgiven and the session state decided. */
  async passkeySucceeded(staffId: string): Promise<SignInOutcome> {
    const staff = await this.dataSource.getRepository(StaffAccountEntity).findOneOrFail({ where: { id: staffId } });
    if (staff.disabledAt !== null) throw new SignInRefused('auth.bad_credentials', 'the username or password is not correct', 401, staffId);
    await this.lockout.limiter.reset(`user:${staff.username.toLowerCase()}`);
    // A passkey just answered: the account has a second factor.
    return { staff, state: this.stateAfterSignIn(staff, true) };
  }

  /** A refused passkey assertion counts like a wrong code: against the address and the username. */
  async passkeyFailed(staffId: string | null, address: string, requestId?: string): Promise<void> {
    const staff = staffId ? await this.dataSource.getRepository(StaffAccountEntity).findOne({ where: { id: staffId } }) : null;
    if (!staff) {
      await this.addresses.recordFailure(address);
      return;
    }
    await this.fail({ username: staff.username, password: '', address, requestId }, `user:${staff.username.toLowerCase()}`, staff.id);
  }

  /** The address budget and the username's lock (before any hash), then the password (always hashed). */
  private async firstFactor(a: SignInAttempt): Promise<{ staff: StaffAccountEntity; accountKey: string; hash: string }> {
    const accountKey = `user:${a.username.toLowerCase()}`;
    const staff = await this.dataSource.getRepository(StaffAccountEntity).findOne({ where: { username: a.username } });
    const staffId = staff && staff.disabledAt === null ? staff.id : null;

    const addressWait = await this.addresses.blockedFor(a.address);
    if (addressWait > 0) {
      throw new SignInRefused('auth.rate_limited', 'too many failed authentications; try again later', 429, staffId, { retryAfterSeconds: addressWait });
    }
    const accountWait = await this.lockout.limiter.blockedFor(accountKey);
    if (accountWait > 0) {
      throw new SignInRefused('auth.account_locked', 'too many failed sign-ins for this account; try again later', 429, staffId, {
        retryAfterSeconds: accountWait,
      });
    }

    const hash = staffId ? await this.passwords.hashOf(staffId) : null;
    const passwordOk = hash ? await this.hasher.verify(hash, a.password) : await this.hasher.verifyDummy(a.password);
    if (!staff || !staffId || !hash || !passwordOk) {
      await this.fail(a, accountKey, staffId);
      throw new SignInRefused('auth.bad_credentials', 'the username or password is not correct', 401, staffId);
    }
    return { staff, accountKey, hash };
  }

  /**
   * STAFF_TOTP_REQUIRED is for staff: a customer administrator may set up a second factor but
   * is not made to (the "available, not required"), so their session is active at once.
   */
  private stateAfterSignIn(staff: StaffAccountEntity, hasSecond: boolean): SessionState {
    if (staff.role === CUSTOMER_ADMIN || !this.config.STAFF_TOTP_REQUIRED) return 'active';
    return hasSecond ? 'active' : 'totp_enrolment';
  }

  /**
   * The same per-username budget for the checks a signed-in person makes (the current password
   * before a change, a TOTP code to disable it): a stolen session must not become an unlimited
   * guessing oracle for the password or the six-digit code.
   */
  async assertNotLocked(username: string, staffId: string): Promise<void> {
    const wait = await this.lockout.limiter.blockedFor(`user:${username.toLowerCase()}`);
    if (wait > 0) {
      throw new SignInRefused('auth.account_locked', 'too many failed attempts for this account; try again later', 429, staffId, { retryAfterSeconds: wait });
    }
  }

  async countFailure(username: string, staffId: string, requestId?: string): Promise<void> {
    const locked = await this.lockout.limiter.recordFailure(`user:${username.toLowerCase()}`);
    if (locked) {
      await this.sink.authEvent({
        action: 'auth.account_locked',
        staffId,
        targetId: staffId,
        outcome: 'denied',
        requestId,
        details: { lockoutSeconds: this.config.SIGN_IN_LOCKOUT_S },
      });
    }
  }

  private async fail(a: SignInAttempt, accountKey: string, staffId: string | null): Promise<void> {
    await this.addresses.recordFailure(a.address);
    const locked = await this.lockout.limiter.recordFailure(accountKey);
    if (locked) {
      await this.sink.authEvent({
        action: 'auth.account_locked',
        staffId: null,
        targetId: staffId,
        outcome: 'denied',
        requestId: a.requestId,
        details: { lockoutSeconds: this.config.SIGN_IN_LOCKOUT_S },
      });
    }
  }
}
