/**
 * Test helpers for the door command service on a real broker (brokers, controllers and teardown
 * come from `@acs/mqtt/testing`). Import as `@acs/door-control/testing` in jest.
 */
import { type Clock, SystemClock } from '@acs/clock';
import { AcsMqttClient, type InMemoryControllerSecretProvider } from '@acs/mqtt';
import { DoorCommandService } from '../door-command.service.js';
import type { DoorCommandServiceOptions } from '../door-command.types.js';

export interface TestServerSide {
  client: AcsMqttClient;
  doors: DoorCommandService;
  stop(): Promise<void>;
}

let counter = 0;

/** The server half: its MQTT client (persistent session) and a started door command service. */
export async function startServerSide(
  url: string,
  server: { username: string; password: string },
  secrets: InMemoryControllerSecretProvider,
  options: DoorCommandServiceOptions & {
    clock?: Clock;
    clientId?: string;
    /** Runs before connecting: attach listeners, seed sequences (a resumed session delivers at once). */
    prepare?: (doors: DoorCommandService) => void;
  } = {},
): Promise<TestServerSide> {
  const client = new AcsMqttClient({
    url,
    username: server.username,
    password: server.password,
    clientId: options.clientId ?? `${server.username}-${process.pid}-${++counter}`,
    reconnectPeriodMs: 100,
  });
  const doors = new DoorCommandService(client, secrets, options.clock ?? new SystemClock(), options);
  await doors.start();
  options.prepare?.(doors);
  await client.connect();
  return {
    client,
    doors,
    stop: async () => {
      doors.stop();
      await client.end();
    },
  };
}
