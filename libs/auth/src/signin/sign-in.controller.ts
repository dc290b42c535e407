import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Post, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiCookieAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { ApiProblems, DomainError, iso, NotFoundError } from '@acs/http';
import type { AuthenticatedRequest } from '../auth.guard.js';
import { accountIdOf, principalOfAccount, type Principal } from '../roles.js';
import { Audited, DuringTotpEnrolment, OwnAccount, Public } from '../route-policy.js';
import { StaffAccountEntity } from '../staff-account.entity.js';
import { PasswordService } from './password.service.js';
import { clearSessionCookie, fromOwnOrigin, sessionCookieOf, setSessionCookie } from './session-cookie.js';
import { csrfTokenOf, SessionService } from './session.service.js';
import type { BrowserSessionEntity } from './sign-in.entities.js';
import {
  ChangePasswordDto,
  CompleteResetDto,
  CurrentSessionView,
  PasswordChangedView,
  SessionView,
  SignedInView,
  SignedOutView,
  SignInDto,
  TotpCodeDto,
  TotpEnrolledView,
  TotpEnrolmentView,
  TotpStatusView,
} from './sign-in.dto.js';
import { SignInRefused, SignInService } from './sign-in.service.js';
import { TotpService } from './totp.service.js';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

function sessionView(s: BrowserSessionEntity, currentId: string | undefined): SessionView {
  return { id: s.id, state: s.state, createdAt: iso(s.createdAt), lastSeenAt: iso(s.lastSeenAt), expiresAt: iso(s.expiresAt), current: s.id === currentId };
}

function refuseCrossOrigin(req: AuthenticatedRequest): void {
  if (!fromOwnOrigin(req)) throw new DomainError('auth.cross_origin', 'this form may only be posted from the server’s own pages', 403);
}

/** The person account (staff or customer administrator) behind the request; OwnAccount routes have one. */
function staffOf(p: Principal | undefined): string {
  const id = accountIdOf(p);
  if (id === undefined) throw new DomainError('auth.forbidden', 'only a person’s account can do this', 403);
  return id;
}

/** Sign-in for people: password, second factor and browser sessions (docs: README "Signing in"). */
@ApiTags('sign-in')
@ApiCookieAuth()
@ApiBearerAuth()
@ApiProblems()
@Controller('auth')
export class SignInController {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly signIns: SignInService,
    private readonly sessions: SessionService,
    private readonly passwords: PasswordService,
    private readonly totp: TotpService,
  ) {}

  @Post('sign-in')
  @HttpCode(200)
  @Public()
  @Audited({ action: 'auth.sign_in', targetType: 'staff' })
  @ApiOperation({ summary: 'Sign in with username and password (and TOTP or recovery code when enrolled); sets the session cookie' })
  @ApiOkResponse({ type: SignedInView })
  async signIn(@Body() dto: SignInDto, @Req() req: AuthenticatedRequest, @Res({ passthrough: true }) res: Response): Promise<SignedInView> {
    refuseCrossOrigin(req);
    let outcome;
    try {
      outcome = await this.signIns.signIn({
        username: dto.username,
        password: dto.password,
        totpCode: dto.totpCode,
        recoveryCode: dto.recoveryCode,
        address: req.ip ?? req.socket.remoteAddress ?? 'unknown',
        requestId: req.id,
      });
    } catch (err) {
      if (err instanceof SignInRefused && err.staffId) req.auditTargetId = err.staffId;
      throw err;
    }
    // Rotation: whatever session the browser came with ends here; the new one has a fresh id.
    const previous = sessionCookieOf(req);
    const replacing = previous ? ((await this.sessions.authenticate(previous))?.id ?? undefined) : undefined;
    const issued = await this.sessions.create(outcome.staff.id, outcome.state, replacing);
    setSessionCookie(req, res, issued.token);
    req.principal = principalOfAccount(outcome.staff, issued.session.id, issued.session.id);
    req.auditTargetId = outcome.staff.id;
    return { staffId: outcome.staff.id, state: outcome.state, csrfToken: issued.csrfToken, expiresAt: iso(issued.session.expiresAt) };
  }

  @Post('sign-out')
  @HttpCode(200)
  @OwnAccount()
  @DuringTotpEnrolment()
  @Audited({ action: 'auth.sign_out', targetType: 'staff' })
  @ApiOperation({ summary: 'End this browser session and clear its cookie' })
  @ApiOkResponse({ type: SignedOutView })
  async signOut(@Req() req: AuthenticatedRequest, @Res({ passthrough: true }) res: Response): Promise<SignedOutView> {
    const staffId = staffOf(req.principal);
    req.auditTargetId = staffId;
    const session = this.requireSession(req);
    const revoked = (await this.sessions.revoke(staffId, session.id)) ? 1 : 0;
    clearSessionCookie(req, res);
    return { revoked };
  }

  @Post('sign-out-everywhere')
  @HttpCode(200)
  @OwnAccount()
  @DuringTotpEnrolment()
  @Audited({ action: 'auth.sign_out_everywhere', targetType: 'staff' })
  @ApiOperation({ summary: 'End every browser session of the calling account (bearer tokens stay)' })
  @ApiOkResponse({ type: SignedOutView })
  async signOutEverywhere(@Req() req: AuthenticatedRequest, @Res({ passthrough: true }) res: Response): Promise<SignedOutView> {
    const staffId = staffOf(req.principal);
    req.auditTargetId = staffId;
    const revoked = await this.sessions.revokeAllFor(staffId);
    if (req.browserSession) clearSessionCookie(req, res);
    return { revoked };
  }

  @Get('session')
  @OwnAccount()
  @DuringTotpEnrolment()
  @ApiOperation({ summary: 'The browser session this request came with, and its CSRF token' })
  @ApiOkResponse({ type: CurrentSessionView })
  current(@Req() req: AuthenticatedRequest): CurrentSessionView {
    const session = this.requireSession(req);
    return { ...sessionView(session, session.id), csrfToken: csrfTokenOf(sessionCookieOf(req)!) };
  }

  @Get('sessions')
  @OwnAccount()
  @ApiOperation({ summary: 'The calling account’s live browser sessions' })
  @ApiOkResponse({ type: [SessionView] })
  async list(@Req() req: AuthenticatedRequest): Promise<SessionView[]> {
    return (await this.sessions.listFor(staffOf(req.principal))).map((s) => sessionView(s, req.browserSession?.id));
  }

  @Delete('sessions/:sessionId')
  @HttpCode(204)
  @OwnAccount()
  @Audited({ action: 'auth.session_revoke', targetType: 'session', targetParam: 'sessionId' })
  @ApiNoContentResponse({ description: 'Session ended' })
  async revoke(@Req() req: AuthenticatedRequest, @Param('sessionId', ParseUUIDPipe) sessionId: string): Promise<void> {
    if (!(await this.sessions.revoke(staffOf(req.principal), sessionId))) throw new NotFoundError('Session', sessionId);
  }

  @Post('password')
  @HttpCode(200)
  @OwnAccount()
  @DuringTotpEnrolment()
  @Audited({ action: 'auth.password_change', targetType: 'staff' })
  @ApiOperation({ summary: 'Change one’s own password (the current one is required); other sessions end, this one is rotated' })
  @ApiOkResponse({ type: PasswordChangedView })
  async changePassword(
    @Body() dto: ChangePasswordDto,
    @Req() req: AuthenticatedRequest,
    @Res({ passthrough: true }) res: Response,
  ): Promise<PasswordChangedView> {
    const staffId = staffOf(req.principal);
    req.auditTargetId = staffId;
    const current = req.browserSession;
    const before = (await this.sessions.listFor(staffId)).length;
    const username = await this.usernameOf(staffId);
    await this.signIns.assertNotLocked(username, staffId);
    try {
      await this.passwords.change(staffId, dto.currentPassword, dto.newPassword, current?.id);
    } catch (err) {
      if (err instanceof DomainError && err.code === 'password.current_wrong') await this.signIns.countFailure(username, staffId, req.id);
      throw err;
    }
    if (current) await this.rotate(req, res, current);
    return { staffId, revokedSessions: Math.max(0, before - (current ? 1 : 0)) };
  }

  @Post('password-reset')
  @HttpCode(200)
  @Public()
  @Audited({ action: 'auth.password_reset', targetType: 'staff' })
  @ApiOperation({ summary: 'Set a new password with the one-time token an administrator issued; the account’s sessions end' })
  @ApiOkResponse({ type: PasswordChangedView })
  async completeReset(@Body() dto: CompleteResetDto, @Req() req: AuthenticatedRequest): Promise<PasswordChangedView> {
    refuseCrossOrigin(req);
    const staffId = await this.passwords.completeReset(dto.token, dto.newPassword);
    req.auditTargetId = staffId;
    return { staffId, revokedSessions: 0 };
  }

  @Get('totp')
  @OwnAccount()
  @DuringTotpEnrolment()
  @ApiOkResponse({ type: TotpStatusView })
  async totpStatus(@Req() req: AuthenticatedRequest): Promise<TotpStatusView> {
    const staffId = staffOf(req.principal);
    return { staffId, enrolled: await this.totp.enrolled(staffId) };
  }

  @Post('totp/enrolment')
  @OwnAccount()
  @DuringTotpEnrolment()
  @Audited({ action: 'auth.totp_enrolment_start', targetType: 'staff' })
  @ApiOperation({ summary: 'Generate a TOTP secret (shown once as otpauth URI and QR code); active after confirmation' })
  @ApiCreatedResponse({ type: TotpEnrolmentView })
  async startEnrolment(@Req() req: AuthenticatedRequest): Promise<TotpEnrolmentView> {
    const staffId = staffOf(req.principal);
    req.auditTargetId = staffId;
    return this.totp.startEnrolment(staffId, await this.usernameOf(staffId));
  }

  @Post('totp/enrolment/confirm')
  @HttpCode(200)
  @OwnAccount()
  @DuringTotpEnrolment()
  @Audited({ action: 'auth.totp_enrol', targetType: 'staff' })
  @ApiOperation({ summary: 'Confirm the enrolment with a first code; returns the recovery codes (shown once) and rotates the session' })
  @ApiOkResponse({ type: TotpEnrolledView })
  async confirmEnrolment(@Body() dto: TotpCodeDto, @Req() req: AuthenticatedRequest, @Res({ passthrough: true }) res: Response): Promise<TotpEnrolledView> {
    const staffId = staffOf(req.principal);
    req.auditTargetId = staffId;
    if (dto.code === undefined) throw new DomainError('totp.invalid_code', 'send the six-digit code', 400);
    const username = await this.usernameOf(staffId);
    await this.signIns.assertNotLocked(username, staffId);
    let recoveryCodes: string[];
    try {
      recoveryCodes = await this.totp.confirmEnrolment(staffId, dto.code);
    } catch (err) {
      if (err instanceof DomainError && err.code === 'totp.invalid_code') await this.signIns.countFailure(username, staffId, req.id);
      throw err;
    }
    // A privilege change: the session leaves the enrolment-only state under a new id.
    const session = req.browserSession;
    const csrfToken = session ? await this.rotate(req, res, session, 'active') : null;
    return { recoveryCodes, state: session ? 'active' : null, csrfToken };
  }

  @Post('totp/disable')
  @HttpCode(200)
  @OwnAccount()
  @Audited({ action: 'auth.totp_disable', targetType: 'staff' })
  @ApiOperation({ summary: 'Remove one’s own second factor, proven with a current code or a recovery code' })
  @ApiOkResponse({ type: TotpStatusView })
  async disable(@Body() dto: TotpCodeDto, @Req() req: AuthenticatedRequest): Promise<TotpStatusView> {
    const staffId = staffOf(req.principal);
    req.auditTargetId = staffId;
    const username = await this.usernameOf(staffId);
    await this.signIns.assertNotLocked(username, staffId);
    const ok =
      dto.code !== undefined
        ? await this.totp.verifyCode(staffId, dto.code)
        : dto.recoveryCode !== undefined && (await this.totp.useRecoveryCode(staffId, dto.recoveryCode));
    if (!ok) {
      await this.signIns.countFailure(username, staffId, req.id);
      throw new DomainError('totp.invalid_code', 'the code is not valid or was already used', 400);
    }
    await this.totp.remove(staffId);
    return { staffId, enrolled: false };
  }

  private async usernameOf(staffId: string): Promise<string> {
    return (await this.dataSource.getRepository(StaffAccountEntity).findOneByOrFail({ id: staffId })).username;
  }

  private requireSession(req: AuthenticatedRequest): BrowserSessionEntity {
    if (!req.browserSession) throw new DomainError('auth.no_session', 'this request did not come with a browser session', 400);
    return req.browserSession;
  }

  /** Replaces the session with a new one (new cookie, new CSRF token); returns the CSRF token. */
  private async rotate(req: AuthenticatedRequest, res: Response, session: BrowserSessionEntity, state = session.state): Promise<string> {
    const issued = await this.sessions.create(session.staffId, state, session.id);
    setSessionCookie(req, res, issued.token);
    return issued.csrfToken;
  }
}
