import { type DynamicModule, type InjectionToken, Module } from '@nestjs/common';
import { ACCESS_LOG_FENCE, type AppendFence } from './access-log.service.js';

/**
 * The port through which the access log checks the fences of attempts made on devices that can
 * fail over (the cluster's device leases answer). The composition root wires it; without it a
 * fence is not checked (a single server, the CLI), which is right where no device fails over.
 */
@Module({})
export class AccessLogFenceModule {
  static with(source: { inject?: InjectionToken[]; useFactory: (...deps: never[]) => AppendFence }): DynamicModule {
    return {
      module: AccessLogFenceModule,
      global: true,
      providers: [{ provide: ACCESS_LOG_FENCE, inject: source.inject ?? [], useFactory: source.useFactory }],
      exports: [ACCESS_LOG_FENCE],
    };
  }
}
