import { performance } from 'node:perf_hooks';
import type { NextFunction, Request, Response } from 'express';
import type { AcsMetrics } from './acs-metrics.js';
import { routeLabel } from './route-label.js';

/**
 * Express middleware counting every answered request by method, route template and status, and
 * timing it to the end of the response. Installed first so refusals (401, 404, 413) count too.
 */
export function httpMetrics(metrics: AcsMetrics): (req: Request, res: Response, next: NextFunction) => void {
  return (req, res, next) => {
    const started = performance.now();
    res.once('finish', () => {
      // The router leaves the matched route on the request; nothing matched leaves it unset.
      const route = routeLabel({ baseUrl: req.baseUrl, routePath: (req.route as { path?: unknown } | undefined)?.path }, req.path);
      const method = req.method;
      metrics.httpRequests.inc({ method, route, status: String(res.statusCode) });
      metrics.httpDuration.observe({ method, route }, (performance.now() - started) / 1000);
    });
    next();
  };
}
