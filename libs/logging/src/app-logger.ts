import { AsyncLocalStorage } from 'node:async_hooks';
import type { LoggerService } from '@nestjs/common';
import type { Logger } from 'pino';

/** The request's child logger (it carries the request id) while a request is being handled. */
export const requestLogger = new AsyncLocalStorage<Logger>();

type Level = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';

/**
 * Nest's logger interface over one pino instance per application. Written here rather than
 * taken from nestjs-pino: its 5.x line requires Node 22 (this project runs on Node 20), and it
 * keeps one pino instance per process, so a second application in the same process (tests,
 * benchmarks) logged into the first one's destination.
 *
 * Nest passes the context as the last extra argument; a log line inside a request also carries
 * the request's bindings (its id), as pino-http's child logger has them.
 */
export class AppLogger implements LoggerService {
  constructor(readonly root: Logger) {}

  private get logger(): Logger {
    return requestLogger.getStore() ?? this.root;
  }

  verbose(message: unknown, ...rest: unknown[]): void {
    this.write('trace', message, rest);
  }
  debug(message: unknown, ...rest: unknown[]): void {
    this.write('debug', message, rest);
  }
  log(message: unknown, ...rest: unknown[]): void {
    this.write('info', message, rest);
  }
  warn(message: unknown, ...rest: unknown[]): void {
    this.write('warn', message, rest);
  }
  error(message: unknown, ...rest: unknown[]): void {
    this.write('error', message, rest);
  }
  fatal(message: unknown, ...rest: unknown[]): void {
    this.write('fatal', message, rest);
  }

  private write(level: Level, message: unknown, rest: unknown[]): void {
    const fields: Record<string, unknown> = {};
    let params = rest;
    if (rest.length > 0) {
      fields.context = rest[rest.length - 1];
      params = rest.slice(0, -1);
    }
    const log = this.logger;
    if (message instanceof Error) {
      log[level]({ ...fields, err: message }, ...(params as []));
    } else if (typeof message === 'object' && message !== null) {
      log[level]({ ...fields, ...message }, ...(params as []));
    } else if (level === 'error' && typeof message === 'string' && params.length === 1 && typeof params[0] === 'string' && /\n\s*at /.test(params[0])) {
      // Nest's own exception handlers call error(message, stack, context): keep the stack as an error.
      const err = new Error(message);
      err.stack = params[0];
      log.error({ ...fields, err });
    } else {
      log[level](fields, String(message), ...(params as []));
    }
  }
}
