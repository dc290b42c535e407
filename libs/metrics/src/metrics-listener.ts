import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '@acs/config';
import { AcsMetrics } from './acs-metrics.js';
import { METRICS_CHALLENGE, scrapeVerdict } from './scrape-auth.js';

/**
 * The separate metrics listener (METRICS_PORT on METRICS_HOST, loopback unless METRICS_TOKEN is
 * set: the configuration refuses anything else). A bare node:http server that answers
 * `GET /metrics` and nothing else, so the API's routes, sessions and guard are not reachable
 * through it. With METRICS_TOKEN set it asks for the token too.
 */
@Injectable()
export class MetricsListener implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Metrics');
  private server?: Server;

  constructor(
    private readonly metrics: AcsMetrics,
    private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.METRICS_PORT === undefined) return;
    const server = createServer((req, res) => {
      const path = (req.url ?? '').split('?')[0];
      if (path !== '/metrics') return void res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
      if (req.method !== 'GET' && req.method !== 'HEAD')
        return void res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain' }).end('method not allowed\n');
      if (scrapeVerdict(req.headers.authorization, this.config.METRICS_TOKEN, true) !== 'allowed')
        return void res.writeHead(401, { 'WWW-Authenticate': METRICS_CHALLENGE, 'Content-Type': 'text/plain' }).end('unauthenticated\n');
      this.metrics.scrape().then(
        (body) => res.writeHead(200, { 'Content-Type': this.metrics.contentType, 'Cache-Control': 'no-store' }).end(req.method === 'HEAD' ? undefined : body),
        (err: Error) => {
          this.logger.error(`metrics scrape failed: ${err.message}`);
          res.writeHead(500, { 'Content-Type': 'text/plain' }).end('scrape failed\n');
        },
      );
    });
    server.requestTimeout = 10_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) =>
        reject(
          err.code === 'EADDRINUSE'
            ? new MetricsPortError(`METRICS_PORT ${this.config.METRICS_PORT} on ${this.config.METRICS_HOST} is already in use; set METRICS_PORT to a free port`)
            : err,
        ),
      );
      server.listen(this.config.METRICS_PORT, this.config.METRICS_HOST, () => resolve());
    });
    this.server = server;
    const { address, port } = server.address() as AddressInfo;
    this.logger.log(`metrics on http://${address.includes(':') ? `[${address}]` : address}:${port}/metrics`);
  }

  /** Where the listener is bound (tests use METRICS_PORT=0); undefined when it is off. */
  address(): AddressInfo | undefined {
    return this.server?.address() as AddressInfo | undefined;
  }

  async onApplicationShutdown(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  }
}

/** The metrics port is taken: a start-up refusal naming the setting (main.ts prints it, exit 2). */
export class MetricsPortError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MetricsPortError';
  }
}
