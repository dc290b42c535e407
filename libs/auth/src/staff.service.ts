import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager, IsNull } from 'typeorm';
import { Clock } from '@acs/clock';
import { WriteQueue } from '@acs/database';
import { ConflictError, NotFoundError } from '@acs/http';
import { CUSTOMER_ADMIN, type StaffRole } from './roles.js';
import { StaffPasskeyEntity } from './signin/passkey.entities.js';
import { type IssuedReset, PasswordResets } from './signin/password-resets.js';
import { BrowserSessionEntity, StaffCredentialEntity } from './signin/sign-in.entities.js';
import { StaffAccountEntity } from './staff-account.entity.js';
import { type IssuedToken, TokenService } from './token.service.js';

/** What an administrator sees of an account's sign-in: never the secrets, only whether they exist. */
export interface AccountSignIn {
  passwordSet: boolean;
  totp: boolean;
  passkeys: number;
}

export type AccountWithSignIn = StaffAccountEntity & AccountSignIn;

/** Person accounts: staff and customer administrators (one table, see StaffAccountEntity). */
@Injectable()
export class StaffService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly writes: WriteQueue,
    private readonly clock: Clock,
    private readonly tokens: TokenService,
    private readonly resets: PasswordResets,
  ) {}

  /**
   * A customer's end erases its administrators' accounts (their usernames may name them), in the
   * purge's transaction: the rows go, and their passwords, second factors, reset links and
   * sessions with them (foreign keys cascade). The audit trail keeps only their ids. Returns how
   * many accounts were erased (counted on the certificate).
   */
  async eraseCustomerAdminsIn(m: EntityManager, customerId: string): Promise<number> {
    const res = await m.delete(StaffAccountEntity, { customerId, role: CUSTOMER_ADMIN });
    return res.affected ?? 0;
  }

  /** Creates the account and its first token (shown once). */
  async create(username: string, role: StaffRole, tokenLabel?: string): Promise<{ staff: StaffAccountEntity; token: IssuedToken }> {
    const staff = await this.insert(username, role, null);
    const token = await this.tokens.issueForStaff(staff.id, { label: tokenLabel });
    return { staff, token };
  }

  /** Creates a staff account that signs in with a password: no token, a one-time reset token (shown once) instead. */
  async createForPassword(username: string, role: StaffRole): Promise<{ staff: StaffAccountEntity; reset: IssuedReset }> {
    const staff = await this.insert(username, role, null);
    return { staff, reset: await this.resets.issue(staff.id) };
  }

  /**
   * A customer's own administrator, scoped to that customer (the caller has checked that the
   * customer exists: the registry owns customers). Signs in with a password set through the
   * one-time reset token returned here.
   */
  async createCustomerAdmin(customerId: string, username: string): Promise<{ staff: StaffAccountEntity; reset: IssuedReset }> {
    const staff = await this.insert(username, CUSTOMER_ADMIN, customerId);
    return { staff, reset: await this.resets.issue(staff.id) };
  }

  issueReset(staffId: string): Promise<IssuedReset> {
    return this.resets.issue(staffId);
  }

  list(): Promise<StaffAccountEntity[]> {
    return this.dataSource.getRepository(StaffAccountEntity).find({ order: { createdAt: 'ASC' } });
  }

  /** Every account with whether its password and second factors are set up (three queries, whatever the number of accounts). */
  async listWithSignIn(): Promise<AccountWithSignIn[]> {
    const [accounts, credentials, passkeys] = await Promise.all([
      this.list(),
      this.dataSource.getRepository(StaffCredentialEntity).find({ select: { staffId: true, passwordSetAt: true, totpEnabledAt: true } }),
      this.dataSource
        .getRepository(StaffPasskeyEntity)
        .createQueryBuilder('p')
        .select('p.staff_id', 'staffId')
        .addSelect('COUNT(*)', 'n')
        .groupBy('p.staff_id')
        .getRawMany<{ staffId: string; n: string | number }>(),
    ]);
    const creds = new Map(credentials.map((c) => [c.staffId, c]));
    const keys = new Map(passkeys.map((p) => [p.staffId, Number(p.n)]));
    return accounts.map((a) => ({
      ...a,
      passwordSet: creds.get(a.id)?.passwordSetAt != null,
      totp: creds.get(a.id)?.totpEnabledAt != null,
      passkeys: keys.get(a.id) ?? 0,
    }));
  }

  async get(id: string): Promise<StaffAccountEntity> {
    const row = await this.dataSource.getRepository(StaffAccountEntity).findOne({ where: { id } });
    if (!row) throw new NotFoundError('Staff account', id);
    return row;
  }

  /** For acsctl: the account behind a username (usernames are unique). */
  async byUsername(username: string): Promise<StaffAccountEntity | null> {
    return this.dataSource.getRepository(StaffAccountEntity).findOne({ where: { username } });
  }

  /** Disables the account and revokes its tokens and browser sessions; the row stays for the audit trail's ids. */
  async disable(id: string): Promise<StaffAccountEntity> {
    await this.get(id);
    await this.writes.transaction(async (m) => {
      const now = this.clock.nowMs();
      await m.update(StaffAccountEntity, { id }, { disabledAt: now });
      await this.tokens.revokeAllFor({ staffId: id });
      await m.update(BrowserSessionEntity, { staffId: id, revokedAt: IsNull() }, { revokedAt: now });
    });
    return this.get(id);
  }

  /**
   * Enables a disabled account again. Its tokens and sessions stay revoked (the person signs in
   * afresh); its password and second factors are as they were.
   */
  async enable(id: string): Promise<StaffAccountEntity> {
    await this.get(id);
    await this.writes.run(() => this.dataSource.getRepository(StaffAccountEntity).update({ id }, { disabledAt: null }));
    return this.get(id);
  }

  private insert(username: string, role: StaffAccountEntity['role'], customerId: string | null): Promise<StaffAccountEntity> {
    return this.writes.transaction(async (m: EntityManager) => {
      if (await m.findOne(StaffAccountEntity, { where: { username } })) {
        throw new ConflictError('staff.username_taken', 'a staff account with this username exists');
      }
      const row: StaffAccountEntity = { id: randomUUID(), username, role, customerId, createdAt: this.clock.nowMs(), disabledAt: null };
      await m.insert(StaffAccountEntity, row);
      return row;
    });
  }
}
