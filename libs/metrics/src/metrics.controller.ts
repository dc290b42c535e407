import { Controller, Get, Headers, Res } from '@nestjs/common';
import { ApiExcludeEndpoint } from '@nestjs/swagger';
import type { Response } from 'express';
import { Public } from '@acs/auth';
import { AppConfig } from '@acs/config';
import { DomainError } from '@acs/http';
import { AcsMetrics } from './acs-metrics.js';
import { METRICS_CHALLENGE, scrapeVerdict } from './scrape-auth.js';

/**
 * `GET /metrics` on the API port. Public to the staff guard (a scraper has no staff account, and
 * a staff token must not be what monitoring holds) but checked here against METRICS_TOKEN; without
 * one configured the route does not exist as far as a caller can tell. Left out of the OpenAPI
 * document: Prometheus reads it, not an API client, and README "Metrics" describes it.
 */
@Controller()
export class MetricsController {
  constructor(
    private readonly metrics: AcsMetrics,
    private readonly config: AppConfig,
  ) {}

  @Get('metrics')
  @Public()
  @ApiExcludeEndpoint()
  async scrape(@Headers('authorization') authorization: string | undefined, @Res({ passthrough: true }) res: Response): Promise<string> {
    const verdict = scrapeVerdict(authorization, this.config.METRICS_TOKEN, false);
    if (verdict === 'disabled') throw new DomainError('http.not_found', 'Cannot GET /metrics', 404);
    if (verdict === 'unauthenticated') {
      res.setHeader('WWW-Authenticate', METRICS_CHALLENGE);
      throw new DomainError('auth.unauthenticated', 'the metrics token is missing or wrong', 401);
    }
    const body = await this.metrics.scrape();
    res.setHeader('Content-Type', this.metrics.contentType);
    return body;
  }
}
