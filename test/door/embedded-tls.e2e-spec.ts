import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { EmbeddedBroker, InMemoryCredentialProvider } from '@acs/mqtt';
import { connectRawClient } from '@acs/mqtt/testing';

const run = promisify(execFile);

describe('embedded broker with TLS', () => {
  let dir: string;
  let broker: EmbeddedBroker;
  let ca: Buffer;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'acs-mqtt-tls-'));
    await run('openssl', [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
    ]);
    ca = await readFile(join(dir, 'cert.pem'));
    const credentials = new InMemoryCredentialProvider().addServer('acs-server', 'server-password-tls');
    broker = new EmbeddedBroker({ port: 0, credentials, tls: { certFile: join(dir, 'cert.pem'), keyFile: join(dir, 'key.pem') } });
    await broker.start();
  });

  afterAll(async () => {
    await broker.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('serves mqtts with the configured certificate', async () => {
    expect(broker.url).toBe(`mqtts://127.0.0.1:${broker.port}`);
    const client = await connectRawClient(broker.url, { username: 'acs-server', password: 'server-password-tls', clientId: 'acs-server-tls', ca });
    try {
      expect(client.connected).toBe(true);
    } finally {
      await client.endAsync();
    }
  });

  it('refuses a client that does not trust the certificate, and plaintext MQTT', async () => {
    await expect(connectRawClient(broker.url, { username: 'acs-server', password: 'server-password-tls', clientId: 'acs-server-tls' })).rejects.toThrow(
      /self[- ]signed/,
    );
    await expect(
      connectRawClient(`mqtt://127.0.0.1:${broker.port}`, { username: 'acs-server', password: 'server-password-tls', clientId: 'acs-server-plain' }),
    ).rejects.toThrow();
  });

  it('fails to start with a clear error when the certificate files are missing', async () => {
    const b = new EmbeddedBroker({
      port: 0,
      credentials: new InMemoryCredentialProvider(),
      tls: { certFile: join(dir, 'nope.pem'), keyFile: join(dir, 'key.pem') },
    });
    await expect(b.start()).rejects.toMatchObject({ code: 'tls-files', message: expect.stringContaining('TLS files unreadable') });
  });
});
