import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { AppConfig } from '@acs/config';
import { AuthController, StaffController, TokensController } from './auth.controller.js';
import { AuthFailureLimiter } from './auth-failure-limiter.js';
import { AuthGuard } from './auth.guard.js';
import { StaffService } from './staff.service.js';
import { TokenService } from './token.service.js';

@Module({
  controllers: [AuthController, StaffController, TokensController],
  providers: [
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
    { provide: APP_GUARD, useClass: AuthGuard },
  ],
  exports: [TokenService, StaffService],
})
export class AuthModule {}

/** Services only, for the CLI: no controllers, no global guard. */
@Module({ providers: [TokenService, StaffService], exports: [TokenService, StaffService] })
export class AuthCoreModule {}
