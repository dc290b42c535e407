import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { PrincipalView } from './auth.responses.js';
import { ApiProblems, iso, isoOrNull } from '@acs/http';
import type { ApiTokenEntity } from './api-token.entity.js';
import {
  AccountView,
  CreateStaffDto,
  CreatedStaffView,
  IssuedTokenView,
  IssueTokenDto,
  StaffView,
  TokenQueryDto,
  TokenView,
  staffView,
} from './dto/staff.dto.js';
import { CurrentPrincipal } from './principal.decorator.js';
import type { Principal } from './roles.js';
import { Allow, Audited, Authenticated } from './route-policy.js';
import { type AccountWithSignIn, StaffService } from './staff.service.js';
import { type IssuedToken, TokenService } from './token.service.js';
import { PasswordService } from './signin/password.service.js';
import { PasskeyService } from './signin/passkey.service.js';
import { SessionService } from './signin/session.service.js';
import { PasswordResetIssuedView, TotpStatusView } from './signin/sign-in.dto.js';
import { TotpService } from './signin/totp.service.js';

function accountView(a: AccountWithSignIn): AccountView {
  return { ...staffView(a), passwordSet: a.passwordSet, totp: a.totp, passkeys: a.passkeys };
}

function tokenView(t: ApiTokenEntity): TokenView {
  return {
    id: t.id,
    kind: t.kind,
    staffId: t.staffId,
    customerId: t.customerId,
    label: t.label,
    createdAt: iso(t.createdAt),
    expiresAt: iso(t.expiresAt),
    revokedAt: isoOrNull(t.revokedAt),
    lastUsedAt: isoOrNull(t.lastUsedAt),
  };
}

function issuedView(t: IssuedToken): IssuedTokenView {
  return { token: t.token, id: t.id, expiresAt: iso(t.expiresAt) };
}

@ApiTags('auth')
@ApiBearerAuth()
@ApiProblems()
@Controller('auth')
export class AuthController {
  @Get('me')
  @Authenticated()
  @ApiOperation({ summary: 'The principal behind the bearer token' })
  @ApiOkResponse({ type: PrincipalView })
  me(@CurrentPrincipal() principal: Principal): Principal {
    return principal;
  }
}

@ApiTags('staff')
@ApiBearerAuth()
@ApiProblems()
@Controller('staff')
export class StaffController {
  constructor(
    private readonly staff: StaffService,
    private readonly tokens: TokenService,
    private readonly passwords: PasswordService,
    private readonly totp: TotpService,
    private readonly sessions: SessionService,
    private readonly passkeys: PasskeyService,
  ) {}

  @Post(':staffId/password-reset')
  @Allow('admin')
  @Audited({ action: 'staff.password_reset_issue', targetType: 'staff', targetParam: 'staffId' })
  @ApiOperation({ summary: 'Issue a one-time password-reset token for the account (shown once); earlier unused ones stop working' })
  @ApiCreatedResponse({ type: PasswordResetIssuedView })
  async issueReset(@Param('staffId', ParseUUIDPipe) staffId: string): Promise<PasswordResetIssuedView> {
    const r = await this.passwords.issueReset(staffId);
    return { staffId, resetToken: r.token, expiresAt: iso(r.expiresAt) };
  }

  @Post(':staffId/totp/reset')
  @HttpCode(200)
  @Allow('admin')
  @Audited({ action: 'staff.totp_reset', targetType: 'staff', targetParam: 'staffId' })
  @ApiOperation({ summary: 'Remove the account’s second factors (TOTP, recovery codes and passkeys) and end its browser sessions (lost phone or key)' })
  @ApiOkResponse({ type: TotpStatusView })
  async resetTotp(@Param('staffId', ParseUUIDPipe) staffId: string): Promise<TotpStatusView> {
    await this.staff.get(staffId);
    await this.totp.remove(staffId);
    // A lost phone is often a lost laptop too: every second factor goes, the person sets one up again.
    await this.passkeys.removeAll(staffId);
    await this.sessions.revokeAllFor(staffId);
    return { staffId, enrolled: false };
  }

  @Post()
  @Allow('admin')
  @Audited({ action: 'staff.create', targetType: 'staff' })
  @ApiOperation({ summary: 'Create a staff account; the response holds its first token, or a one-time password-reset token (firstCredential), shown once' })
  @ApiCreatedResponse({ type: CreatedStaffView })
  async create(@Body() dto: CreateStaffDto): Promise<CreatedStaffView> {
    if (dto.firstCredential === 'password_reset') {
      const { staff, reset } = await this.staff.createForPassword(dto.username, dto.role);
      return { id: staff.id, staff: staffView(staff), passwordReset: { resetToken: reset.token, expiresAt: iso(reset.expiresAt) } };
    }
    const { staff, token } = await this.staff.create(dto.username, dto.role);
    return { id: staff.id, staff: staffView(staff), token: issuedView(token) };
  }

  @Get()
  @Allow('admin')
  @ApiOperation({ summary: 'Every person account, staff and customer administrators, with whether password and second factors are set up' })
  @ApiOkResponse({ type: [AccountView] })
  async list(): Promise<AccountView[]> {
    return (await this.staff.listWithSignIn()).map(accountView);
  }

  @Post(':staffId/enable')
  @HttpCode(200)
  @Allow('admin')
  @Audited({ action: 'staff.enable', targetType: 'staff', targetParam: 'staffId' })
  @ApiOperation({ summary: 'Enable a disabled account again; its earlier tokens and sessions stay revoked' })
  @ApiOkResponse({ type: StaffView })
  async enable(@Param('staffId', ParseUUIDPipe) staffId: string): Promise<StaffView> {
    return staffView(await this.staff.enable(staffId));
  }

  @Post(':staffId/disable')
  @HttpCode(200)
  @Allow('admin')
  @Audited({ action: 'staff.disable', targetType: 'staff', targetParam: 'staffId' })
  @ApiOkResponse({ type: StaffView })
  async disable(@Param('staffId', ParseUUIDPipe) staffId: string): Promise<StaffView> {
    return staffView(await this.staff.disable(staffId));
  }

  @Post(':staffId/tokens')
  @Allow('admin')
  @Audited({ action: 'token.issue', targetType: 'staff', targetParam: 'staffId' })
  @ApiOperation({ summary: 'Issue another token for a staff account (shown once)' })
  @ApiCreatedResponse({ type: IssuedTokenView })
  async issue(@Param('staffId', ParseUUIDPipe) staffId: string, @Body() dto: IssueTokenDto): Promise<IssuedTokenView> {
    return issuedView(await this.tokens.issueForStaff(staffId, dto));
  }
}

@ApiTags('auth')
@ApiBearerAuth()
@ApiProblems()
@Controller('tokens')
export class TokensController {
  constructor(private readonly tokens: TokenService) {}

  @Get()
  @Allow('admin')
  @ApiOkResponse({ type: [TokenView] })
  async list(@Query() q: TokenQueryDto): Promise<TokenView[]> {
    const where = { ...(q.staffId ? { staffId: q.staffId } : {}), ...(q.customerId ? { customerId: q.customerId } : {}) };
    return (await this.tokens.list(where)).map(tokenView);
  }

  @Delete(':tokenId')
  @HttpCode(204)
  @Allow('admin')
  @Audited({ action: 'token.revoke', targetType: 'token', targetParam: 'tokenId' })
  async revoke(@Param('tokenId', ParseUUIDPipe) tokenId: string): Promise<void> {
    await this.tokens.revoke(tokenId);
  }
}
