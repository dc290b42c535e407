import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { epochMs } from '@acs/database';
import { StaffAccountEntity } from '../staff-account.entity.js';

/**
 * A staff account's identity at an OpenID provider. OpenID Connect Core 1.0 §2 makes `sub` unique
 * only within its issuer, so the pair (issuer, subject) is the key; an email or a name would be
 * neither stable nor ours to keep.
 */
@Entity('staff_external_identity')
@Index('uq_staff_external_identity', ['issuer', 'subject'], { unique: true })
export class StaffExternalIdentityEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ type: 'varchar', length: 255 })
  issuer!: string;

  /** The provider's `sub`: at most 255 ASCII characters (OpenID Connect Core 1.0 §2). */
  @Column({ type: 'varchar', length: 255 })
  subject!: string;

  @Index('idx_staff_external_identity_staff')
  @Column({ name: 'staff_id', type: 'varchar', length: 36 })
  staffId!: string;

  @ManyToOne(() => StaffAccountEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'staff_id' })
  staff?: StaffAccountEntity;

  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs })
  createdAt!: number;

  @Column({ name: 'last_sign_in_at', type: 'bigint', transformer: epochMs })
  lastSignInAt!: number;
}

/**
 * A started single sign-on, waiting for the provider's answer: what the callback must check
 * (state, nonce) and send (the PKCE verifier), bound to the browser that started it. Kept in the
 * database so any instance behind the balancer can finish it; used once, then dead.
 */
@Entity('staff_oidc_attempt')
export class OidcAttemptEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  /** SHA-256 of the `state` parameter (the lookup key; the value itself travels only in URLs). */
  @Index('uq_staff_oidc_attempt_state', { unique: true })
  @Column({ name: 'state_hash', type: 'varchar', length: 64 })
  stateHash!: string;

  /** SHA-256 of the pre-session cookie the browser got with the redirect (binds the answer to that browser). */
  @Column({ name: 'binding_hash', type: 'varchar', length: 64 })
  bindingHash!: string;

  /** RFC 7636 code_verifier: useless without the authorization code, and deleted with the row. */
  @Column({ name: 'code_verifier', type: 'varchar', length: 128 })
  codeVerifier!: string;

  @Column({ type: 'varchar', length: 128 })
  nonce!: string;

  /**
   * The browser session the sign-in started from, ended when it completes (rotation). Read at the
   * start: the SameSite=Strict session cookie is not sent on the provider's cross-site redirect back.
   */
  @Column({ name: 'replaces_session_id', type: 'varchar', length: 36, nullable: true })
  replacesSessionId!: string | null;

  @Column({ name: 'created_at', type: 'bigint', transformer: epochMs })
  createdAt!: number;

  @Index('idx_staff_oidc_attempt_expires')
  @Column({ name: 'expires_at', type: 'bigint', transformer: epochMs })
  expiresAt!: number;
}

export const OIDC_ENTITIES = [StaffExternalIdentityEntity, OidcAttemptEntity];
