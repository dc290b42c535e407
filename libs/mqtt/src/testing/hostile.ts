import { connect as netConnect, type Socket } from 'node:net';

/**
 * Hand-built MQTT 3.1.1 bytes for hostile-client tests: a client library would refuse to send
 * what these tests need (oversize announcements, bodies that never end, packets before CONNECT).
 */

/** Remaining Length as a variable byte integer (MQTT 3.1.1 §2.2.3). */
export function remainingLength(n: number): Buffer {
  const out: number[] = [];
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    out.push(byte);
  } while (n > 0);
  return Buffer.from(out);
}

function utf8(s: string): Buffer {
  const b = Buffer.from(s, 'utf8');
  const len = Buffer.alloc(2);
  len.writeUInt16BE(b.length);
  return Buffer.concat([len, b]);
}

/** A complete CONNECT (§3.1), clean session, keepalive 30 s, optional username/password. */
export function connectPacket(clientId: string, username?: string, password?: string): Buffer {
  const flags = 0x02 | (username !== undefined ? 0x80 : 0) | (password !== undefined ? 0x40 : 0);
  const body = Buffer.concat([
    utf8('MQTT'),
    Buffer.from([4, flags, 0, 30]),
    utf8(clientId),
    ...(username !== undefined ? [utf8(username)] : []),
    ...(password !== undefined ? [utf8(password)] : []),
  ]);
  return Buffer.concat([Buffer.from([0x10]), remainingLength(body.length), body]);
}

/** The fixed header of a packet of `type` announcing `length` bytes, and nothing else. */
export function fixedHeader(type: number, length: number, flags = 0): Buffer {
  return Buffer.concat([Buffer.from([(type << 4) | flags]), remainingLength(length)]);
}

/** A QoS 0 PUBLISH's fixed header and topic, announcing a payload of `payloadBytes` still to come. */
export function publishHead(topic: string, payloadBytes: number): Buffer {
  const t = utf8(topic);
  return Buffer.concat([fixedHeader(3, t.length + payloadBytes), t]);
}

export interface StreamResult {
  /** Bytes of the body the socket accepted before the server closed it (or `limit` was reached). */
  bodyBytesWritten: number;
  closedByServer: boolean;
  /** ms from sending the head to the close. */
  closedAfterMs: number;
}

/**
 * Connects, optionally completes a CONNECT first (waits for CONNACK), sends `head`, then streams
 * zero bytes as fast as the socket takes them until the server closes it or `limit` bytes went.
 */
export function streamHostile(
  port: number,
  opts: { login?: Buffer; head: Buffer; limit: number; localAddress?: string; chunkBytes?: number },
): Promise<StreamResult> {
  return new Promise((resolve, reject) => {
    const sock: Socket = netConnect({ host: '127.0.0.1', port, ...(opts.localAddress ? { localAddress: opts.localAddress } : {}) });
    const chunk = Buffer.alloc(opts.chunkBytes ?? 64 * 1024);
    let written = 0;
    let started = 0;
    let done = false;
    const finish = (closedByServer: boolean): void => {
      if (done) return;
      done = true;
      sock.destroy();
      resolve({ bodyBytesWritten: written, closedByServer, closedAfterMs: started ? Date.now() - started : 0 });
    };
    sock.on('error', () => finish(true));
    sock.on('close', () => finish(true));
    const pump = (): void => {
      while (!done && !sock.destroyed && written < opts.limit) {
        const n = Math.min(chunk.length, opts.limit - written);
        written += n;
        if (!sock.write(n === chunk.length ? chunk : chunk.subarray(0, n))) {
          sock.once('drain', pump);
          return;
        }
      }
      if (!done && written >= opts.limit) finish(false);
    };
    const attack = (): void => {
      started = Date.now();
      sock.write(opts.head);
      pump();
    };
    sock.once('connect', () => {
      if (!opts.login) return attack();
      sock.write(opts.login);
      let d = Buffer.alloc(0);
      const onData = (part: Buffer): void => {
        d = Buffer.concat([d, part]);
        if (d.length < 4) return;
        sock.off('data', onData);
        // CONNACK [MQTT-3.2]: 0x20 0x02 flags returnCode
        if (d[0] !== 0x20 || d[3] !== 0) return reject(new Error(`login refused: ${d.toString('hex')}`));
        attack();
      };
      sock.on('data', onData);
    });
  });
}

/** Opens a socket and resolves with how long the server took to close it (it sends `bytes` first, if any). */
export function idleUntilClosed(port: number, bytes?: Buffer, localAddress?: string): Promise<{ closedAfterMs: number; sock: Socket }> {
  return new Promise((resolve) => {
    const sock = netConnect({ host: '127.0.0.1', port, ...(localAddress ? { localAddress } : {}) });
    const t0 = Date.now();
    sock.on('error', () => {});
    sock.once('connect', () => bytes && sock.write(bytes));
    sock.once('close', () => resolve({ closedAfterMs: Date.now() - t0, sock }));
  });
}
