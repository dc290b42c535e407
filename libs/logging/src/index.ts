export { LoggingModule } from './logging.module.js';
export { AppLogger } from './app-logger.js';
