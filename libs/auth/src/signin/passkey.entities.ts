import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { bigintAsNumber, epochMs } from '@acs/database';
import { StaffAccountEntity } from '../staff-account.entity.js';

/** A registered passkey (WebAuthn public-key credential): public material only. */
@Entity('staff_passkey')
export class StaffPasskeyEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Index('idx_staff_passkey_staff')
  @Column({ name: 'staff_id', type: 'varchar', length: 36 })
  staffId!: string;

  @ManyToOne(() => StaffAccountEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'staff_id' })
  staff?: StaffAccountEntity;

  /** The credential id as base64url; unique across accounts (an authenticator makes a new one per registration). */
  @Index('uq_staff_passkey_credential', { unique: true })
  @Column({ name: 'credential_id', type: 'varchar', length: 1400 })
  credentialId!: string;

  /** The COSE_Key (RFC 9052 §7) of the credential, base64url. */
  @Column({ name: 'public_key', type: 'text' })
  publicKey!: string;

  /** The last signature counter the authenticator reported (WebAuthn §6.1.1). */
  @Column({ type: 'bigint', transformer: bigintAsNumber })
  counter!: number;

  /** JSON array of the transports the browser reported at registration (hints for the next sign-in). */
  @Column({ type: 'varchar', length: 255 })
  transports!: string;

  @Column({ type: 'varchar', length: 64 })
  label!: string;

  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs })
  createdAt!: number;

  @Column({ name: 'last_used_at', type: 'bigint', nullable: true, transformer: epochMs })
  lastUsedAt!: number | null;
}

export type PasskeyPurpose = 'registration' | 'authentication';

/** A challenge handed out for one WebAuthn ceremony: single use, bound to a session or a pending sign-in, short-lived. */
@Entity('staff_passkey_challenge')
export class PasskeyChallengeEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Index('idx_staff_passkey_challenge_staff')
  @Column({ name: 'staff_id', type: 'varchar', length: 36 })
  staffId!: string;

  @ManyToOne(() => StaffAccountEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'staff_id' })
  staff?: StaffAccountEntity;

  @Column({ type: 'varchar', length: 16 })
  purpose!: PasskeyPurpose;

  /** Registration: the browser session that asked for the options. */
  @Column({ name: 'session_id', type: 'varchar', length: 36, nullable: true })
  sessionId!: string | null;

  /** Sign-in: SHA-256 of the pending sign-in token handed out after the right password. */
  @Index('uq_staff_passkey_challenge_token', { unique: true })
  @Column({ name: 'token_hash', type: 'varchar', length: 64, nullable: true })
  tokenHash!: string | null;

  /** The challenge as base64url (WebAuthn §13.4.3: at least 16 random bytes; we use 32). */
  @Column({ type: 'varchar', length: 128 })
  challenge!: string;

  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs })
  createdAt!: number;

  @Column({ name: 'expires_at', type: 'bigint', transformer: epochMs })
  expiresAt!: number;

  @Column({ name: 'used_at', type: 'bigint', nullable: true, transformer: epochMs })
  usedAt!: number | null;
}

export const PASSKEY_ENTITIES = [StaffPasskeyEntity, PasskeyChallengeEntity];
