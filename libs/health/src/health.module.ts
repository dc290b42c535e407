import { Global, Module } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import { DegradedModeInterceptor } from './degraded-mode.js';
import { HealthController } from './health.controller.js';
import { ReadinessRegistry } from './readiness.registry.js';

@Global()
@Module({
  imports: [TerminusModule.forRoot({ logger: false })],
  controllers: [HealthController],
  providers: [ReadinessRegistry, { provide: APP_INTERCEPTOR, useClass: DegradedModeInterceptor }],
  exports: [ReadinessRegistry],
})
export class HealthModule {}
