export { LoggingModule, pinoHttpOptions, loggablePath } from './logging.module.js';
export { AppLogger } from './app-logger.js';
