import { describe, expect, it } from '@jest/globals';
import { AcsMqttClient, MqttConnectError } from '@acs/mqtt';
import { freePort, startTestBroker } from '@acs/mqtt/testing';

describe('AcsMqttClient.connect', () => {
  it('fails clearly when nothing listens, without leaking a reconnect loop', async () => {
    const port = await freePort();
    const client = new AcsMqttClient({ url: `mqtt://127.0.0.1:${port}`, clientId: 'acs-server-x', connectTimeoutMs: 500 });
    const started = Date.now();
    await expect(client.connect()).rejects.toBeInstanceOf(MqttConnectError);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(client.connected).toBe(false);
  });

  it('fails with the CONNACK code on bad credentials, and never logs the password', async () => {
    const tb = await startTestBroker();
    const lines: string[] = [];
    const logger = { log: (m: string) => lines.push(m), warn: (m: string) => lines.push(m), error: (m: string) => lines.push(m) };
    try {
      const client = new AcsMqttClient({
        url: `mqtt://acs-server:hunter2-hunter2@127.0.0.1:${tb.port}`,
        username: 'acs-server',
        password: 'hunter2-hunter2',
        clientId: 'acs-server-x',
        logger,
      });
      const attempt = client.connect();
      await expect(attempt).rejects.toMatchObject({
        returnCode: 4,
        message: expect.stringContaining(`MQTT broker mqtt://127.0.0.1:${tb.port} refused the connection`),
      });
      await expect(attempt).rejects.toMatchObject({ message: expect.not.stringContaining('hunter2') });
      expect(JSON.stringify(lines)).not.toContain('hunter2');
    } finally {
      await tb.stop();
    }
  });
});
