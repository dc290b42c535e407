import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { buildOpenApiDocument } from '../../apps/server/src/openapi.js';
import { API_TYPES_FILE, renderApiTypes } from '../../scripts/api-types.mjs';

/**
 * The console's API types are generated from the server's OpenAPI document and committed; this
 * regenerates them in memory from the sources and fails on any difference, so a changed response
 * DTO cannot ship without the console's types (and the code reading them) following.
 */
describe('console API types', () => {
  it('are what `npm run api:types` generates from the current server', async () => {
    const fresh = await renderApiTypes(await buildOpenApiDocument());
    const committed = readFileSync(API_TYPES_FILE, 'utf8');
    // On drift: run `npm run api:types`, then fix what the console's typecheck reports.
    expect(committed).toBe(fresh);
  });
});
