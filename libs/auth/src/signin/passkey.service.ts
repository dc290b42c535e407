import { randomBytes, randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type AuthenticatorTransport,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { DataSource, IsNull, LessThan, type EntityManager } from 'typeorm';
import { Clock } from '@acs/clock';
import { hashToken, newToken } from '@acs/crypto';
import { readRows, WriteQueue } from '@acs/database';
import { ConflictError, DomainError } from '@acs/http';
import {
  challengeRefusal,
  clientDataRefusal,
  counterRefusal,
  credentialJson,
  knownTransports,
  type PasskeyRefusal,
  type RelyingParty,
} from './passkey-rules.js';
import { PasskeyChallengeEntity, StaffPasskeyEntity, type PasskeyPurpose } from './passkey.entities.js';

// §15.1 (Level 3) recommends 300 000 to 600 000 ms for a ceremony; the challenge lives as long.
const CEREMONY_MS = 300_000;
// ES256 first (every platform authenticator), then RS256 (Windows Hello) and EdDSA (§5.8.5 COSEAlgorithmIdentifier).
const ALGORITHMS = [-7, -257, -8];

/**
 * User verification policy (§5.8.6 UserVerificationRequirement, checked in §7.1 and §7.2): we ask
 * for it (`preferred`) but do not require the UV flag; user presence (the UP flag) is always
 * required. Here the passkey is the second factor after the password (something you know), so
 * possession of the authenticator is what it has to prove; requiring UV would shut out security
 * keys without a PIN. Whether UV happened is recorded with each use.
 */
const USER_VERIFICATION = 'preferred' as const;

const REFUSAL_TEXT: Record<PasskeyRefusal, string> = {
  'passkey.challenge_missing': 'there is no passkey request under way here (never started, already answered or replaced); start again',
  'passkey.challenge_expired': 'the passkey request has expired; start again',
  'passkey.challenge_mismatch': 'the passkey answered another request than this one',
  'passkey.wrong_ceremony': 'the passkey response is for the other ceremony (registration instead of sign-in or the reverse)',
  'passkey.origin_mismatch': 'the passkey was used on a page of another origin than this server’s',
  'passkey.unknown_credential': 'this passkey is not registered to the account',
  'passkey.counter_regression': 'the passkey’s signature counter went backwards: the authenticator may have been cloned',
  'passkey.invalid_response': 'the passkey response is malformed or its signature or attestation does not verify',
};

/** A refused ceremony; the staff and passkey ids (when known) let the caller audit it. */
export class PasskeyRefused extends DomainError {
  constructor(
    readonly refusal: PasskeyRefusal,
    status: number,
    readonly staffId: string | null,
    readonly passkeyId: string | null = null,
  ) {
    super(refusal, REFUSAL_TEXT[refusal], status);
  }
}

export interface PasskeySignIn {
  staffId: string;
  passkeyId: string;
  userVerified: boolean;
}

/** Passkeys as a second factor: the WebAuthn ceremonies with @simplewebauthn/server, credentials and challenges in the database. */
@Injectable()
export class PasskeyService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly writes: WriteQueue,
    private readonly clock: Clock,
  ) {}

  list(staffId: string): Promise<StaffPasskeyEntity[]> {
    return this.dataSource.getRepository(StaffPasskeyEntity).find({ where: { staffId }, order: { createdAt: 'ASC' } });
  }

  async any(staffId: string): Promise<boolean> {
    // A prepared read: every sign-in asks (readRows).
    return (await readRows(this.dataSource, 'SELECT 1 AS one FROM staff_passkey WHERE staff_id = ? LIMIT 1', [staffId])).length > 0;
  }

  /** Options for navigator.credentials.create(); the challenge is bound to this browser session. */
  async registrationOptions(staffId: string, username: string, sessionId: string, rp: RelyingParty): Promise<PublicKeyCredentialCreationOptionsJSON> {
    const existing = await this.list(staffId);
    const options = await generateRegistrationOptions({
      rpName: rp.name,
      rpID: rp.id,
      userName: username,
      userDisplayName: username,
      // The user handle (§14.6.1: no personal data in it): the account's random UUID.
      userID: new TextEncoder().encode(staffId),
      // Bytes, not a string: a string would be taken as UTF-8 text and encoded again.
      challenge: new Uint8Array(randomBytes(32)),
      timeout: CEREMONY_MS,
      attestationType: 'none',
      excludeCredentials: existing.map((p) => ({ id: p.credentialId, transports: JSON.parse(p.transports) as AuthenticatorTransport[] })),
      authenticatorSelection: { residentKey: 'preferred', userVerification: USER_VERIFICATION },
      supportedAlgorithmIDs: ALGORITHMS,
    });
    await this.issue(staffId, 'registration', options.challenge, { sessionId });
    return options;
  }

  /** Verifies the attestation against the session's challenge (spent whatever the outcome) and stores the passkey. */
  async register(staffId: string, sessionId: string, body: unknown, label: string, rp: RelyingParty): Promise<StaffPasskeyEntity> {
    const row = await this.dataSource
      .getRepository(PasskeyChallengeEntity)
      .findOne({ where: { staffId, sessionId, purpose: 'registration' }, order: { createdAt: 'DESC' } });
    await this.spend(row, staffId, 400);
    const credential = credentialJson(body, 'registration');
    if (!credential) throw new PasskeyRefused('passkey.invalid_response', 400, staffId);
    const refusal = clientDataRefusal(credential.response.clientDataJSON as string, {
      type: 'webauthn.create',
      challenge: row!.challenge,
      origins: rp.origins,
    });
    if (refusal) throw new PasskeyRefused(refusal, 400, staffId);
    let info;
    try {
      const verified = await verifyRegistrationResponse({
        response: credential as unknown as RegistrationResponseJSON,
        expectedChallenge: row!.challenge,
        expectedOrigin: rp.origins,
        expectedRPID: rp.id,
        requireUserPresence: true,
        requireUserVerification: false,
        supportedAlgorithmIDs: ALGORITHMS,
      });
      info = verified.verified ? verified.registrationInfo : null;
    } catch {
      info = null;
    }
    if (!info) throw new PasskeyRefused('passkey.invalid_response', 400, staffId);
    const passkey: StaffPasskeyEntity = {
      id: randomUUID(),
      staffId,
      credentialId: info.credential.id,
      publicKey: Buffer.from(info.credential.publicKey).toString('base64url'),
      counter: info.credential.counter,
      transports: JSON.stringify(knownTransports(credential.response.transports)),
      label,
      createdAt: this.clock.nowMs(),
      lastUsedAt: null,
    };
    await this.writes.transaction(async (m) => {
      if (await m.findOne(StaffPasskeyEntity, { where: { credentialId: passkey.credentialId } })) {
        throw new ConflictError('passkey.already_registered', 'this passkey is already registered');
      }
      await m.insert(StaffPasskeyEntity, passkey);
    });
    return passkey;
  }

  /**
   * Options for navigator.credentials.get() after the right password, and the pending sign-in
   * token the browser returns with the assertion (only its hash is stored): the challenge is
   * bound to this password check and to this account's passkeys.
   */
  async authenticationOptions(staffId: string, rp: RelyingParty): Promise<{ pendingToken: string; options: PublicKeyCredentialRequestOptionsJSON }> {
    const passkeys = await this.list(staffId);
    const options = await generateAuthenticationOptions({
      rpID: rp.id,
      challenge: new Uint8Array(randomBytes(32)),
      timeout: CEREMONY_MS,
      userVerification: USER_VERIFICATION,
      allowCredentials: passkeys.map((p) => ({ id: p.credentialId, transports: JSON.parse(p.transports) as AuthenticatorTransport[] })),
    });
    const pendingToken = newToken('acsp');
    await this.issue(staffId, 'authentication', options.challenge, { tokenHash: hashToken(pendingToken) });
    return { pendingToken, options };
  }

  /** Verifies an assertion against the pending sign-in's challenge (spent whatever the outcome); refusals are 401. */
  async authenticate(pendingToken: string, body: unknown, rp: RelyingParty): Promise<PasskeySignIn> {
    const row = await this.dataSource
      .getRepository(PasskeyChallengeEntity)
      .findOne({ where: { tokenHash: hashToken(pendingToken), purpose: 'authentication' } });
    await this.spend(row, row?.staffId ?? null, 401);
    const staffId = row!.staffId;
    const credential = credentialJson(body, 'authentication');
    if (!credential) throw new PasskeyRefused('passkey.invalid_response', 401, staffId);
    const passkey = await this.dataSource.getRepository(StaffPasskeyEntity).findOne({ where: { staffId, credentialId: credential.id } });
    if (!passkey) throw new PasskeyRefused('passkey.unknown_credential', 401, staffId);
    const refused = (r: PasskeyRefusal) => new PasskeyRefused(r, 401, staffId, passkey.id);
    const refusal = clientDataRefusal(credential.response.clientDataJSON as string, { type: 'webauthn.get', challenge: row!.challenge, origins: rp.origins });
    if (refusal) throw refused(refusal);
    let info;
    try {
      const verified = await verifyAuthenticationResponse({
        response: credential as unknown as AuthenticationResponseJSON,
        expectedChallenge: row!.challenge,
        expectedOrigin: rp.origins,
        expectedRPID: rp.id,
        // The stored counter is judged below by counterRefusal, so the refusal has its own code;
        // with 0 here the library's own (identical) comparison never fires first.
        credential: { id: passkey.credentialId, publicKey: Buffer.from(passkey.publicKey, 'base64url'), counter: 0 },
        requireUserVerification: false,
      });
      info = verified.verified ? verified.authenticationInfo : null;
    } catch {
      info = null;
    }
    if (!info) throw refused('passkey.invalid_response');
    const counter = counterRefusal(passkey.counter, info.newCounter);
    if (counter) throw refused(counter);
    // Conditional on the counter read above: of two assertions racing with the same count, one wins.
    const res = await this.writes.run(() =>
      this.dataSource
        .getRepository(StaffPasskeyEntity)
        .update({ id: passkey.id, counter: passkey.counter }, { counter: info.newCounter, lastUsedAt: this.clock.nowMs() }),
    );
    if ((res.affected ?? 0) === 0) throw refused('passkey.counter_regression');
    return { staffId, passkeyId: passkey.id, userVerified: info.userVerified };
  }

  /** Removes every passkey of the account (an administrator's second-factor reset); how many there were. */
  async removeAll(staffId: string): Promise<number> {
    const res = await this.writes.run(() => this.dataSource.getRepository(StaffPasskeyEntity).delete({ staffId }));
    return res.affected ?? 0;
  }

  /** Removes one of the account's passkeys; false when it has no such passkey. */
  async remove(staffId: string, passkeyId: string): Promise<boolean> {
    const res = await this.writes.run(() => this.dataSource.getRepository(StaffPasskeyEntity).delete({ id: passkeyId, staffId }));
    return (res.affected ?? 0) > 0;
  }

  /** Stores a new challenge; the account's spent and expired ones, and the session's earlier registration, go. */
  private async issue(staffId: string, purpose: PasskeyPurpose, challenge: string, bind: { sessionId?: string; tokenHash?: string }): Promise<void> {
    const now = this.clock.nowMs();
    await this.writes.transaction(async (m: EntityManager) => {
      await m.delete(PasskeyChallengeEntity, { staffId, expiresAt: LessThan(now) });
      await m.createQueryBuilder().delete().from(PasskeyChallengeEntity).where('staff_id = :staffId AND used_at IS NOT NULL', { staffId }).execute();
      if (bind.sessionId) await m.delete(PasskeyChallengeEntity, { staffId, sessionId: bind.sessionId, purpose });
      await m.insert(PasskeyChallengeEntity, {
        id: randomUUID(),
        staffId,
        purpose,
        sessionId: bind.sessionId ?? null,
        tokenHash: bind.tokenHash ?? null,
        challenge,
        createdAt: now,
        expiresAt: now + CEREMONY_MS,
        usedAt: null,
      });
    });
  }

  /** Checks the challenge and marks it used before anything else is looked at, so no response can be tried twice against it. */
  private async spend(row: PasskeyChallengeEntity | null, staffId: string | null, status: number): Promise<void> {
    const now = this.clock.nowMs();
    const refusal = challengeRefusal(row, now);
    if (refusal) throw new PasskeyRefused(refusal, status, staffId);
    const res = await this.writes.run(() => this.dataSource.getRepository(PasskeyChallengeEntity).update({ id: row!.id, usedAt: IsNull() }, { usedAt: now }));
    if ((res.affected ?? 0) === 0) throw new PasskeyRefused('passkey.challenge_missing', status, staffId);
  }
}
