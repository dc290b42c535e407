import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, IsNull } from 'typeorm';
import { Clock } from '@acs/clock';
import { AppConfig } from '@acs/config';
import { hashToken, newToken } from '@acs/crypto';
import { WriteQueue } from '@acs/database';
import { NotFoundError } from '@acs/http';
import { StaffAccountEntity } from '../staff-account.entity.js';
import { PasswordResetEntity } from './sign-in.entities.js';

const MINUTE_MS = 60_000;

export interface IssuedReset {
  /** The one-time reset token, shown once to the administrator; only its hash is stored. */
  token: string;
  expiresAt: number;
}

/**
 * Issuing one-time password-reset tokens, apart from the rest of the password code so that acsctl
 * (no HTTP, no sessions, no hashing) can issue one for an operator locked out of the console.
 */
@Injectable()
export class PasswordResets {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly writes: WriteQueue,
    private readonly clock: Clock,
    private readonly config: AppConfig,
  ) {}

  /** A one-time token that lets the account set a new password; earlier unused tokens stop working. */
  async issue(staffId: string): Promise<IssuedReset> {
    const staff = await this.dataSource.getRepository(StaffAccountEntity).findOne({ where: { id: staffId, disabledAt: IsNull() } });
    if (!staff) throw new NotFoundError('Staff account', staffId);
    const token = newToken('acsr');
    const now = this.clock.nowMs();
    const expiresAt = now + this.config.PASSWORD_RESET_TTL_MINUTES * MINUTE_MS;
    await this.writes.transaction(async (m) => {
      await m.update(PasswordResetEntity, { staffId, usedAt: IsNull() }, { usedAt: now });
      await m.insert(PasswordResetEntity, { id: randomUUID(), tokenHash: hashToken(token), staffId, createdAt: now, expiresAt, usedAt: null });
    });
    return { token, expiresAt };
  }
}
