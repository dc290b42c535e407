import { DOOR_MESSAGE_SCHEMAS } from './generated/door-schemas.js';
import * as generated from './generated/door-validators.js';
import type { Validated } from './messages.js';

export type DoorMessageKey = keyof typeof DOOR_MESSAGE_SCHEMAS;

/** The error objects of ajv's generated code (allErrors off: at most one). */
export interface SchemaError {
  instancePath: string;
  schemaPath: string;
  keyword: string;
  params: Record<string, unknown>;
}
type GeneratedValidator = ((data: unknown) => boolean) & { errors?: SchemaError[] | null };

interface SchemaNode {
  type?: string;
  enum?: readonly unknown[];
  const?: unknown;
  minimum?: number;
  maximum?: number;
  maxItems?: number;
  properties?: Record<string, unknown>;
}

/** `/doors/0/mode` → `.doors[0].mode`, the path form of the protocol's rejections (and of the README). */
function pathOf(instancePath: string): string {
  if (instancePath === '') return '';
  return instancePath
    .slice(1)
    .split('/')
    .map((seg) => seg.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((seg) => (/^\d+$/.test(seg) ? `[${seg}]` : `.${seg}`))
    .join('');
}

/** The schema a keyword failed in: `#/properties/doors/items/properties/mode/enum` → that `mode` schema. */
function failedSchema(root: object, schemaPath: string): SchemaNode {
  const segments = schemaPath.replace(/^#\/?/, '').split('/').slice(0, -1);
  let node: unknown = root;
  for (const seg of segments) node = (node as Record<string, unknown> | undefined)?.[seg];
  return (node ?? {}) as SchemaNode;
}

/**
 * Words a schema error the way the protocol's rejections have always read ("command.door must be
 * an integer in [1, 64]"): clear to an integrator, and free of the value itself, so a refusal can
 * be logged and audited without echoing what the sender put in the body.
 */
export function describeSchemaError(name: string, schema: object, err: SchemaError): string {
  const at = `${name}${pathOf(err.instancePath)}`;
  if (err.keyword === 'additionalProperties') return `${at}.${String(err.params.additionalProperty)} is not allowed`;
  if (err.keyword === 'required') return `${at}.${String(err.params.missingProperty)} is required`;
  const node = failedSchema(schema, err.schemaPath);
  if (node.enum) return `${at} must be one of ${node.enum.join('|')}`;
  if (node.const !== undefined) return `${at} must be ${JSON.stringify(node.const)}`;
  switch (node.type) {
    case 'integer':
      return `${at} must be an integer in [${node.minimum ?? Number.MIN_SAFE_INTEGER}, ${node.maximum ?? Number.MAX_SAFE_INTEGER}]`;
    case 'boolean':
      return `${at} must be a boolean`;
    case 'object':
      return `${at} must be an object`;
    case 'array':
      return `${at} must be an array of at most ${node.maxItems}`;
    default:
      return `${at} is malformed`;
  }
}

/**
 * The validator of one AsyncAPI message's body (ajv's code generated from the YAML by
 * scripts/gen-door-schemas.mjs); `name` prefixes error paths ("command", "reply").
 *
 * ajv reports a missing field before an unknown one; an unknown key at the top is reported first,
 * as it always was, because it usually means a message of another type or version. That look runs
 * only on the failure path and uses the schema's own property list (additionalProperties: false).
 */
export function bodyValidator<T>(key: DoorMessageKey, name: string): (body: unknown) => Validated<T> {
  const validate = generated[key] as GeneratedValidator;
  const schema = DOOR_MESSAGE_SCHEMAS[key].body;
  const known: Record<string, unknown> = schema.properties;
  return (body) => {
    if (validate(body)) return { ok: true, value: body as T };
    if (typeof body === 'object' && body !== null && !Array.isArray(body)) {
      const extra = Object.keys(body).find((k) => !Object.hasOwn(known, k));
      if (extra !== undefined) return { ok: false, error: `${name}.${extra} is not allowed` };
    }
    return { ok: false, error: describeSchemaError(name, schema, validate.errors![0]!) };
  };
}
