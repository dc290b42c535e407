import { Module } from '@nestjs/common';
import { APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { AppConfig } from '@acs/config';
import { AuthController, StaffController, TokensController } from './auth.controller.js';
import { AuthFailureLimiter } from './auth-failure-limiter.js';
import { AuthGuard } from './auth.guard.js';
import { LiveStreamLimit } from './live-stream-limit.interceptor.js';
import { RecentCredentials } from './recent-credentials.js';
import { StaffService } from './staff.service.js';
import { TokenService } from './token.service.js';
import { PasskeyController } from './signin/passkey.controller.js';
import { PasskeyService } from './signin/passkey.service.js';
import { PasswordHasher } from './signin/password-hasher.js';
import { PasswordResets } from './signin/password-resets.js';
import { PasswordService } from './signin/password.service.js';
import { SessionService } from './signin/session.service.js';
import { SignInController } from './signin/sign-in.controller.js';
import { AccountLockout, SignInService } from './signin/sign-in.service.js';
import { TotpService } from './signin/totp.service.js';
import { OidcController } from './oidc/oidc.controller.js';
import { OidcService } from './oidc/oidc.service.js';

@Module({
  controllers: [AuthController, StaffController, TokensController, SignInController, PasskeyController, OidcController],
  providers: [
    RecentCredentials,
    TokenService,
    StaffService,
    {
      provide: AuthFailureLimiter,
      inject: [AppConfig, getDataSourceToken()],
      useFactory: (c: AppConfig, dataSource: DataSource) =>
        c.databaseDriver === 'postgres'
          ? AuthFailureLimiter.shared(c.AUTH_FAILURE_LIMIT, c.AUTH_FAILURE_WINDOW_S, dataSource)
          : AuthFailureLimiter.inMemory(c.AUTH_FAILURE_LIMIT, c.AUTH_FAILURE_WINDOW_S),
    },
    {
      provide: AccountLockout,
      inject: [AppConfig, getDataSourceToken()],
      useFactory: (c: AppConfig, dataSource: DataSource) =>
        new AccountLockout(
          c.databaseDriver === 'postgres'
            ? AuthFailureLimiter.shared(c.SIGN_IN_ACCOUNT_FAILURE_LIMIT, c.SIGN_IN_LOCKOUT_S, dataSource, 'sign-in-fail')
            : AuthFailureLimiter.inMemory(c.SIGN_IN_ACCOUNT_FAILURE_LIMIT, c.SIGN_IN_LOCKOUT_S, 'sign-in-fail'),
        ),
    },
    PasswordHasher,
    PasswordResets,
    SessionService,
    PasswordService,
    TotpService,
    PasskeyService,
    SignInService,
    OidcService,
    { provide: APP_GUARD, useClass: AuthGuard },
    { provide: APP_INTERCEPTOR, useClass: LiveStreamLimit },
  ],
  exports: [TokenService, StaffService],
})
export class AuthModule {}

/** Services only, for the CLI: no controllers, no global guard. */
@Module({ providers: [TokenService, StaffService, PasswordResets], exports: [TokenService, StaffService] })
export class AuthCoreModule {}
