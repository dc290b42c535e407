import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ConfigError, loadConfig, processEnv } from '@acs/config';
import { AppModule } from './app.module.js';
import { configureApp } from './setup.js';

const STARTUP_ERRORS = new Set(['EmbeddedBrokerError', 'MasterKeyError', 'ConfigError', 'DatabaseFileError', 'MetricsPortError']);

async function bootstrap(): Promise<void> {
  let config;
  try {
    config = loadConfig(processEnv());
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(2);
    }
    throw err;
  }
  try {
    // abortOnError off: a refused start (key file, broker port) ends with its message, exit 2.
    const app = await NestFactory.create(AppModule.register({ config }), { bufferLogs: true, bodyParser: false, abortOnError: false });
    configureApp(app, config);
    app.enableShutdownHooks();
    await app.listen(config.HTTP_PORT, config.HTTP_HOST);
    // One line a newcomer can act on: where everything is.
    const http = `http://${config.HTTP_HOST.includes(':') ? `[${config.HTTP_HOST}]` : config.HTTP_HOST}:${config.HTTP_PORT}`;
    const broker = config.MQTT_BROKER_URL ? 'external broker' : `mqtt://${config.MQTT_EMBEDDED_HOST}:${config.MQTT_EMBEDDED_PORT}`;
    new Logger('Server').log(`listening on ${http} (console ${http}/console, API docs ${http}/docs, MQTT ${broker}, instance ${config.INSTANCE_ID})`);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      console.error(`HTTP_PORT ${config.HTTP_PORT} on ${config.HTTP_HOST} is already in use; set HTTP_PORT to a free port`);
      process.exit(2);
    }
    // Start-up refusals that name the setting to fix: say so, without a stack trace.
    if (err instanceof Error && STARTUP_ERRORS.has(err.name)) {
      console.error(err.message);
      process.exit(2);
    }
    throw err;
  }
}

// Doors before tidiness: a background task that forgot its catch (a reader's capacity refresh,
// say, while the database is unreachable) must not take every door of this instance down with
// it. Node's default for an unhandled rejection is to exit; here it is logged as an error, with
// its stack, for the bug it is. Thrown (synchronous) exceptions still end the process.
process.on('unhandledRejection', (reason) => {
  const err = reason instanceof Error ? reason : new Error(String(reason));
  new Logger('Process').error(`unhandled promise rejection (a missing catch; the server keeps running): ${err.message}`, err.stack);
});

await bootstrap();
