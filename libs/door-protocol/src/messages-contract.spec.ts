import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { load } from 'js-yaml';
import { DOOR_MESSAGE_SCHEMAS } from './generated/door-schemas.js';
import {
  BODY_VALIDATORS,
  COMMAND_NAMES,
  DOOR_MODES,
  EVENT_TYPES,
  MAX_DOORS,
  MAX_UNLOCK_MS,
  REPLY_CODES,
  parseEnvelope,
  validateCommand,
  type DoorAlarm,
  type DoorMessageBodies,
  type DoorMode,
  type StatusBody,
} from './messages.js';
import type { DoorMessageKey } from './schema-validation.js';
import { signEnvelope, verifyEnvelope } from './signing.js';
import { commandTopic } from './topics.js';

/**
 * The door message contract has three faces: the AsyncAPI document (the source), the validators
 * generated from it, and the TypeScript types the code is written against. This spec proves they
 * agree on every message: at compile time (the type assertions below fail `npm run typecheck`),
 * and at run time (samples generated from each schema pass its validator, and every required
 * field, unknown key and enum is refused the same way).
 */

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

// ---- compile time: every message has a type, and the type is what its schema describes ----------

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type Assert<T extends true> = T;
type RequiredKeys<T> = { [K in keyof T]-?: object extends Pick<T, K> ? never : K }[keyof T];
type Body<K extends DoorMessageKey> = (typeof DOOR_MESSAGE_SCHEMAS)[K]['body'];
/** The value type a (referenced-inlined) schema describes: enough of JSON Schema for these messages. */
type FromSchema<S> = S extends { const: infer C }
  ? C
  : S extends { enum: readonly (infer E)[] }
    ? E
    : S extends { type: 'integer' }
      ? number
      : S extends { type: 'string' }
        ? string
        : S extends { type: 'boolean' }
          ? boolean
          : S extends { type: 'array'; items: infer I }
            ? FromSchema<I>[]
            : S extends { type: 'object'; properties: infer P; required: readonly (infer R)[] }
              ? { [K in keyof P as K extends R ? K : never]: FromSchema<P[K]> } & { [K in keyof P as K extends R ? never : K]?: FromSchema<P[K]> }
              : never;
type Agrees<K extends DoorMessageKey> = [
  Equal<RequiredKeys<DoorMessageBodies[K]>, Body<K>['required'][number]>,
  Equal<keyof DoorMessageBodies[K], keyof Body<K>['properties']>,
  [DoorMessageBodies[K]] extends [FromSchema<Body<K>>] ? true : false,
  [FromSchema<Body<K>>] extends [DoorMessageBodies[K]] ? true : false,
];
type EveryMessageAgrees = { [K in DoorMessageKey]: Agrees<K> extends [true, true, true, true] ? true : K }[DoorMessageKey];

// Never used: compiling it is the proof.
type _ContractProof = [
  Assert<Equal<keyof DoorMessageBodies, DoorMessageKey>>,
  Assert<EveryMessageAgrees>,
  Assert<Equal<DoorMode, Body<'setMode'>['properties']['mode']['enum'][number]>>,
  Assert<Equal<DoorAlarm, Body<'state'>['properties']['doors']['items']['properties']['alarm']['enum'][number]>>,
  Assert<Equal<StatusBody['status'], Body<'status'>['properties']['status']['enum'][number]>>,
];

// ---- run time ------------------------------------------------------------------------------------

interface JsonSchema {
  type?: string;
  const?: unknown;
  enum?: readonly string[];
  minimum?: number;
  maximum?: number;
  pattern?: string;
  maxItems?: number;
  items?: JsonSchema;
  properties?: Record<string, JsonSchema>;
  required?: readonly string[];
}

/** Valid values of a schema; integers over the whole range, with the bounds themselves likely. */
function arbitrary(s: JsonSchema): fc.Arbitrary<unknown> {
  if (s.const !== undefined) return fc.constant(s.const);
  if (s.enum) return fc.constantFrom(...s.enum);
  switch (s.type) {
    case 'integer':
      return fc.bigInt({ min: BigInt(s.minimum!), max: BigInt(s.maximum!) }).map(Number);
    case 'string':
      return fc.stringMatching(new RegExp(s.pattern!));
    case 'boolean':
      return fc.boolean();
    case 'array':
      return fc.array(arbitrary(s.items!), { maxLength: Math.min(s.maxItems!, 4) });
    case 'object':
      return fc.record(Object.fromEntries(Object.entries(s.properties!).map(([k, v]) => [k, arbitrary(v)])), { requiredKeys: [...s.required!] });
  }
  throw new Error(`no arbitrary for ${JSON.stringify(s)}`);
}

const KEYS = Object.keys(DOOR_MESSAGE_SCHEMAS) as DoorMessageKey[];
const schemaOf = (key: DoorMessageKey) => DOOR_MESSAGE_SCHEMAS[key].body as JsonSchema;
const kindOf = (key: DoorMessageKey) => (DOOR_MESSAGE_SCHEMAS[key].channel === 'command' ? 'command' : DOOR_MESSAGE_SCHEMAS[key].channel);
const RUNS = { numRuns: 200 };

describe('door message contract (AsyncAPI, validators, TypeScript types)', () => {
  it('the generated schemas and validators are those of the AsyncAPI document in the tree', () => {
    expect(() => execFileSync(process.execPath, ['scripts/gen-door-schemas.mjs', '--check'], { cwd: ROOT, stdio: 'pipe' })).not.toThrow();
  });

  it('every message of the document has a validator and a TypeScript type, and nothing else has', () => {
    const doc = load(readFileSync(`${ROOT}hardware/door-protocol/asyncapi.yaml`, 'utf8')) as { components: { messages: Record<string, { name: string }> } };
    expect(Object.keys(BODY_VALIDATORS).sort()).toEqual(Object.keys(doc.components.messages).sort());
    expect([...KEYS].sort()).toEqual(Object.keys(doc.components.messages).sort());
    for (const key of KEYS) expect(DOOR_MESSAGE_SCHEMAS[key].name).toBe(doc.components.messages[key]!.name);
  });

  it('the constants of the code are the enums and bounds of the document', () => {
    const commands = KEYS.filter((k) => DOOR_MESSAGE_SCHEMAS[k].channel === 'command');
    expect(commands.map((k) => schemaOf(k).properties!.cmd!.const)).toEqual([...COMMAND_NAMES]);
    expect(commands.map((k) => DOOR_MESSAGE_SCHEMAS[k].name)).toEqual([...COMMAND_NAMES]);
    expect(schemaOf('reply').properties!.cmd!.enum).toEqual(COMMAND_NAMES);
    expect(schemaOf('reply').properties!.code!.enum).toEqual(REPLY_CODES);
    expect(schemaOf('event').properties!.type!.enum).toEqual(EVENT_TYPES);
    expect(schemaOf('setMode').properties!.mode!.enum).toEqual(DOOR_MODES);
    expect(schemaOf('state').properties!.doors!.items!.properties!.mode!.enum).toEqual(DOOR_MODES);
    expect(schemaOf('state').properties!.doors!.maxItems).toBe(MAX_DOORS);
    expect(schemaOf('unlock').properties!.door!.maximum).toBe(MAX_DOORS);
    expect(schemaOf('unlock').properties!.durationMs!.maximum).toBe(MAX_UNLOCK_MS);
  });

  it.each(KEYS)('%s: every sample generated from the schema passes its validator, signed and parsed as on the wire', (key) => {
    const secret = randomBytes(32);
    const topic = commandTopic('c1');
    fc.assert(
      fc.property(arbitrary(schemaOf(key)), (sample) => {
        const env = parseEnvelope(JSON.stringify(signEnvelope(secret, topic, sample)));
        expect(env.ok && verifyEnvelope(secret, topic, env.value)).toBe(true);
        expect(BODY_VALIDATORS[key](env.ok ? env.value.body : null)).toEqual({ ok: true, value: sample });
      }),
      RUNS,
    );
  });

  it.each(KEYS.filter((k) => DOOR_MESSAGE_SCHEMAS[k].channel === 'command'))('%s: validateCommand accepts a sample addressed to the controller', (key) => {
    fc.assert(
      fc.property(arbitrary(schemaOf(key)), (sample) => {
        const body = 'replyTo' in (sample as object) ? { ...(sample as object), replyTo: 'acs/v1/c1/reply' } : sample;
        expect(validateCommand(body, 'c1')).toEqual({ ok: true, value: body });
      }),
      RUNS,
    );
  });

  it.each(KEYS)('%s: a missing required field, an unknown key and an enum value outside the list are refused by name', (key) => {
    const schema = schemaOf(key);
    const kind = kindOf(key);
    const enums = Object.entries(schema.properties!).filter(([, p]) => p.enum);
    fc.assert(
      fc.property(arbitrary(schema), fc.constantFrom(...schema.required!), (sample, field) => {
        const body = sample as Record<string, unknown>;
        const { [field]: _dropped, ...missing } = body;
        expect(BODY_VALIDATORS[key](missing)).toEqual({ ok: false, error: `${kind}.${field} is required` });
        expect(BODY_VALIDATORS[key]({ ...body, smuggled: 1 })).toEqual({ ok: false, error: `${kind}.smuggled is not allowed` });
        for (const [name, p] of enums) {
          expect(BODY_VALIDATORS[key]({ ...body, [name]: 'not-in-the-list' })).toEqual({
            ok: false,
            error: `${kind}.${name} must be one of ${p.enum!.join('|')}`,
          });
        }
      }),
      RUNS,
    );
  });

  it.each(KEYS)('%s: every integer bound of the schema is enforced, one past either end', (key) => {
    const schema = schemaOf(key);
    const kind = kindOf(key);
    fc.assert(
      fc.property(arbitrary(schema), (sample) => {
        for (const [name, p] of Object.entries(schema.properties!).filter(([, p]) => p.type === 'integer')) {
          const error = `${kind}.${name} must be an integer in [${p.minimum}, ${p.maximum}]`;
          for (const bad of [p.minimum! - 1, p.maximum! + 1, 1.5])
            expect(BODY_VALIDATORS[key]({ ...(sample as object), [name]: bad })).toEqual({ ok: false, error });
        }
      }),
      { numRuns: 20 },
    );
  });
});
