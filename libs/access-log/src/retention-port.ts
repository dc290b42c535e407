import { type DynamicModule, type InjectionToken, Module } from '@nestjs/common';
import { ACCESS_LOG_OPTIONS, type AccessLogOptions } from './access-log.service.js';
import type { AccessLogRetentionPolicy } from './retention.js';

/**
 * The port through which the access log learns the retention policy it reports (compliance
 * applies it). The composition root wires it, like the clock and the configuration: a global
 * module because the access log resolves the options from its own module, which every importer
 * shares. Without it the access log reports the default policy (DEFAULT_RETENTION_POLICY).
 */
@Module({})
export class AccessLogRetentionModule {
  static with(source: { inject?: InjectionToken[]; useFactory: (...deps: never[]) => AccessLogRetentionPolicy }): DynamicModule {
    return {
      module: AccessLogRetentionModule,
      global: true,
      providers: [
        {
          provide: ACCESS_LOG_OPTIONS,
          inject: source.inject ?? [],
          useFactory: (...deps: never[]): Partial<AccessLogOptions> => ({ retention: source.useFactory(...deps) }),
        },
      ],
      exports: [ACCESS_LOG_OPTIONS],
    };
  }
}
