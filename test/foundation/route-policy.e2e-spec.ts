import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants.js';
import { MetadataScanner, ModulesContainer, Reflector } from '@nestjs/core';
import { ACCESS_POLICY, type AccessPolicy, AUDIT_POLICY } from '@acs/auth';
import { startTestApp, type TestApp } from '../support/test-app.js';

interface RouteInfo {
  route: string;
  method: string;
  access?: AccessPolicy;
  audited: boolean;
}

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

function collectRoutes(t: TestApp): RouteInfo[] {
  const scanner = new MetadataScanner();
  const reflector = t.app.get(Reflector);
  const routes: RouteInfo[] = [];
  const controllers = [...t.app.get(ModulesContainer).values()].flatMap((m) => [...m.controllers.values()]);
  for (const wrapper of controllers) {
    const { instance, metatype } = wrapper;
    if (!instance || !metatype) continue;
    const base = String(Reflect.getMetadata(PATH_METADATA, metatype) ?? '');
    const proto = Object.getPrototypeOf(instance) as object;
    for (const name of scanner.getAllMethodNames(proto)) {
      const handler = (proto as Record<string, unknown>)[name] as (...args: unknown[]) => unknown;
      const path = Reflect.getMetadata(PATH_METADATA, handler) as string | undefined;
      if (path === undefined) continue;
      const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod];
      const full = `/${[base, path]
        .map((p) => p.replace(/^\/|\/$/g, ''))
        .filter(Boolean)
        .join('/')}`;
      routes.push({
        route: `${method} ${full}`,
        method,
        access: reflector.getAllAndOverride<AccessPolicy | undefined>(ACCESS_POLICY, [handler, metatype]),
        audited: reflector.get(AUDIT_POLICY, handler) !== undefined,
      });
    }
  }
  return routes;
}

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
