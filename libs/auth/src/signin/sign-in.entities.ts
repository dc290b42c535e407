import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { bigintAsNumber, epochMs } from '@acs/database';
import { StaffAccountEntity } from '../staff-account.entity.js';

/** A staff account's sign-in secrets, apart from the account row so a listing of staff never loads them. */
@Entity('staff_credential')
export class StaffCredentialEntity {
  @PrimaryColumn({ name: 'staff_id', type: 'varchar', length: 36 })
  staffId!: string;

  @ManyToOne(() => StaffAccountEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'staff_id' })
  staff?: StaffAccountEntity;

  /** Argon2id in the PHC string format (parameters and salt included). */
  @Column({ name: 'password_hash', type: 'varchar', length: 255, nullable: true })
  passwordHash!: string | null;

  @Column({ name: 'password_set_at', type: 'bigint', nullable: true, transformer: epochMs })
  passwordSetAt!: number | null;

  /** The active TOTP secret, sealed with the key ring (KeyService, system scope). */
  @Column({ name: 'totp_secret_ct', type: 'text', nullable: true })
  totpSecretCt!: string | null;

  /** A secret generated for enrolment, active only once a first code confirms it. */
  @Column({ name: 'totp_pending_ct', type: 'text', nullable: true })
  totpPendingCt!: string | null;

  @Column({ name: 'totp_enabled_at', type: 'bigint', nullable: true, transformer: epochMs })
  totpEnabledAt!: number | null;

  /** The RFC 6238 time step of the last accepted code: that code and older ones are refused (replay). */
  @Column({ name: 'totp_last_step', type: 'bigint', nullable: true, transformer: bigintAsNumber })
  totpLastStep!: number | null;
}

@Entity('staff_password_reset')
export class PasswordResetEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  /** SHA-256 of the one-time reset token; the token is shown once to the administrator. */
  @Index('uq_staff_password_reset_hash', { unique: true })
  @Column({ name: 'token_hash', type: 'varchar', length: 64 })
  tokenHash!: string;

  @Index('idx_staff_password_reset_staff')
  @Column({ name: 'staff_id', type: 'varchar', length: 36 })
  staffId!: string;

  @ManyToOne(() => StaffAccountEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'staff_id' })
  staff?: StaffAccountEntity;

  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs })
  createdAt!: number;

  @Column({ name: 'expires_at', type: 'bigint', transformer: epochMs })
  expiresAt!: number;

  @Column({ name: 'used_at', type: 'bigint', nullable: true, transformer: epochMs })
  usedAt!: number | null;
}

@Entity('staff_recovery_code')
export class RecoveryCodeEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Index('idx_staff_recovery_code_staff')
  @Column({ name: 'staff_id', type: 'varchar', length: 36 })
  staffId!: string;

  @ManyToOne(() => StaffAccountEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'staff_id' })
  staff?: StaffAccountEntity;

  /** SHA-256 of the code: recovery codes are 64-bit random, so a fast hash is enough (no dictionary to attack). */
  @Column({ name: 'code_hash', type: 'varchar', length: 64 })
  codeHash!: string;

  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs })
  createdAt!: number;

  @Column({ name: 'used_at', type: 'bigint', nullable: true, transformer: epochMs })
  usedAt!: number | null;
}

export type SessionState = 'active' | 'totp_enrolment';

@Entity('browser_session')
export class BrowserSessionEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  /** SHA-256 of the cookie's value; the value itself exists only in the browser. */
  @Index('uq_browser_session_hash', { unique: true })
  @Column({ name: 'token_hash', type: 'varchar', length: 64 })
  tokenHash!: string;

  /** SHA-256 of the session's CSRF (synchronizer) token. */
  @Column({ name: 'csrf_hash', type: 'varchar', length: 64 })
  csrfHash!: string;

  @Index('idx_browser_session_staff')
  @Column({ name: 'staff_id', type: 'varchar', length: 36 })
  staffId!: string;

  @ManyToOne(() => StaffAccountEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'staff_id' })
  staff?: StaffAccountEntity;

  @Column({ type: 'varchar', length: 16 })
  state!: SessionState;

  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs })
  createdAt!: number;

  @Column({ name: 'last_seen_at', type: 'bigint', transformer: epochMs })
  lastSeenAt!: number;

  /** The absolute timeout: created_at + SESSION_ABSOLUTE_HOURS, whatever the activity. */
  @Column({ name: 'expires_at', type: 'bigint', transformer: epochMs })
  expiresAt!: number;

  @Column({ name: 'revoked_at', type: 'bigint', nullable: true, transformer: epochMs })
  revokedAt!: number | null;
}

export const SIGN_IN_ENTITIES = [StaffCredentialEntity, PasswordResetEntity, RecoveryCodeEntity, BrowserSessionEntity];
