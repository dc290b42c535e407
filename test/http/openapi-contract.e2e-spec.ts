import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { RequestMethod } from '@nestjs/common';
import { HTTP_CODE_METADATA, METHOD_METADATA } from '@nestjs/common/constants.js';
import { ModulesContainer } from '@nestjs/core';
import { startTestApp, type TestApp } from '../support/test-app.js';

type Schema = {
  $ref?: string;
  type?: string;
  nullable?: boolean;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  allOf?: Schema[];
  enum?: unknown[];
  additionalProperties?: boolean | Schema;
};
interface Operation {
  operationId: string;
  responses: Record<string, { content?: Record<string, { schema?: Schema }> }>;
}
interface OpenApi {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema> };
}

/**
 * The OpenAPI document is the contract the console's types are generated from
 * (apps/console/src/generated/api-types.ts): every route must say what it answers, with the
 * status Nest really sends, and the problem schema must be what ProblemDetailsFilter sends.
 */
describe('OpenAPI contract', () => {
  let t: TestApp;
  let doc: OpenApi;
  beforeAll(async () => {
    t = await startTestApp();
    doc = (await t.http().get('/docs/openapi.json').expect(200)).body as OpenApi;
  });
  afterAll(() => t.close());

  const operations = () => Object.entries(doc.paths).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => ({ path, method, op })));

  /** operationId (`Controller_method`, @nestjs/swagger's default) → the status Nest answers a success with. */
  function successStatuses(): Map<string, number> {
    const out = new Map<string, number>();
    for (const mod of t.app.get(ModulesContainer).values()) {
      for (const wrapper of mod.controllers.values()) {
        const proto = (wrapper.metatype as { prototype: Record<string, unknown> }).prototype;
        for (const key of Object.getOwnPropertyNames(proto)) {
          const handler = proto[key];
          if (typeof handler !== 'function' || key === 'constructor') continue;
          const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
          if (method === undefined) continue;
          const explicit = Reflect.getMetadata(HTTP_CODE_METADATA, handler) as number | undefined;
          out.set(`${wrapper.metatype!.name}_${key}`, explicit ?? (method === RequestMethod.POST ? 201 : 200));
        }
      }
    }
    return out;
  }

  it('documents, for every operation, the success status Nest sends with a response schema (or 204 without a body)', () => {
    const statuses = successStatuses();
    const ops = operations();
    expect(ops.length).toBeGreaterThan(100);
    const wrong: string[] = [];
    for (const { path, method, op } of ops) {
      const expected = statuses.get(op.operationId);
      const documented = Object.keys(op.responses).filter((s) => /^2\d\d$/.test(s));
      const where = `${method.toUpperCase()} ${path} (${op.operationId})`;
      if (expected === undefined) {
        wrong.push(`${where}: no handler found`);
      } else if (documented.length !== 1 || Number(documented[0]) !== expected) {
        wrong.push(`${where}: sends ${expected}, documents ${documented.join(', ') || 'no success response'}`);
      } else if (expected === 204) {
        if (op.responses['204'].content) wrong.push(`${where}: 204 documents a body`);
      } else {
        const content = Object.values(op.responses[documented[0]].content ?? {});
        if (content.length === 0 || content.some((c) => !c.schema)) wrong.push(`${where}: ${expected} without a response schema`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('describes every member of every schema (no object without members, which would generate as Record<string, never>)', () => {
    const vague: string[] = [];
    const visit = (schema: Schema, at: string) => {
      if (schema.$ref || schema.allOf || schema.enum) return;
      if (!schema.type) vague.push(`${at}: no type`);
      if (schema.type === 'object' && !schema.properties && !schema.additionalProperties) vague.push(`${at}: object without members`);
      if (schema.items) visit(schema.items, `${at}[]`);
      for (const [k, v] of Object.entries(schema.properties ?? {})) visit(v, `${at}.${k}`);
    };
    for (const [name, schema] of Object.entries(doc.components.schemas)) visit(schema, name);
    expect(vague).toEqual([]);
  });

  it('documents problem+json as the error response of every operation', () => {
    const missing = operations()
      .filter(({ op }) => op.responses.default?.content?.['application/problem+json']?.schema?.$ref !== '#/components/schemas/ProblemView')
      .map(({ path, method }) => `${method.toUpperCase()} ${path}`);
    expect(missing).toEqual([]);
  });

  /** The document's schema against a body: every member declared, of the declared type; required ones present. */
  function violations(schema: Schema, value: unknown, at = '$'): string[] {
    if (schema.$ref) return violations(doc.components.schemas[schema.$ref.replace('#/components/schemas/', '')], value, at);
    if (schema.allOf) return schema.allOf.flatMap((s) => violations(s, value, at));
    if (value === null) return schema.nullable ? [] : [`${at}: null`];
    const type = Array.isArray(value) ? 'array' : Number.isInteger(value) ? 'integer' : typeof value;
    const ok = schema.type === type || (schema.type === 'number' && type === 'integer');
    if (!ok) return [`${at}: ${type}, documented ${schema.type}`];
    if (type === 'array') return (value as unknown[]).flatMap((v, i) => violations(schema.items!, v, `${at}[${i}]`));
    if (type !== 'object') return [];
    const props = schema.properties ?? {};
    const body = value as Record<string, unknown>;
    return [
      ...(schema.required ?? []).filter((k) => !(k in body)).map((k) => `${at}.${k}: missing`),
      ...Object.entries(body).flatMap(([k, v]) => (props[k] ? violations(props[k], v, `${at}.${k}`) : [`${at}.${k}: not documented`])),
    ];
  }

  it('describes the problem documents the filter really sends, validation errors included', async () => {
    const problem: Schema = { $ref: '#/components/schemas/ProblemView' };
    const admin = `Bearer ${t.adminToken}`;
    const bodies = [
      // validation.failed with `errors`: one item per field, its rules under `problems`
      (await t.http().post('/staff').set('Authorization', admin).send({ username: 'Not Valid!', role: 'superuser', isAdmin: true }).expect(400)).body,
      // malformed JSON (body-parser)
      (await t.http().post('/staff').set('Authorization', admin).set('Content-Type', 'application/json').send('{"username":').expect(400)).body,
      // no token
      (await t.http().get('/staff').expect(401)).body,
      // no route
      (await t.http().get('/no-such-route').set('Authorization', admin).expect(404)).body,
      // an HTTP exception from a pipe
      (await t.http().get('/customers/not-a-uuid').set('Authorization', admin).expect(400)).body,
    ] as Array<Record<string, unknown>>;
    expect((bodies[0].errors as unknown[]).length).toBeGreaterThan(0);
    for (const body of bodies) expect(violations(problem, body)).toEqual([]);
    // The schema can fail: a drifted `errors` item (the console once expected `rules`) is caught.
    expect(violations(problem, { ...bodies[0], errors: [{ field: 'x', rules: ['y'] }] })).toEqual([
      '$.errors[0].problems: missing',
      '$.errors[0].rules: not documented',
    ]);
  });
});
