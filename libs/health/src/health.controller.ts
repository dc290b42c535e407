import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, HealthIndicatorService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { Public } from '@acs/auth';
import { ReadinessRegistry } from './readiness.registry.js';

const PROBE_TIMEOUT_MS = 2000;

@ApiTags('health')
@Controller()
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly db: TypeOrmHealthIndicator,
    private readonly indicators: HealthIndicatorService,
    private readonly registry: ReadinessRegistry,
  ) {}

  @Get('health')
  @Public()
  @HealthCheck()
  @ApiOperation({ summary: 'Liveness: the process is up and serving' })
  live() {
    return this.health.check([]);
  }

  @Get('ready')
  @Public()
  @HealthCheck()
  @ApiOperation({ summary: 'Readiness: database, broker and readers' })
  ready() {
    return this.health.check([
      () => this.db.pingCheck('database').withTimeout(PROBE_TIMEOUT_MS),
      ...this.registry.entries().map(
        ([name, probe]) =>
          () =>
            this.indicators.check(name).attempt(probe).withTimeout(PROBE_TIMEOUT_MS),
      ),
    ]);
  }
}
