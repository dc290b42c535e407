import type { IncomingMessage, ServerResponse } from 'node:http';
import { type CanActivate, type DynamicModule, type ExecutionContext, Injectable, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { LoggerModule } from 'nestjs-pino';
import type { DestinationStream } from 'pino';
import { AppConfig } from '@acs/config';
import { requestIdFrom } from '@acs/http';

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

@Module({})
export class LoggingModule {
  /** `destination` lets tests capture every line. */
  static forRoot(destination?: DestinationStream): DynamicModule {
    return {
      module: LoggingModule,
      imports: [
        LoggerModule.forRootAsync({
          inject: [AppConfig],
          useFactory: (config: AppConfig) => ({
            pinoHttp: destination ? [pinoHttpOptions(config), destination] : pinoHttpOptions(config),
          }),
        }),
      ],
      providers: [{ provide: APP_GUARD, useClass: RoutePatternRecorder }],
    };
  }
}
