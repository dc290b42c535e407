export { LoggingModule, pinoHttpOptions } from './logging.module.js';
