import { randomBytes, randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { generateSecret, generateURI, verify } from 'otplib';
import { toDataURL } from 'qrcode';
import { DataSource, IsNull, LessThan, type EntityManager } from 'typeorm';
import { Clock } from '@acs/clock';
import { KeyService, sha256Hex } from '@acs/crypto';
import { readRows, WriteQueue } from '@acs/database';
import { ConflictError, DomainError } from '@acs/http';
import { RecoveryCodeEntity, StaffCredentialEntity } from './sign-in.entities.js';

/** Key-ring scope of server-wide secrets (the registry's device secrets use the same one). */
const SYSTEM_SCOPE = 'system';
const ISSUER = 'ACS';
const RECOVERY_CODES = 10;
// RFC 6238 §5.2: accept one step either side for clock drift and typing time; 30 s steps (§4).
const PERIOD_S = 30;
const TOLERANCE_S = PERIOD_S;

const aad = (staffId: string, column: 'totp_secret' | 'totp_pending') => `staff_credential:${staffId}:${column}`;

export interface TotpEnrolment {
  otpauthUri: string;
  qrCodeDataUrl: string;
}

/** TOTP second factor (RFC 6238) with otplib; secrets sealed with the key ring, recovery codes hashed. */
@Injectable()
export class TotpService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly writes: WriteQueue,
    private readonly clock: Clock,
    private readonly keys: KeyService,
  ) {}

  async enrolled(staffId: string): Promise<boolean> {
    // A prepared read: every sign-in asks (readRows).
    const [row] = await readRows<{ totp_enabled_at: number | string | null }>(
      this.dataSource,
      'SELECT totp_enabled_at FROM staff_credential WHERE staff_id = ?',
      [staffId],
    );
    return row !== undefined && row.totp_enabled_at !== null;
  }

  /** A new secret, pending until confirmed; shown once as an otpauth URI and its QR code. */
  async startEnrolment(staffId: string, label: string): Promise<TotpEnrolment> {
    if (await this.enrolled(staffId)) throw new ConflictError('totp.already_enrolled', 'a second factor is already active; disable it first');
    const secret = generateSecret();
    const sealed = await this.keys.encrypt(SYSTEM_SCOPE, secret, aad(staffId, 'totp_pending'));
    await this.writes.transaction(async (m) => {
      await this.ensureRow(m, staffId);
      await m.update(StaffCredentialEntity, { staffId }, { totpPendingCt: sealed });
    });
    const otpauthUri = generateURI({ issuer: ISSUER, label, secret, period: PERIOD_S });
    return { otpauthUri, qrCodeDataUrl: await toDataURL(otpauthUri) };
  }

  /** Activates the pending secret once a first code matches; returns the recovery codes (shown once). */
  async confirmEnrolment(staffId: string, code: string): Promise<string[]> {
    const row = await this.credential(staffId);
    if (!row?.totpPendingCt) throw new ConflictError('totp.no_pending_enrolment', 'start an enrolment first');
    const secret = await this.keys.decryptString(row.totpPendingCt, aad(staffId, 'totp_pending'));
    const step = await this.check(secret, code, null);
    if (step === null) throw new DomainError('totp.invalid_code', 'the code does not match', 400);
    const sealed = await this.keys.encrypt(SYSTEM_SCOPE, secret, aad(staffId, 'totp_secret'));
    const codes = Array.from({ length: RECOVERY_CODES }, () => newRecoveryCode());
    const now = this.clock.nowMs();
    await this.writes.transaction(async (m) => {
      await m.update(StaffCredentialEntity, { staffId }, { totpSecretCt: sealed, totpPendingCt: null, totpEnabledAt: now, totpLastStep: step });
      await m.delete(RecoveryCodeEntity, { staffId });
      await m.insert(
        RecoveryCodeEntity,
        codes.map((c) => ({ id: randomUUID(), staffId, codeHash: sha256Hex(normaliseRecovery(c)), createdAt: now, usedAt: null })),
      );
    });
    return codes;
  }

  /**
   * True when the code matches the active secret within ±1 step and is newer than the last one
   * accepted; the step is recorded with a conditional update, so two requests racing with the
   * same code cannot both pass (replay).
   */
  async verifyCode(staffId: string, code: string): Promise<boolean> {
    const row = await this.credential(staffId);
    if (!row?.totpSecretCt) return false;
    const secret = await this.keys.decryptString(row.totpSecretCt, aad(staffId, 'totp_secret'));
    const step = await this.check(secret, code, row.totpLastStep);
    if (step === null) return false;
    const res = await this.writes.run(() =>
      this.dataSource
        .getRepository(StaffCredentialEntity)
        .update(row.totpLastStep === null ? { staffId, totpLastStep: IsNull() } : { staffId, totpLastStep: LessThan(step) }, { totpLastStep: step }),
    );
    return (res.affected ?? 0) > 0;
  }

  /** Spends one unused recovery code; false when none matches. */
  async useRecoveryCode(staffId: string, code: string): Promise<boolean> {
    const res = await this.writes.run(() =>
      this.dataSource
        .getRepository(RecoveryCodeEntity)
        .update({ staffId, codeHash: sha256Hex(normaliseRecovery(code)), usedAt: IsNull() }, { usedAt: this.clock.nowMs() }),
    );
    return (res.affected ?? 0) > 0;
  }

  async remainingRecoveryCodes(staffId: string): Promise<number> {
    return this.dataSource.getRepository(RecoveryCodeEntity).countBy({ staffId, usedAt: IsNull() });
  }

  /** Removes the second factor (the user with a code, or an administrator's reset). */
  async remove(staffId: string): Promise<void> {
    await this.writes.transaction(async (m) => {
      await m.update(StaffCredentialEntity, { staffId }, { totpSecretCt: null, totpPendingCt: null, totpEnabledAt: null, totpLastStep: null });
      await m.delete(RecoveryCodeEntity, { staffId });
    });
  }

  private credential(staffId: string): Promise<StaffCredentialEntity | null> {
    return this.dataSource.getRepository(StaffCredentialEntity).findOne({ where: { staffId } });
  }

  private async ensureRow(m: EntityManager, staffId: string): Promise<void> {
    if (await m.findOne(StaffCredentialEntity, { where: { staffId } })) return;
    await m.insert(StaffCredentialEntity, {
      staffId,
      passwordHash: null,
      passwordSetAt: null,
      totpSecretCt: null,
      totpPendingCt: null,
      totpEnabledAt: null,
      totpLastStep: null,
    });
  }

  /** The matching time step, or null. Six digits only: anything else is refused before any HMAC. */
  private async check(secret: string, code: string, lastStep: number | null): Promise<number | null> {
    if (!/^\d{6}$/.test(code)) return null;
    const result = await verify({
      secret,
      token: code,
      period: PERIOD_S,
      epoch: Math.floor(this.clock.nowMs() / 1000),
      epochTolerance: TOLERANCE_S,
      ...(lastStep !== null ? { afterTimeStep: lastStep } : {}),
    });
    return result.valid && 'timeStep' in result ? result.timeStep : null;
  }
}

/** 64 random bits as four groups of four hex digits, easy to read out and type. */
function newRecoveryCode(): string {
  return (randomBytes(8).toString('hex').match(/.{4}/g) ?? []).join('-');
}

function normaliseRecovery(code: string): string {
  return code.toLowerCase().replace(/[\s-]/g, '');
}
