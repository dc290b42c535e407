import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  type CanActivate,
  type DynamicModule,
  type ExecutionContext,
  Global,
  Inject,
  Injectable,
  type MiddlewareConsumer,
  Module,
  type NestModule,
  RequestMethod,
} from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import type { DestinationStream } from 'pino';
import { type HttpLogger, pinoHttp } from 'pino-http';
import { AppConfig } from '@acs/config';
import { requestIdFrom } from '@acs/http';
import { AppLogger, requestLogger } from './app-logger.js';

type Req = IncomingMessage & { id?: string | number; originalUrl?: string; routePattern?: string };

/**
 * The route pattern (`/tokens/:tokenId`), never the concrete path: path segments and query
 * strings are caller input and can hold a name or an e-mail address. An unmatched path keeps
 * only its first segment.
 */
export function loggablePath(req: Req): string {
  if (req.routePattern) return req.routePattern;
  const first = (req.originalUrl ?? req.url ?? '').split('?')[0].split('/')[1] ?? '';
  return /^[A-Za-z0-9._-]{1,32}$/.test(first) ? `/${first}/…` : '/…';
}

/**
 * Structured JSON logs through pino. Request lines carry method, route pattern, status and
 * request id; authorization headers are never
 * serialised. Log calls elsewhere pass ids and codes only.
 */
export function pinoHttpOptions(config: AppConfig) {
  return {
    level: config.LOG_LEVEL,
    genReqId: (req: IncomingMessage, res: ServerResponse) => requestIdFrom(req, res),
    customAttributeKeys: { reqId: 'requestId' },
    serializers: {
      // Serialised when the request arrives, before routing: no path here (see `route`).
      req: (req: Req) => ({ id: req.id, method: req.method }),
      res: (res: ServerResponse) => ({ statusCode: res.statusCode }),
    },
    redact: { paths: ['req.headers', 'res.headers', 'headers.authorization'], remove: true },
    customSuccessObject: (req: IncomingMessage, _res: ServerResponse, val: object) => ({ ...val, route: loggablePath(req as Req) }),
    customErrorObject: (req: IncomingMessage, _res: ServerResponse, _err: Error, val: object) => ({ ...val, route: loggablePath(req as Req) }),
    customLogLevel: (_req: IncomingMessage, res: ServerResponse, err?: Error) =>
      err || res.statusCode >= 500 ? ('error' as const) : res.statusCode >= 400 ? ('warn' as const) : ('info' as const),
  };
}

/**
 * Express restores `req.route` once routing is done, before pino-http writes its completion
 * line, so the matched pattern is kept on the request here. Registered first among the global guards so it
 * runs even when authentication then fails. It never refuses.
 */
@Injectable()
export class RoutePatternRecorder implements CanActivate {
  canActivate(ctx: ExecutionContext): boolean {
    if (ctx.getType() === 'http') {
      const req = ctx.switchToHttp().getRequest<Req & { route?: { path?: string }; baseUrl?: string }>();
      if (req.route?.path) req.routePattern = `${req.baseUrl ?? ''}${req.route.path}`;
    }
    return true;
  }
}

const HTTP_LOGGER = Symbol('HTTP_LOGGER');

/**
 * One pino-http instance per application: its logger is the root of every log line, and its
 * middleware writes the request lines and makes the request's child logger the current one for
 * everything logged while the request is handled.
 */
@Global()
@Module({})
export class LoggingModule implements NestModule {
  constructor(@Inject(HTTP_LOGGER) private readonly http: HttpLogger) {}

  /** `destination` lets tests capture every line. */
  static forRoot(destination?: DestinationStream): DynamicModule {
    return {
      module: LoggingModule,
      providers: [
        {
          provide: HTTP_LOGGER,
          inject: [AppConfig],
          useFactory: (config: AppConfig) => (destination ? pinoHttp(pinoHttpOptions(config), destination) : pinoHttp(pinoHttpOptions(config))),
        },
        { provide: AppLogger, inject: [HTTP_LOGGER], useFactory: (http: HttpLogger) => new AppLogger(http.logger) },
        { provide: APP_GUARD, useClass: RoutePatternRecorder },
      ],
      exports: [AppLogger],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    const http = this.http;
    consumer
      .apply((req: IncomingMessage & { log?: HttpLogger['logger'] }, res: ServerResponse, next: () => void) => {
        http(req, res);
        requestLogger.run(req.log ?? http.logger, next);
      })
      // path-to-regexp 8 (Express 5) wants a named wildcard; `{/*splat}` also matches `/`.
      .forRoutes({ path: '{/*splat}', method: RequestMethod.ALL });
  }
}
