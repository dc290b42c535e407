import { type DynamicModule, Global, Module } from '@nestjs/common';
import { AppConfig, loadConfig } from './app-config.js';

@Global()
@Module({})
export class ConfigModule {
  /** Reads the process environment once; the only place in the code base that does. */
  static forRoot(overrides: Partial<Record<keyof AppConfig, string>> = {}): DynamicModule {
    const config = loadConfig({ ...process.env, ...overrides });
    return ConfigModule.withConfig(config);
  }

  /** For tests and tools that build a configuration themselves. */
  static withConfig(config: AppConfig): DynamicModule {
    return { module: ConfigModule, providers: [{ provide: AppConfig, useValue: config }], exports: [AppConfig] };
  }
}

/** The process environment, for entry points that must build a config before Nest starts. */
export function processEnv(): Record<string, string | undefined> {
  return process.env;
}
