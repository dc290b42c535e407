import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { DegradedView, HealthView } from './health.responses.js';
import { HealthCheck, type HealthCheckResult, HealthCheckService, HealthIndicatorService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { Public } from '@acs/auth';
import { AppConfig } from '@acs/config';
import { DatabaseHealth } from '@acs/database';
import { ApiProblems, DomainError } from '@acs/http';
import { ReadinessRegistry } from './readiness.registry.js';

const PROBE_TIMEOUT_MS = 2000;

@ApiTags('health')
@ApiProblems()
@Controller()
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly db: TypeOrmHealthIndicator,
    private readonly indicators: HealthIndicatorService,
    private readonly registry: ReadinessRegistry,
    private readonly database: DatabaseHealth,
    private readonly config: AppConfig,
  ) {}

  @Get('health')
  @Public()
  // Terminus's own OpenAPI schema is left out: it is added only where require() can load
  // @nestjs/swagger (under Jest, not in the ESM server), and a failed readiness is our problem+json.
  @HealthCheck({ noCache: true, swaggerDocumentation: false })
  @ApiOperation({ summary: 'Liveness: the process is up and serving' })
  @ApiOkResponse({ type: HealthView })
  live() {
    return this.health.check([]);
  }

  @Get('health/degraded')
  @Public()
  // Public like /ready: it says only whether the database is reachable. The console shows it even
  // when its session cannot be checked (sessions live in the database).
  @ApiOperation({ summary: 'Degraded mode: whether the database is unreachable, since when, and the window' })
  @ApiOkResponse({ type: DegradedView })
  degraded(): DegradedView {
    return { ...this.database.view(), windowSeconds: this.config.DEGRADED_WINDOW_S };
  }

  @Get('ready')
  @Public()
  @HealthCheck({ noCache: true, swaggerDocumentation: false })
  @ApiOperation({ summary: 'Readiness: database, broker and readers' })
  @ApiOkResponse({ type: HealthView })
  async ready() {
    try {
      return await this.checkAll();
    } catch (err) {
      // Terminus answers a failed check with a 503 whose body our problem filter would turn into a
      // bare `internal`: say which checks failed and why (probe messages carry ids and codes only).
      if (!(err instanceof ServiceUnavailableException)) throw err;
      const result = err.getResponse() as HealthCheckResult;
      const failed = Object.entries(result.error ?? {}).map(([check, v]) => ({ check, reason: String((v as { message?: unknown }).message ?? 'down') }));
      throw new DomainError('health.not_ready', `not ready: ${failed.map((f) => `${f.check} (${f.reason})`).join('; ')}`, 503, {
        failed,
        checks: result.details,
      });
    }
  }

  private checkAll() {
    return this.health.check([
      () => this.db.pingCheck('database').withTimeout(PROBE_TIMEOUT_MS),
      // Always up: it says whether the badge-ins are in degraded mode and for how long, next to the
      // failed database check (a load balancer still sees 503 while the database is gone).
      () => this.indicators.check('degraded_mode').up({ ...this.database.view(), windowSeconds: this.config.DEGRADED_WINDOW_S }),
      ...this.registry.entries().map(
        ([name, probe]) =>
          () =>
            this.indicators.check(name).attempt(probe).withTimeout(PROBE_TIMEOUT_MS),
      ),
    ]);
  }
}
