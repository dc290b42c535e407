// A hostile MQTT load in its own process, so the process under test pays only for what it
// receives: `node test/support/mqtt-flood.mjs '<json>'` with
// { port, anonymous: n, logins: [{ id, password }], announce, perAttempt, durationMs, localAddress?, pauseMs? }.
// Each anonymous client sends a CONNECT fixed header announcing `announce` bytes, each login
// completes a real CONNECT and then sends a PUBLISH header announcing `announce` bytes; both then
// stream zeros (up to `perAttempt` bytes) as fast as the socket takes them, and start over when
// the broker closes them, until `durationMs` has passed. Prints a JSON summary on stdout.
// Plain JS on purpose: no build step between the test and the child. Bytes per MQTT 3.1.1 §2.2, §3.1, §3.3.
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

const cfg = JSON.parse(process.argv[2]);
let until = Date.now() + cfg.durationMs;
// SIGTERM ends the flood early: running attempts finish, then the summary is printed.
process.on('SIGTERM', () => (until = 0));
// Tells the parent the handler is in place: a SIGTERM before this line would kill the process
// without a summary (at nice 19 on a loaded machine that window is long).
process.stderr.write('flood: started\n');
const chunk = Buffer.alloc(64 * 1024);
const stats = { attempts: 0, closedByServer: 0, bytes: 0, refusedLogins: 0 };

function varint(n) {
  const out = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return Buffer.from(out);
}
function str(s) {
  const b = Buffer.from(s);
  const l = Buffer.alloc(2);
  l.writeUInt16BE(b.length);
  return Buffer.concat([l, b]);
}
function connectPacket(id, password) {
  const body = Buffer.concat([str('MQTT'), Buffer.from([4, 0xc2, 0, 30]), str(id), str(id), str(password)]);
  return Buffer.concat([Buffer.from([0x10]), varint(body.length), body]);
}

function attackOnce(login) {
  return new Promise((resolve) => {
    stats.attempts++;
    const sock = connect({ host: '127.0.0.1', port: cfg.port, ...(cfg.localAddress ? { localAddress: cfg.localAddress } : {}) });
    let sent = 0;
    let done = false;
    const finish = (byServer) => {
      if (done) return;
      done = true;
      if (byServer) stats.closedByServer++;
      stats.bytes += sent;
      sock.destroy();
      resolve();
    };
    sock.on('error', () => finish(true));
    sock.on('close', () => finish(true));
    const pump = () => {
      while (!done && sent < cfg.perAttempt) {
        sent += chunk.length;
        if (!sock.write(chunk)) return void sock.once('drain', pump);
      }
      if (!done) finish(false);
    };
    sock.once('connect', () => {
      if (!login) {
        sock.write(Buffer.concat([Buffer.from([0x10]), varint(cfg.announce)]));
        return pump();
      }
      sock.write(connectPacket(login.id, login.password));
      let d = Buffer.alloc(0);
      const onData = (part) => {
        d = Buffer.concat([d, part]);
        if (d.length < 4) return;
        sock.off('data', onData);
        if (d[0] !== 0x20 || d[3] !== 0) {
          stats.refusedLogins++;
          return finish(true);
        }
        const topic = str(`acs/v1/${login.id}/event`);
        sock.write(Buffer.concat([Buffer.from([0x30]), varint(topic.length + cfg.announce), topic]));
        pump();
      };
      sock.on('data', onData);
    });
  });
}

async function client(login) {
  while (Date.now() < until) {
    await attackOnce(login);
    await sleep(cfg.pauseMs ?? 5);
  }
}

await Promise.all([...Array.from({ length: cfg.anonymous }, () => client(undefined)), ...cfg.logins.map((l) => client(l))]);
process.stdout.write(JSON.stringify(stats) + '\n');
