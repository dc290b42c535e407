import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { loadConfig } from '@acs/config';
import { AppModule } from './app.module.js';

/** The OpenAPI document of a running application: what /docs/openapi.json serves. */
export function openApiDocument(app: INestApplication): OpenAPIObject {
  const info = new DocumentBuilder()
    .setTitle('Colocation access control')
    .setDescription(
      'Fingerprint access control for colocation datacenters. Every route needs a bearer token except /health, /ready and /docs. ' +
        'Errors are application/problem+json with a stable `code`.',
    )
    .setVersion('0.1.0')
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'Token from `acsctl staff:create` or POST /staff' })
    .build();
  return SwaggerModule.createDocument(app, info);
}

/**
 * The same document without a running server: Nest's preview mode scans the modules and their
 * controllers but instantiates no provider, so no database, broker or key file is touched. The
 * console's API types are generated from this (scripts/api-types.mjs) and checked for drift.
 */
export async function buildOpenApiDocument(): Promise<OpenAPIObject> {
  // Placeholder settings: in preview mode nothing reads them beyond module registration.
  const config = loadConfig({ DATA_DIR: join(tmpdir(), 'acs-openapi-preview'), MASTER_KEY: randomBytes(32).toString('base64') });
  const app = await NestFactory.create(AppModule.register({ config }), { preview: true, logger: false, abortOnError: false });
  try {
    return openApiDocument(app);
  } finally {
    await app.close();
  }
}
