import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Controller, Get, Inject, type INestApplication, Module, Param, Query } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';

const PAGE_SOURCE = Symbol('page source');

/** What the bare route answers: the service's page. */
export type PageSource = (customerId: string, limit: number) => Promise<unknown>;

@Controller()
class BareHistoryController {
  constructor(@Inject(PAGE_SOURCE) private readonly page: PageSource) {}

  @Get('bare/:customerId/access-events')
  list(@Param('customerId') customerId: string, @Query('limit') limit: string): Promise<unknown> {
    return this.page(customerId, Number(limit));
  }
}

/**
 * A bare Nest application in the benchmark's process: one route, no middleware, guard, pipe,
 * interceptor or filter, answering the same page through the same service. What a page over HTTP
 * costs at the least with Nest on Express (routing, JSON, the socket); the server's route is
 * compared with it to see what its own layers add.
 */
export async function startBareNest(page: PageSource): Promise<{ app: INestApplication; port: number }> {
  @Module({ controllers: [BareHistoryController], providers: [{ provide: PAGE_SOURCE, useValue: page }] })
  class BareModule {}
  const app = await NestFactory.create(BareModule, { logger: false, bodyParser: false });
  await app.listen(0, '127.0.0.1');
  return { app, port: (app.getHttpServer().address() as AddressInfo).port };
}

/**
 * GET over one kept-alive connection, as a browser or an API client talks to the server (the
 * supertest helper of the e2e suites opens a listener and a connection for every request, which
 * costs more than some of what is measured here).
 */
export function keepAliveClient(port: number): {
  get(path: string, headers?: Record<string, string>): Promise<{ status: number; body: string }>;
  close(): void;
} {
  // A free socket is dropped after 4 s, before Node's server closes it (keepAliveTimeout 5 s):
  // reusing one the server is closing fails the request with ECONNRESET.
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1, timeout: 4000 });
  return {
    get: (path, headers = {}) =>
      new Promise((resolve, reject) => {
        const req = http.get({ host: '127.0.0.1', port, path, agent, headers }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        });
        req.on('error', reject);
      }),
    close: () => agent.destroy(),
  };
}
