import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { collectRoutes, type RouteInfo } from '../support/routes.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

// Routes anyone may call. Everything else must name its callers.
// Sign-in (with its passkey steps) and the reset link's form are public by nature: they are how a person gets a session.
// So is single sign-on: whether it is offered, the redirect to the provider, and its answer.
// The metrics scrape is public to the staff guard and checks METRICS_TOKEN itself (404 without one).
const PUBLIC_ROUTES = new Set([
  'GET /health',
  'GET /ready',
  // Degraded mode's state, public like /ready (a load balancer or the console asks it while the database is gone).
  'GET /health/degraded',
  'GET /metrics',
  'POST /auth/sign-in',
  'POST /auth/sign-in/passkey/options',
  'POST /auth/sign-in/passkey',
  'POST /auth/password-reset',
  'GET /auth/oidc',
  'GET /auth/oidc/start',
  'GET /auth/oidc/callback',
]);

describe('route policy', () => {
  let t: TestApp;
  let routes: RouteInfo[];
  beforeAll(async () => {
    t = await startTestApp();
    routes = collectRoutes(t);
  });
  afterAll(() => t.close());

  it('finds the application routes (the walker itself works)', () => {
    expect(routes.map((r) => r.route)).toEqual(expect.arrayContaining(['POST /staff', 'GET /audit', 'GET /health', 'DELETE /tokens/:tokenId']));
  });

  it('every route declares who may call it', () => {
    expect(routes.filter((r) => r.access === undefined).map((r) => r.route)).toEqual([]);
  });

  it('only health, readiness, the token-checked metrics, sign-in (password and single sign-on) and the password reset are public', () => {
    expect(
      routes
        .filter((r) => r.access?.kind === 'public')
        .map((r) => r.route)
        .sort(),
    ).toEqual([...PUBLIC_ROUTES].sort());
  });

  it('every state-changing route is audited', () => {
    const unaudited = routes.filter((r) => r.method !== 'GET' && !r.audited).map((r) => r.route);
    expect(unaudited).toEqual([]);
  });

  it('every role-restricted route lists at least one role or a customer scope', () => {
    const empty = routes.filter((r) => r.access?.kind === 'roles' && r.access.staff.length === 0 && !r.access.customerParam);
    expect(empty.map((r) => r.route)).toEqual([]);
  });
});
