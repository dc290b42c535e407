import type { IncomingMessage, ServerResponse } from 'node:http';
import { type DynamicModule, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import type { DestinationStream } from 'pino';
import { AppConfig } from '@acs/config';
import { requestIdFrom } from '@acs/http';

type Req = IncomingMessage & { id?: string | number; originalUrl?: string };

/**
 * Structured JSON logs through pino. Request lines carry method, path (never the query string,
 * which can hold a searched name), status and request id; authorization headers are never
 * serialised. Log calls elsewhere pass ids and codes only.
 */
export function pinoHttpOptions(config: AppConfig) {
  return {
    level: config.LOG_LEVEL,
    genReqId: (req: IncomingMessage, res: ServerResponse) => requestIdFrom(req, res),
    customAttributeKeys: { reqId: 'requestId' },
    serializers: {
      req: (req: Req) => ({
        id: req.id,
        method: req.method,
        path: (req.originalUrl ?? req.url ?? '').split('?')[0],
      }),
      res: (res: ServerResponse) => ({ statusCode: res.statusCode }),
    },
    redact: { paths: ['req.headers', 'res.headers', 'headers.authorization'], remove: true },
    customLogLevel: (_req: IncomingMessage, res: ServerResponse, err?: Error) =>
      err || res.statusCode >= 500 ? ('error' as const) : res.statusCode >= 400 ? ('warn' as const) : ('info' as const),
  };
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
    };
  }
}
