import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { NestExpressApplication } from '@nestjs/platform-express';
import express from 'express';
import request from 'supertest';
import { serveConsole } from './console.js';

describe('console static files', () => {
  let dir: string;
  let app: express.Express;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'acs-console-'));
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>console</title>');
    writeFileSync(join(dir, 'assets', 'app-1234.js'), 'console.log(1)');
    writeFileSync(join(dir, 'secret.txt'), 'not an asset');
    app = express();
    serveConsole(app as unknown as NestExpressApplication, dir);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('serves an asset', async () => {
    const res = await request(app).get('/console/assets/app-1234.js');
    expect([res.status, res.text]).toEqual([200, 'console.log(1)']);
  });

  it.each(['/console/assets/..', '/console/assets/../secret.txt', '/console/assets/%2e%2e/secret.txt', '/console/assets/missing.js'])(
    '%s answers 404 console.not_found, not a permission code',
    async (path) => {
      const res = await request(app).get(path);
      expect([res.status, res.headers['content-type']?.split(';')[0], res.body.code]).toEqual([404, 'application/problem+json', 'console.not_found']);
      expect(res.text).not.toContain('not an asset');
    },
  );
});
