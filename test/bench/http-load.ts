/**
 * HTTP load from another process, as the people who cause it would send it: browsers and
 * scripts on other machines, each with its own kept-alive connection.
 *
 * Why not supertest in the benchmark's own process: the load would then be the server's load
 * plus the clients' (request building, response parsing) on the one event loop the badge-ins are
 * measured on, and supertest on an app that is not listening opens and closes a server for every
 * request. Neither happens in production, so neither belongs in "badge-in p99 during 20 sign-ins".
 *
 * `startHttpLoad` forks this same file (compiled) with an IPC channel; the child runs `workers`
 * loops, each sending its own request over and over, until told to stop, then reports counts.
 */
import { fork } from 'node:child_process';
import { Agent, request } from 'node:http';
import os from 'node:os';
import { fileURLToPath } from 'node:url';

export interface LoadRequest {
  method: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  body?: unknown;
  /** The status every answer must have. */
  expect: number;
}

interface Start {
  type: 'start';
  port: number;
  /** One request per loop. */
  requests: LoadRequest[];
}
type Stop = { type: 'stop' };
type Report = { type: 'report'; count: number; failures: string[] } | { type: 'ready' };

export interface HttpLoad {
  done: Promise<unknown>;
  stop: () => void;
  count: () => number;
}

/** Starts the loops in a child process once it is up; `done` settles with the child's report. */
export async function startHttpLoad(port: number, requests: LoadRequest[]): Promise<HttpLoad> {
  const child = fork(fileURLToPath(import.meta.url), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let count = 0;
  const report = new Promise<void>((resolve, reject) => {
    child.on('message', (m: Report) => {
      if (m.type !== 'report') return;
      count = m.count;
      if (m.failures.length > 0) reject(new Error(`HTTP load: ${m.failures.length} failed, first: ${m.failures[0]}`));
      else resolve();
    });
    child.on('exit', (code) => reject(new Error(`HTTP load process exited (${code}) before its report`)));
  });
  await new Promise<void>((resolve, reject) => {
    child.once('message', (m: Report) => (m.type === 'ready' ? resolve() : reject(new Error('HTTP load: unexpected first message'))));
    child.once('error', reject);
  });
  child.send({ type: 'start', port, requests } satisfies Start);
  return {
    done: report,
    stop: () => child.send({ type: 'stop' } satisfies Stop),
    count: () => count,
  };
}

function once(agent: Agent, port: number, r: LoadRequest): Promise<void> {
  const body = r.body === undefined ? undefined : JSON.stringify(r.body);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: r.method,
        path: r.path,
        agent,
        headers: { ...r.headers, ...(body ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } : {}) },
      },
      (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === r.expect ? resolve() : reject(new Error(`${r.method} ${r.path} answered ${res.statusCode}`))));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function child(): Promise<void> {
  // The clients stand in for browsers on other machines: at the lowest priority, the server's
  // threads take the cores first, and what is measured is the server's work, not the load
  // generator's (on a two-core machine a woken client otherwise preempts the loop it sends to).
  os.setPriority(19);
  const send = (m: Report) => process.send!(m);
  process.on('message', (m: Start | Stop) => {
    if (m.type === 'stop') running = false;
    else void run(m);
  });
  let running = true;
  send({ type: 'ready' });

  async function run(m: Start): Promise<void> {
    // One connection per loop, kept alive: a browser's session, not a new handshake per request.
    const agent = new Agent({ keepAlive: true, maxSockets: m.requests.length });
    let count = 0;
    const failures: string[] = [];
    await Promise.all(
      m.requests.map(async (r) => {
        while (running) {
          try {
            await once(agent, m.port, r);
            count++;
          } catch (err) {
            failures.push((err as Error).message);
            return;
          }
        }
      }),
    );
    agent.destroy();
    send({ type: 'report', count, failures });
    process.disconnect();
  }
}

if (process.send && process.argv[1] === fileURLToPath(import.meta.url)) await child();
