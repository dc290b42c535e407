import { describe, expect, it } from '@jest/globals';
import { SerialTransport, listSerialPorts } from './serial.transport.js';
import { TcpTransport } from './tcp.transport.js';
import { createTransport } from './transport.factory.js';

describe('createTransport', () => {
  it('picks raw TCP for tcp://host:port and serial for a device path', () => {
    const tcp = createTransport('tcp://10.1.2.3:4001');
    expect(tcp).toBeInstanceOf(TcpTransport);
    expect(tcp.description).toBe('tcp://10.1.2.3:4001');
    const serial = createTransport('/dev/ttyUSB3');
    expect(serial).toBeInstanceOf(SerialTransport);
    expect(serial.description).toBe('/dev/ttyUSB3');
  });

  it('rejects a tcp URL without a port', () => {
    expect(() => createTransport('tcp://reader-7')).toThrow('must look like tcp://host:port');
  });

  it('fails to open an absent serial device with the OS error, not a crash', async () => {
    await expect(createTransport('/dev/ttyDOES-NOT-EXIST').open()).rejects.toThrow(/No such file|ENOENT|cannot open/i);
  });

  it('fails to connect to a closed TCP port with a readable error', async () => {
    await expect(createTransport('tcp://127.0.0.1:1', { connectTimeoutMs: 500 }).open()).rejects.toThrow(/ECONNREFUSED|timed out/);
  });
});

describe('listSerialPorts', () => {
  it('never throws even where udevadm is missing: returns the ports it found and the failure', async () => {
    const result = await listSerialPorts();
    expect(Array.isArray(result.ports)).toBe(true);
    // Where udevadm is missing (containers, CI) the failure comes back as a value.
    expect(result.error === undefined || typeof result.error.message === 'string').toBe(true);
  });
});
