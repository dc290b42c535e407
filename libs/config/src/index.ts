export { AppConfig, ConfigError, loadConfig, OPTIONAL_SETTINGS } from './app-config.js';
export { ConfigModule, processEnv } from './config.module.js';
