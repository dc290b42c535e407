import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { connect, type MqttClient } from 'mqtt';
import { commandTopic, replyTopic } from '@acs/door-protocol';
import { MqttEdge } from '@acs/mqtt';
import type { TestApp } from '../support/test-app.js';

/** An MQTT 3.1.1 client with NODELAY, as the server's own door edge connects. */
export function connectRaw(url: string, username: string, password: string, clientId: string): Promise<MqttClient> {
  const client = connect(url, { clientId, username, password, protocolVersion: 4, clean: true, reconnectPeriod: 0 });
  return new Promise((resolve, reject) => {
    client.once('connect', () => {
      (client.stream as unknown as Socket).setNoDelay(true);
      resolve(client);
    });
    client.once('error', reject);
  });
}

/**
 * The floor of every unlock path: a bare QoS 1 round trip through the server's embedded broker
 * (the server account publishes an unlock-sized message, a registered controller account echoes
 * it; no signing, no parsing). `serverPassword` is the MQTT_SERVER_PASSWORD the app was started with.
 */
export async function bareRoundTrips(t: TestApp, serverPassword: string, echo: { mqttUsername: string; mqttPassword: string }, n: number): Promise<number[]> {
  const url = t.app.get(MqttEdge).broker!.url;
  const server = await connectRaw(url, t.config.MQTT_SERVER_USERNAME, serverPassword, `${t.config.MQTT_SERVER_USERNAME}-bench-bare`);
  const responder = await connectRaw(url, echo.mqttUsername, echo.mqttPassword, echo.mqttUsername);
  try {
    const reply = replyTopic(echo.mqttUsername);
    responder.on('message', (_t, payload) => responder.publish(reply, payload, { qos: 1 }));
    await responder.subscribeAsync(commandTopic(echo.mqttUsername), { qos: 1 });
    let waiting: (() => void) | undefined;
    server.on('message', () => waiting?.());
    await server.subscribeAsync(reply, { qos: 1 });
    const probe = JSON.stringify({
      body: { v: 1, cmd: 'unlock', requestId: randomUUID(), replyTo: reply, door: 1, durationMs: 1000, ts: Date.now(), nonce: 'x'.repeat(32) },
      mac: 'f'.repeat(64),
    });
    const out: number[] = [];
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      const got = new Promise<void>((r) => (waiting = r));
      server.publish(commandTopic(echo.mqttUsername), probe, { qos: 1 });
      await got;
      out.push(performance.now() - t0);
    }
    return out;
  } finally {
    await server.endAsync();
    await responder.endAsync();
  }
}
