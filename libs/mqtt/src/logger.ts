/**
 * The logging seam of the MQTT edge. Nest's `Logger` satisfies it; tests pass a silent one.
 * Never log payloads: they are authenticated device data, and a future field could carry personal data.
 */
export interface MqttLogger {
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  debug?(message: string): void;
}

export const SILENT_LOGGER: MqttLogger = { log: () => {}, warn: () => {}, error: () => {}, debug: () => {} };
