import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NestExpressApplication } from '@nestjs/platform-express';
import express from 'express';

const here = dirname(fileURLToPath(import.meta.url));

/**
 * Where `npm run build:console` put the web console: dist/console, seen from the source tree
 * (tests) or from the compiled server in dist/apps/server/src.
 */
export function consoleDirectory(): string | null {
  const candidates = [join(here, '../../../dist/console'), join(here, '../../../console')];
  return candidates.find((dir) => existsSync(join(dir, 'index.html'))) ?? null;
}

/**
 * Serves the security-desk console as static files under /console, so there is no second server
 * to run. The files are public (they hold no data); every API call they make carries the staff
 * member's session cookie (with its CSRF token) or bearer token and meets the same guards as any
 * other client. Client-side routes (/console/live) get
 * index.html; hashed assets are cached for good, index.html never.
 */
export function serveConsole(app: NestExpressApplication, dir: string | null = consoleDirectory()): void {
  if (!dir) {
    app.use('/console', (_req: express.Request, res: express.Response) => {
      res.status(404).type('application/problem+json').json({
        type: 'about:blank',
        title: 'The web console is not built',
        status: 404,
        code: 'console.not_built',
        detail: 'Run `npm run build:console` (npm start does it) and restart the server.',
      });
    });
    return;
  }
  app.use(
    '/console/assets',
    express.static(join(dir, 'assets'), { immutable: true, maxAge: '365d', index: false, fallthrough: false }),
    // serve-static refuses a path with `..` with a 403, which the API's filter would report as
    // auth.forbidden (a token problem, which it is not). Any asset it cannot serve is simply not there.
    (err: { status?: number }, req: express.Request & { id?: string | number }, res: express.Response, next: express.NextFunction) => {
      if (err.status !== 403 && err.status !== 404) return next(err);
      res.status(404).type('application/problem+json').setHeader('cache-control', 'no-store');
      res.send(
        JSON.stringify({
          type: 'urn:acs:problem:console.not_found',
          title: 'Not Found',
          status: 404,
          code: 'console.not_found',
          detail: 'no such console file',
          ...(req.id !== undefined ? { requestId: String(req.id) } : {}),
        }),
      );
    },
  );
  app.use('/console', express.static(dir, { index: false, redirect: false }));
  app.use('/console', (req: express.Request, res: express.Response, next: express.NextFunction) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    res.setHeader('cache-control', 'no-cache');
    res.sendFile(join(dir, 'index.html'));
  });
}
