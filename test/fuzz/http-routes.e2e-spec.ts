import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { attempt, type HistoryFixture, historyFixture } from '../access-log/support.js';
import { fuzzSettings } from '../support/fuzz.js';
import { documentedProblemCodes } from '../support/problem-codes.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

// Every route of the OpenAPI document, called with every kind of token, fed generated bad input
// (wrong types, huge and negative numbers, deep nesting, long strings, unicode edge cases, bad ids
// and cursors). No answer may be a 500; every refusal is problem+json with a documented code; a
// customer token never sees the other customer's data.

interface Operation {
  method: string;
  path: string;
  pathParams: string[];
  queryParams: string[];
  bodyFields: string[];
  hasBody: boolean;
}

interface Answer {
  status: number;
  contentType: string;
  text: string;
}

type OpenApi = {
  paths: Record<
    string,
    Record<string, { parameters?: Array<{ in: string; name: string }>; requestBody?: { content?: Record<string, { schema?: { $ref?: string } }> } }>
  >;
  components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
};

const TOKEN_KINDS = ['admin', 'security', 'compliance', 'auditor', 'customerA', 'customerB', 'none', 'forged'] as const;
type TokenKind = (typeof TOKEN_KINDS)[number];

// Routes whose success is not a JSON document of ours: liveness/readiness (terminus), the docs.
const NOT_PROBLEM_JSON_ON_SUCCESS = new Set(['/health', '/ready']);

function operationsOf(doc: OpenApi): Operation[] {
  const ops: Operation[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
      const params = op.parameters ?? [];
      const ref = op.requestBody?.content?.['application/json']?.schema?.$ref;
      const schema = ref ? doc.components.schemas[ref.split('/').pop()!] : undefined;
      ops.push({
        method: method.toUpperCase(),
        path,
        pathParams: params.filter((p) => p.in === 'path').map((p) => p.name),
        queryParams: params.filter((p) => p.in === 'query').map((p) => p.name),
        bodyFields: Object.keys(schema?.properties ?? {}),
        hasBody: op.requestBody !== undefined,
      });
    }
  }
  return ops;
}

const b64 = (s: string) => Buffer.from(s).toString('base64url');

/** Values no route should take: each is raw (already URL-safe) or encoded by the caller. */
function badScalar(realIds: string[]): fc.Arbitrary<string> {
  return fc.oneof(
    fc.constantFrom('', '0', '-1', '1e400', '-1e400', 'NaN', 'Infinity', '99999999999999999999999', '1.5', 'null', 'true', '[]', '{}'),
    fc.constantFrom("' OR 1=1 --", '..', '../..', '%00', '\u0000', '\u202Egnp.exe', '\u001b[2J', '😀'.repeat(50), 'e\u0301'.repeat(30)),
    fc.constantFrom(...realIds),
    fc.uuid(),
    fc.uuid().map((u) => u.toUpperCase()),
    fc.uuid().map((u) => `${u}x`),
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.string({ unit: 'grapheme', maxLength: 40 }),
    fc.string({ unit: 'binary-ascii', minLength: 1000, maxLength: 3000 }),
    fc.integer().map(String),
    fc.double().map(String),
    fc.constantFrom('{"t":1e400,"id":"x"}', '{"seq":1e400}', '{"seq":-5}', '{"id":{"$ne":null}}', '{"t":1.5,"id":1}', 'null').map(b64),
    fc.base64String({ maxLength: 60 }),
  );
}

function deepJson(depth: number): string {
  return `${'['.repeat(depth)}${']'.repeat(depth)}`;
}

function badJsonValue(realIds: string[]): fc.Arbitrary<string> {
  return fc.oneof(
    badScalar(realIds).map((s) => JSON.stringify(s)),
    fc.constantFrom('1e400', '-1e400', '123456789012345678901234567890', '-1', '0', 'true', 'null', '[]', '{}', '[null]'),
    fc.integer({ min: 2, max: 3000 }).map(deepJson),
    fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
    fc.string({ unit: 'binary', minLength: 5000, maxLength: 20000 }).map((s) => JSON.stringify(s)),
  );
}

/** A JSON body as text: the DTO's own fields with bad values, random JSON, deep nesting, or junk. */
function badBody(op: Operation, realIds: string[]): fc.Arbitrary<string | undefined> {
  const fields = op.bodyFields.length > 0 ? op.bodyFields : ['name', 'id'];
  const ofFields = fc
    .array(fc.tuple(fc.oneof(fc.constantFrom(...fields), fc.string({ maxLength: 12 }), fc.constant('__proto__')), badJsonValue(realIds)), { maxLength: 6 })
    .map((pairs) => `{${pairs.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`);
  return fc.oneof(
    { weight: 5, arbitrary: ofFields },
    { weight: 1, arbitrary: badJsonValue(realIds) },
    { weight: 1, arbitrary: fc.constantFrom('{"a":', '', '\u0000', '{"name":"x"}{"name":"y"}') },
    { weight: 1, arbitrary: fc.constant(undefined) },
  );
}

interface Case {
  op: Operation;
  token: TokenKind;
  path: Record<string, { value: string; raw: boolean }>;
  query: Array<[string, string]>;
  body: string | undefined;
  contentType: string;
}

function caseFor(op: Operation, token: fc.Arbitrary<TokenKind>, realIds: string[]): fc.Arbitrary<Case> {
  const pathValue = fc.oneof(
    { weight: 6, arbitrary: badScalar(realIds).map((value) => ({ value, raw: false })) },
    // Unencoded: dot segments and broken percent escapes reach the router as they are.
    { weight: 1, arbitrary: fc.constantFrom('..', '%', '%E0%A4%A', '%2e%2e', '%00', '%FF').map((value) => ({ value, raw: true })) },
  );
  const names = op.queryParams.length > 0 ? op.queryParams : ['cursor'];
  return fc.record({
    op: fc.constant(op),
    token,
    path: fc.record(Object.fromEntries(op.pathParams.map((p) => [p, pathValue]))) as fc.Arbitrary<Case['path']>,
    query: fc.array(fc.tuple(fc.oneof(fc.constantFrom(...names, 'cursor', 'limit'), fc.string({ maxLength: 8 })), badScalar(realIds)), { maxLength: 4 }),
    body: op.hasBody || op.method !== 'GET' ? badBody(op, realIds) : fc.constant(undefined),
    contentType: fc.constantFrom('application/json', 'application/json', 'application/json', 'text/plain', 'application/x-www-form-urlencoded'),
  });
}

describe('HTTP routes under generated bad input', () => {
  const settings = fuzzSettings();
  let t: TestApp;
  let f: HistoryFixture;
  let port: number;
  let ops: Operation[];
  let tokens: Record<TokenKind, string | undefined>;
  let realIds: string[];
  let codes: Set<string>;
  /** What each customer's token must never see: the other customer's ids and event ids. */
  let secretsOf: { a: string[]; b: string[] };

  beforeAll(async () => {
    t = await startTestApp({
      env: { AUTH_FAILURE_LIMIT: '1000000', MQTT_COMMAND_TIMEOUT_MS: '100', READERS_ENABLED: 'false', PURGE_SCHEDULE_ENABLED: 'false' },
    });
    f = await historyFixture(t);
    const events = await f.log.appendDurable([
      attempt(f, 'a', '2026-11-25T08:00:00Z'),
      attempt(f, 'b', '2026-11-25T08:01:00Z'),
      attempt(f, 'b', '2026-11-25T08:02:00Z'),
    ]);
    const server = t.app.getHttpServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
    const doc = (await t.http().get('/docs/openapi.json').expect(200)).body as OpenApi;
    ops = operationsOf(doc);
    tokens = {
      admin: t.adminToken,
      security: await t.tokenFor('security'),
      compliance: await t.tokenFor('compliance'),
      auditor: await t.tokenFor('auditor'),
      customerA: f.a.token,
      customerB: f.b.token,
      none: undefined,
      forged: 'acs_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
    };
    const s = f.site;
    realIds = [
      f.a.id,
      f.b.id,
      ...f.a.people,
      ...f.b.people,
      s.siteId,
      s.suiteZoneId,
      s.suiteDoorId,
      s.entryReaderId,
      s.controllerId,
      s.officeHoursId,
      s.suiteLevelId,
    ];
    const secrets = (c: { id: string; people: string[] }) => [c.id, ...c.people, ...events.filter((e) => e.customerId === c.id).map((e) => e.id)];
    secretsOf = { a: secrets(f.a), b: secrets(f.b) };
    codes = documentedProblemCodes();
  });
  afterAll(() => t.close());

  function send(c: Case): Promise<Answer> {
    let path = c.op.path;
    for (const [name, v] of Object.entries(c.path)) path = path.replace(`{${name}}`, v.raw ? v.value : encodeURIComponent(v.value));
    const qs = c.query.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
    const token = tokens[c.token];
    const headers: Record<string, string> = { ...(token ? { Authorization: `Bearer ${token}` } : {}) };
    if (c.body !== undefined) {
      headers['Content-Type'] = c.contentType;
      headers['Content-Length'] = String(Buffer.byteLength(c.body));
    }
    return new Promise((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, method: c.op.method, path: qs ? `${path}?${qs}` : path, headers }, (res) => {
        const contentType = String(res.headers['content-type'] ?? '');
        // A live stream that opened is an answer: read no further.
        if (contentType.startsWith('text/event-stream')) {
          res.destroy();
          resolve({ status: res.statusCode ?? 0, contentType, text: '' });
          return;
        }
        const chunks: Buffer[] = [];
        res.on('data', (d: Buffer) => chunks.push(d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, contentType, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      req.setTimeout(10_000, () => req.destroy(new Error(`no answer in 10 s: ${c.op.method} ${path}`)));
      req.on('error', reject);
      req.end(c.body);
    });
  }

  function check(c: Case, a: Answer): void {
    const where = `${c.op.method} ${c.op.path} as ${c.token}`;
    expect({ where, status: a.status < 500 || a.status === 503 }).toEqual({ where, status: true });
    const isProblem = a.contentType.startsWith('application/problem+json');
    if (a.status >= 400 && !(NOT_PROBLEM_JSON_ON_SUCCESS.has(c.op.path) && a.status === 503)) {
      const body = isProblem ? (JSON.parse(a.text) as { code?: string }) : {};
      expect({ where, isProblem, code: body.code, documented: codes.has(body.code ?? '') }).toEqual({
        where,
        isProblem: true,
        code: body.code,
        documented: true,
      });
    }
    if (c.token === 'customerA' || c.token === 'customerB') {
      const theirs = secretsOf[c.token === 'customerA' ? 'b' : 'a'];
      // An id the caller sent may come back in a refusal; anything else of the other customer may not.
      const sent = JSON.stringify([c.path, c.query, c.body]);
      const leaked = theirs.filter((s) => a.text.includes(s) && !sent.includes(s));
      const reachedTheirs = a.status < 300 && theirs.some((s) => Object.values(c.path).some((v) => v.value === s));
      expect({ where, status: a.status, leaked, reachedTheirs }).toEqual({ where, status: a.status, leaked: [], reachedTheirs: false });
    }
  }

  it('has the routes to fuzz', () => {
    expect(ops.length).toBeGreaterThan(50);
    expect(ops.some((o) => o.path === '/customers/{customerId}/access-events')).toBe(true);
  });

  it("answers every route, with every kind of token, without a 500, a stray code or another tenant's data", async () => {
    // Every route meets every token kind at least once; then random cases across everything.
    const runsPerPair = settings.factor;
    let calls = 0;
    let pair = 0;
    for (const op of ops) {
      for (const kind of TOKEN_KINDS) {
        // A seed of its own per pair, so routes do not all get the same shape of input.
        const seed = settings.seed + pair++;
        await fc.assert(
          fc.asyncProperty(caseFor(op, fc.constant(kind), realIds), async (c) => {
            calls++;
            check(c, await send(c));
          }),
          { seed, numRuns: runsPerPair },
        );
      }
    }
    expect(calls).toBeGreaterThanOrEqual(ops.length * TOKEN_KINDS.length);
  }, 600_000);

  it('answers random cases across routes and tokens the same way', async () => {
    const anyCase = fc.constantFrom(...ops).chain((op) => caseFor(op, fc.constantFrom(...TOKEN_KINDS), realIds));
    const numRuns = 150 * settings.factor;
    let calls = 0;
    await fc.assert(
      fc.asyncProperty(anyCase, async (c) => {
        calls++;
        check(c, await send(c));
      }),
      { seed: settings.seed, numRuns },
    );
    expect(calls).toBe(numRuns);
  }, 600_000);
});
