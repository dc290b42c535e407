export { AppConfig, ConfigError, loadConfig } from './app-config.js';
export { ConfigModule, processEnv } from './config.module.js';
