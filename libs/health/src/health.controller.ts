import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { HealthView } from './health.responses.js';
import { HealthCheck, type HealthCheckResult, HealthCheckService, HealthIndicatorService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { Public } from '@acs/auth';
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
      ...this.registry.entries().map(
        ([name, probe]) =>
          () =>
            this.indicators.check(name).attempt(probe).withTimeout(PROBE_TIMEOUT_MS),
      ),
    ]);
  }
}
