export { LoggingModule, pinoHttpOptions, loggablePath } from './logging.module.js';
