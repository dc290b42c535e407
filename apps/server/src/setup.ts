import type { INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { SwaggerModule } from '@nestjs/swagger';
import helmet from 'helmet';
import { AppLogger } from '@acs/logging';
import { AcsMetrics, httpMetrics } from '@acs/metrics';
import type { AppConfig } from '@acs/config';
import { assignRequestId, bodyDepthLimit, createValidationPipe, noStoreByDefault, ProblemDetailsFilter, yieldToDoors } from '@acs/http';
import { serveConsole } from './console.js';
import { openApiDocument } from './openapi.js';

/**
 * Everything about the HTTP surface that is not a module: shared by main.ts and the
 * end-to-end tests so they exercise the same server.
 */
export function configureApp(app: INestApplication, config: AppConfig): INestApplication {
  const express = app as NestExpressApplication;
  express.useLogger(app.get(AppLogger));
  // req.ip is the socket's peer unless it is one of the configured proxies, and then the
  // nearest X-Forwarded-For hop not itself a trusted proxy (proxy-addr): a spoofed header from
  // anywhere else changes nothing.
  express.set('trust proxy', config.trustedProxies);
  // First, so every answer counts, refusals included.
  express.use(httpMetrics(app.get(AcsMetrics)));
  // Before any of the request's own work, and after the metrics so its wait is in its duration.
  express.use(yieldToDoors());
  express.use(assignRequestId());
  express.use(noStoreByDefault(['/console', '/docs']));
  express.useBodyParser('json', { limit: config.HTTP_BODY_LIMIT });
  express.use(bodyDepthLimit());
  express.use(
    helmet({
      contentSecurityPolicy: {
        // Swagger UI at /docs needs inline styles; scripts stay same-origin. No upgrade to https:
        // the server may be reached over plain HTTP on a management network or behind a TLS proxy.
        directives: { 'upgrade-insecure-requests': null, 'style-src': ["'self'", "'unsafe-inline'"], 'img-src': ["'self'", 'data:'] },
      },
    }),
  );
  serveConsole(express);
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new ProblemDetailsFilter());

  SwaggerModule.setup('docs', app, () => openApiDocument(app), { jsonDocumentUrl: 'docs/openapi.json' });
  return app;
}
