import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Post, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiCookieAuth, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppConfig } from '@acs/config';
import { ApiProblems, DomainError, iso, NotFoundError } from '@acs/http';
import type { AuthenticatedRequest } from '../auth.guard.js';
import { accountIdOf, principalOfAccount } from '../roles.js';
import { Audited, DuringTotpEnrolment, OwnAccount, Public } from '../route-policy.js';
import { SecurityEventSink } from '../security-event.sink.js';
import { StaffAccountEntity } from '../staff-account.entity.js';
import { acceptedOrigins, relyingPartyId, type RelyingParty } from './passkey-rules.js';
import {
  PasskeyCreationOptionsView,
  PasskeyRegisteredView,
  PasskeyRegistrationDto,
  PasskeyRemovalDto,
  PasskeySignInDto,
  PasskeySignInOptionsView,
  PasskeySignInStartDto,
  PasskeyView,
} from './passkey.dto.js';
import type { StaffPasskeyEntity } from './passkey.entities.js';
import { PasskeyRefused, PasskeyService } from './passkey.service.js';
import { fromOwnOrigin, sessionCookieOf, setSessionCookie } from './session-cookie.js';
import { PasswordService } from './password.service.js';
import { SessionService } from './session.service.js';
import { SignedInView } from './sign-in.dto.js';
import { SignInRefused, SignInService } from './sign-in.service.js';

function passkeyView(p: StaffPasskeyEntity): PasskeyView {
  return {
    id: p.id,
    label: p.label,
    transports: JSON.parse(p.transports) as string[],
    createdAt: iso(p.createdAt),
    lastUsedAt: p.lastUsedAt === null ? null : iso(p.lastUsedAt),
  };
}

/** The person account (staff or customer administrator) behind the request; OwnAccount routes have one. */
function accountOf(req: AuthenticatedRequest): string {
  const id = accountIdOf(req.principal);
  if (id === undefined) throw new DomainError('auth.forbidden', 'only a person’s account can do this', 403);
  return id;
}

function staffSessionOf(req: AuthenticatedRequest): { staffId: string; session: NonNullable<AuthenticatedRequest['browserSession']> } {
  const staffId = accountOf(req);
  if (!req.browserSession) throw new DomainError('auth.no_session', 'passkeys are registered from a browser session', 400);
  return { staffId, session: req.browserSession };
}

/** Passkeys (WebAuthn) as a second factor: registration from the Security page, the sign-in's second step (docs/passkeys.md). */
@ApiTags('sign-in')
@ApiCookieAuth()
@ApiBearerAuth()
@ApiProblems()
@Controller('auth')
export class PasskeyController {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly config: AppConfig,
    private readonly passkeys: PasskeyService,
    private readonly signIns: SignInService,
    private readonly sessions: SessionService,
    private readonly sink: SecurityEventSink,
    private readonly passwords: PasswordService,
  ) {}

  @Get('passkeys')
  @OwnAccount()
  @DuringTotpEnrolment()
  @ApiOperation({ summary: 'The calling account’s passkeys (label, transports, last use; no key material)' })
  @ApiOkResponse({ type: [PasskeyView] })
  async list(@Req() req: AuthenticatedRequest): Promise<PasskeyView[]> {
    return (await this.passkeys.list(accountOf(req))).map(passkeyView);
  }

  @Post('passkeys/registration/options')
  @HttpCode(200)
  @OwnAccount()
  @DuringTotpEnrolment()
  @Audited({ action: 'auth.passkey_registration_start', targetType: 'staff' })
  @ApiOperation({ summary: 'Options for navigator.credentials.create(); the challenge is bound to this browser session' })
  @ApiOkResponse({ type: PasskeyCreationOptionsView })
  async registrationOptions(@Req() req: AuthenticatedRequest): Promise<PasskeyCreationOptionsView> {
    const { staffId, session } = staffSessionOf(req);
    req.auditTargetId = staffId;
    const username = (await this.dataSource.getRepository(StaffAccountEntity).findOneByOrFail({ id: staffId })).username;
    const options = await this.passkeys.registrationOptions(staffId, username, session.id, this.relyingParty(req));
    return { options: options as unknown as Record<string, unknown> };
  }

  @Post('passkeys/registration')
  @HttpCode(200)
  @OwnAccount()
  @DuringTotpEnrolment()
  @Audited({ action: 'auth.passkey_register', targetType: 'passkey' })
  @ApiOperation({ summary: 'Register the passkey the browser created; a session that had to enrol a second factor becomes active (rotated)' })
  @ApiOkResponse({ type: PasskeyRegisteredView })
  async register(
    @Body() dto: PasskeyRegistrationDto,
    @Req() req: AuthenticatedRequest,
    @Res({ passthrough: true }) res: Response,
  ): Promise<PasskeyRegisteredView> {
    const { staffId, session } = staffSessionOf(req);
    const passkey = await this.passkeys.register(staffId, session.id, dto.credential, dto.label.trim(), this.relyingParty(req));
    // A change of the account's second factors, like the TOTP confirmation: the session gets a new id.
    const issued = await this.sessions.create(staffId, 'active', session.id);
    setSessionCookie(req, res, issued.token);
    return { ...passkeyView(passkey), state: 'active', csrfToken: issued.csrfToken };
  }

  @Delete('passkeys/:passkeyId')
  @HttpCode(204)
  @OwnAccount()
  @Audited({ action: 'auth.passkey_remove', targetType: 'passkey', targetParam: 'passkeyId' })
  @ApiOperation({
    summary: 'Remove one of one’s own passkeys, confirmed with the current password (with the session cookie, its CSRF token is required)',
  })
  @ApiNoContentResponse({ description: 'Passkey removed' })
  async remove(@Req() req: AuthenticatedRequest, @Param('passkeyId', ParseUUIDPipe) passkeyId: string, @Body() dto: PasskeyRemovalDto): Promise<void> {
    const staffId = accountOf(req);
    // Like disabling TOTP (which takes a current code): a second factor is removed only by someone
    // who proves the first again, within the account's failure budget.
    const staff = await this.dataSource.getRepository(StaffAccountEntity).findOneOrFail({ where: { id: staffId } });
    await this.signIns.assertNotLocked(staff.username, staffId);
    try {
      await this.passwords.confirm(staffId, dto.password);
    } catch (err) {
      if (err instanceof DomainError && err.code === 'password.current_wrong') await this.signIns.countFailure(staff.username, staffId, req.id);
      throw err;
    }
    if (!(await this.passkeys.remove(staffId, passkeyId))) throw new NotFoundError('Passkey', passkeyId);
  }

  @Post('sign-in/passkey/options')
  @HttpCode(200)
  @Public()
  @Audited({ action: 'auth.passkey_sign_in_start', targetType: 'staff' })
  @ApiOperation({ summary: 'First step of a passkey sign-in: the password, then options for navigator.credentials.get() and a pending sign-in token' })
  @ApiOkResponse({ type: PasskeySignInOptionsView })
  async signInOptions(@Body() dto: PasskeySignInStartDto, @Req() req: AuthenticatedRequest): Promise<PasskeySignInOptionsView> {
    this.refuseCrossOrigin(req);
    let staff;
    try {
      staff = await this.signIns.passwordForPasskey({ username: dto.username, password: dto.password, address: this.addressOf(req), requestId: req.id });
    } catch (err) {
      if (err instanceof SignInRefused && err.staffId) req.auditTargetId = err.staffId;
      throw err;
    }
    req.auditTargetId = staff.id;
    const { pendingToken, options } = await this.passkeys.authenticationOptions(staff.id, this.relyingParty(req));
    return { pendingToken, options: options as unknown as Record<string, unknown> };
  }

  @Post('sign-in/passkey')
  @HttpCode(200)
  @Public()
  @Audited({ action: 'auth.passkey_sign_in', targetType: 'staff' })
  @ApiOperation({ summary: 'Second step: the passkey’s assertion for the pending sign-in; sets the session cookie' })
  @ApiOkResponse({ type: SignedInView })
  async signIn(@Body() dto: PasskeySignInDto, @Req() req: AuthenticatedRequest, @Res({ passthrough: true }) res: Response): Promise<SignedInView> {
    this.refuseCrossOrigin(req);
    const address = this.addressOf(req);
    let used;
    try {
      used = await this.passkeys.authenticate(dto.pendingToken, dto.credential, this.relyingParty(req));
    } catch (err) {
      if (err instanceof PasskeyRefused) {
        if (err.staffId) req.auditTargetId = err.staffId;
        await this.signIns.passkeyFailed(err.staffId, address, req.id);
        if (err.passkeyId) {
          await this.sink.authEvent({
            action: 'auth.passkey_failed',
            staffId: null,
            targetId: err.passkeyId,
            outcome: 'denied',
            requestId: req.id,
            details: { code: err.code, staff: err.staffId },
          });
        }
      }
      throw err;
    }
    req.auditTargetId = used.staffId;
    const outcome = await this.signIns.passkeySucceeded(used.staffId);
    await this.sink.authEvent({
      action: 'auth.passkey_used',
      staffId: used.staffId,
      targetId: used.passkeyId,
      outcome: 'success',
      requestId: req.id,
      details: { userVerified: used.userVerified },
    });
    const previous = sessionCookieOf(req);
    const replacing = previous ? ((await this.sessions.authenticate(previous))?.id ?? undefined) : undefined;
    const issued = await this.sessions.create(used.staffId, outcome.state, replacing);
    setSessionCookie(req, res, issued.token);
    req.principal = principalOfAccount(outcome.staff, issued.session.id, issued.session.id);
    return { staffId: used.staffId, state: outcome.state, csrfToken: issued.csrfToken, expiresAt: iso(issued.session.expiresAt) };
  }

  private relyingParty(req: AuthenticatedRequest): RelyingParty {
    const id = relyingPartyId(this.config.HTTP_HOST, this.config.WEBAUTHN_RP_ID);
    return { id, name: this.config.WEBAUTHN_RP_NAME, origins: acceptedOrigins(this.config.WEBAUTHN_ORIGINS, id, { protocol: req.protocol, host: req.host }) };
  }

  private addressOf(req: AuthenticatedRequest): string {
    return req.ip ?? req.socket.remoteAddress ?? 'unknown';
  }

  private refuseCrossOrigin(req: AuthenticatedRequest): void {
    if (!fromOwnOrigin(req)) throw new DomainError('auth.cross_origin', 'this form may only be posted from the server’s own pages', 403);
  }
}
