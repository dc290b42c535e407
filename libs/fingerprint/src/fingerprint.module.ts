import {
  Inject,
  Injectable,
  Logger,
  Module,
  type DynamicModule,
  type InjectionToken,
  type ModuleMetadata,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type OptionalFactoryDependency,
} from '@nestjs/common';
import { FingerprintReader, type FingerprintReaderOptions, type ReaderState } from './fingerprint-reader.device.js';

export const FINGERPRINT_MODULE_OPTIONS = Symbol('FINGERPRINT_MODULE_OPTIONS');

export interface FingerprintReaderConfig extends Omit<FingerprintReaderOptions, 'logger' | 'name'> {
  /** Stable id the rest of the app uses (e.g. "dc1-hall-a-door-3-in"). */
  id: string;
}

export interface FingerprintModuleOptions {
  readers: FingerprintReaderConfig[];
  /** Open the configured readers when the application boots. Default true. */
  openOnBootstrap?: boolean;
}

export interface ReaderHealth {
  id: string;
  name: string;
  state: ReaderState;
  error?: string;
}

/**
 * Opens, holds and closes the readers it is given. Reading config or the database is the
 * caller's job; this stays a thin Nest shell over {@link FingerprintReader}.
 */
@Injectable()
export class FingerprintReaderRegistry implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Fingerprint');
  private readonly readers = new Map<string, FingerprintReader>();

  constructor(@Inject(FINGERPRINT_MODULE_OPTIONS) private readonly options: FingerprintModuleOptions) {}

  async onApplicationBootstrap(): Promise<void> {
    if (this.options.openOnBootstrap === false) return;
    for (const config of this.options.readers) await this.open(config);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.closeAll();
  }

  /**
   * Start a reader. It connects (and reconnects) in the background; pass waitForReady to wait
   * for the first handshake. A reader that fails stays registered so health can show why.
   */
  async open(config: FingerprintReaderConfig, options: { waitForReady?: boolean } = {}): Promise<FingerprintReader> {
    if (this.readers.has(config.id)) throw new Error(`fingerprint reader "${config.id}" is already open`);
    const { id, ...readerOptions } = config;
    const reader = new FingerprintReader({ ...readerOptions, name: id, logger: this.logger });
    this.readers.set(id, reader);
    const ready = reader.open();
    if (options.waitForReady) await ready;
    else ready.catch(() => undefined);
    return reader;
  }

  get(id: string): FingerprintReader {
    const reader = this.readers.get(id);
    if (!reader) throw new Error(`no fingerprint reader "${id}"`);
    return reader;
  }

  health(): ReaderHealth[] {
    return [...this.readers.entries()].map(([id, r]) => ({ id, name: r.name, state: r.state, error: r.state === 'ready' ? undefined : r.lastError?.message }));
  }

  async close(id: string): Promise<void> {
    const reader = this.readers.get(id);
    if (!reader) return;
    this.readers.delete(id);
    await reader.close();
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.readers.keys()].map((id) => this.close(id)));
  }
}

export interface FingerprintModuleAsyncOptions extends Pick<ModuleMetadata, 'imports'> {
  inject?: Array<InjectionToken | OptionalFactoryDependency>;
  useFactory: (...args: never[]) => FingerprintModuleOptions | Promise<FingerprintModuleOptions>;
}

@Module({})
export class FingerprintModule {
  static forRoot(options: FingerprintModuleOptions): DynamicModule {
    return {
      module: FingerprintModule,
      providers: [{ provide: FINGERPRINT_MODULE_OPTIONS, useValue: options }, FingerprintReaderRegistry],
      exports: [FingerprintReaderRegistry],
    };
  }

  /** For wiring from the config module later: `useFactory: (cfg) => ({ readers: cfg.readers })`. */
  static forRootAsync(options: FingerprintModuleAsyncOptions): DynamicModule {
    return {
      module: FingerprintModule,
      imports: options.imports ?? [],
      providers: [{ provide: FINGERPRINT_MODULE_OPTIONS, useFactory: options.useFactory, inject: options.inject ?? [] }, FingerprintReaderRegistry],
      exports: [FingerprintReaderRegistry],
    };
  }
}
