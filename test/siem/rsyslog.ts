import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const RSYSLOGD = '/usr/sbin/rsyslogd';

/** Whether rsyslogd with its TLS driver is installed; when not, says so LOUDLY (never a silent skip). */
export function haveRsyslog(what: string): boolean {
  const gtls = ['/usr/lib/x86_64-linux-gnu/rsyslog/lmnsd_gtls.so', '/usr/lib/aarch64-linux-gnu/rsyslog/lmnsd_gtls.so', '/usr/lib/rsyslog/lmnsd_gtls.so'];
  const ok = existsSync(RSYSLOGD) && spawnSync(RSYSLOGD, ['-v'], { encoding: 'utf8' }).status === 0 && gtls.some((p) => existsSync(p));
  if (!ok)
    console.warn(
      `\n${'!'.repeat(100)}\n!!! SKIPPED: rsyslogd with its TLS driver is not installed, so ${what} is NOT tested against a real syslog daemon here.\n` +
        `!!! Install the Debian packages \`rsyslog rsyslog-gnutls\` (apt-get install rsyslog rsyslog-gnutls; .ci/run does) to run it.\n${'!'.repeat(100)}\n`,
    );
  return ok;
}

export interface Certificates {
  ca: string;
  cert: string;
  key: string;
}

/** A CA and a server certificate for `localhost` (and 127.0.0.1) made with the openssl CLI. */
export function makeCertificates(dir: string): Certificates {
  mkdirSync(dir, { recursive: true });
  const f = (n: string) => join(dir, n);
  const run = (...args: string[]) => {
    const r = spawnSync('openssl', args, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`openssl ${args.join(' ')}: ${r.stderr}`);
  };
  run(
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    f('ca.key'),
    '-out',
    f('ca.pem'),
    '-days',
    '2',
    '-subj',
    '/CN=acs-test-ca',
  );
  run('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', f('server.key'), '-out', f('server.csr'), '-subj', '/CN=localhost');
  writeFileSync(f('ext.cnf'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  run(
    'x509',
    '-req',
    '-in',
    f('server.csr'),
    '-CA',
    f('ca.pem'),
    '-CAkey',
    f('ca.key'),
    '-CAcreateserial',
    '-out',
    f('server.pem'),
    '-days',
    '2',
    '-extfile',
    f('ext.cnf'),
  );
  return { ca: f('ca.pem'), cert: f('server.pem'), key: f('server.key') };
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

/**
 * rsyslogd as a child in the foreground (-n) with its own configuration, pid file and work folder
 * in `dir`: one TLS listener (imtcp with the gtls stream driver, RFC 5425; octet-counted frames
 * are imtcp's default) on 127.0.0.1:`port`, every message written to `received.log` as it came
 * (the `rawmsg` property, one per line). Nothing of the host's syslog is touched.
 */
export class Rsyslog {
  private child?: ChildProcess;
  private output = '';
  readonly received: string;

  constructor(
    private readonly dir: string,
    readonly port: number,
    certs: Certificates,
  ) {
    mkdirSync(join(dir, 'work'), { recursive: true });
    this.received = join(dir, 'received.log');
    writeFileSync(
      join(dir, 'rsyslog.conf'),
      `global(
  workDirectory="${join(dir, 'work')}"
  maxMessageSize="64k"
  defaultNetstreamDriver="gtls"
  defaultNetstreamDriverCAFile="${certs.ca}"
  defaultNetstreamDriverCertFile="${certs.cert}"
  defaultNetstreamDriverKeyFile="${certs.key}"
)
module(load="imtcp" streamDriver.name="gtls" streamDriver.mode="1" streamDriver.authMode="anon")
input(type="imtcp" address="127.0.0.1" port="${port}")
template(name="raw" type="string" string="%rawmsg%\\n")
action(type="omfile" file="${this.received}" template="raw")
`,
    );
  }

  async start(): Promise<void> {
    const child = spawn(RSYSLOGD, ['-n', '-f', join(this.dir, 'rsyslog.conf'), '-i', join(this.dir, 'rsyslogd.pid')], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    child.stdout.on('data', (d: Buffer) => (this.output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (this.output += d.toString()));
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`rsyslogd exited (${child.exitCode}): ${this.output}`);
      if (await accepts(this.port)) return;
      await sleep(100);
    }
    throw new Error(`rsyslogd did not listen on ${this.port}: ${this.output}`);
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGTERM');
    await exited;
  }

  /** Every message received so far, in the order rsyslog wrote them. */
  lines(): string[] {
    if (!existsSync(this.received)) return [];
    return readFileSync(this.received, 'utf8')
      .split('\n')
      .filter((l) => l !== '');
  }

  log(): string {
    return this.output;
  }
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
