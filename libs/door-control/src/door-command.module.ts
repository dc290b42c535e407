import { type DynamicModule, Logger, Module, type Provider } from '@nestjs/common';
import { type Clock, SystemClock } from '@acs/clock';
import { type ControllerSecretProvider, MqttEdge } from '@acs/mqtt';
import { DoorCommandService } from './door-command.service.js';
import type { DoorCommandServiceOptions } from './door-command.types.js';

export const DOOR_COMMAND_OPTIONS = Symbol('DOOR_COMMAND_OPTIONS');

export interface DoorCommandModuleOptions {
  /** Per-controller HMAC secrets (the device registry implements this). */
  controllerSecrets: ControllerSecretProvider;
  commands?: DoorCommandServiceOptions;
  clock?: Clock;
}

/**
 * The door command service on the MQTT edge's client (MqttModule must be imported too). It is
 * attached to the edge while providers are built, so its routes exist before the client connects.
 */
@Module({})
export class DoorCommandModule {
  static forRoot(options: DoorCommandModuleOptions): DynamicModule {
    return DoorCommandModule.build([{ provide: DOOR_COMMAND_OPTIONS, useValue: options }]);
  }

  static forRootAsync(opts: {
    imports?: DynamicModule['imports'];
    inject?: Array<string | symbol | (abstract new (...args: never[]) => unknown)>;
    useFactory: (...args: never[]) => DoorCommandModuleOptions | Promise<DoorCommandModuleOptions>;
  }): DynamicModule {
    return {
      ...DoorCommandModule.build([{ provide: DOOR_COMMAND_OPTIONS, inject: opts.inject ?? [], useFactory: opts.useFactory }]),
      imports: opts.imports ?? [],
    };
  }

  private static build(optionProviders: Provider[]): DynamicModule {
    return {
      module: DoorCommandModule,
      // As when the MQTT module provided it: badge-in, door modes and the security audit share one.
      global: true,
      providers: [
        ...optionProviders,
        {
          provide: DoorCommandService,
          inject: [MqttEdge, DOOR_COMMAND_OPTIONS],
          useFactory: (edge: MqttEdge, o: DoorCommandModuleOptions) => {
            const doors = new DoorCommandService(edge.client, o.controllerSecrets, o.clock ?? new SystemClock(), o.commands, new Logger('DoorCommandService'));
            edge.attach(doors);
            return doors;
          },
        },
      ],
      exports: [DoorCommandService],
    };
  }
}
