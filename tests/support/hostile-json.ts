/**
 * Random and hostile JSON for fuzzing the fronts (issue 14.4). Values are generated as a small
 * syntax tree and written out by hand, so an object can carry keys that a JavaScript object
 * literal cannot (`__proto__` as an own key, the same key twice) and the text is exactly what
 * goes over the wire. Inputs that follow a call's schema come from the schema itself
 * (`z.toJSONSchema`), so every call of the contract gets values that reach its handler, with a
 * hostile value put in at any place now and then.
 */
import fc from 'fast-check';
import { z } from 'zod';

/** A JSON value: arrays as arrays, objects as their entries in order (keys may repeat). */
export type Json = null | boolean | number | string | Json[] | { entries: [string, Json][] };

export function jsonText(value: Json): string {
  if (Array.isArray(value)) return `[${value.map(jsonText).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${value.entries.map(([k, v]) => `${JSON.stringify(k)}:${jsonText(v)}`).join(',')}}`;
  }
  // NaN and the infinities have no JSON spelling; JSON.stringify writes them as null.
  return JSON.stringify(value);
}

/** Keys that mean something to JavaScript objects, or to a naive merge. */
export const PROTOTYPE_KEYS = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'valueOf',
  'hasOwnProperty',
  '__defineGetter__',
  '',
];

/** Strings that have broken parsers, path checks and shells elsewhere. */
export function hostileStrings(places: string[]): string[] {
  return [
    '',
    ' ',
    '..',
    '.',
    '/',
    '../../../../etc/passwd',
    '/etc/../etc/shadow',
    'a\0b',
    '\0',
    '/tmp/\0/x',
    '%00',
    '%2e%2e%2f',
    '\\..\\..\\windows',
    '-oProxyCommand=touch /tmp/tessera-fuzz-pwned',
    '--help',
    '$(touch /tmp/tessera-fuzz-pwned)',
    '`id`',
    '; rm -rf ~',
    '\n[Service]\nExecStart=/bin/sh',
    '\u202e\u0000\ud800',
    '\ud83d\ude00'.repeat(50),
    'x'.repeat(5000),
    ...PROTOTYPE_KEYS,
    ...places.flatMap((p) => [p, `${p}/..`, `${p}/../..`, `${p}/x/../../y`, `${p}\0`, `${p}/`]),
  ];
}

export interface HostileOptions {
  /** Paths worth pointing at: the test's own dirs, decoys outside them, a simulated host. */
  places: string[];
  /** Strings that name things that exist (a VM's id), so calls get past "no such VM". */
  names: string[];
}

export function hostileLeaf(options: HostileOptions): fc.Arbitrary<Json> {
  return fc.oneof(
    fc.constantFrom(...hostileStrings(options.places), ...options.names),
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.constantFrom(0, -1, 1, -0, 0.5, 2 ** 31, 2 ** 53, -(2 ** 53), 1e308, -1e308, 5e-324, NaN, Infinity),
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    // Huge but well under the frame limit: a string field's own maximum is what refuses it.
    fc.integer({ min: 10_000, max: 300_000 }).map((n) => 'A'.repeat(n)),
  );
}

/** Any JSON at all, with hostile keys and leaves, a few levels deep. */
export function hostileValue(options: HostileOptions): fc.Arbitrary<Json> {
  const key = fc.oneof(fc.constantFrom(...PROTOTYPE_KEYS, ...options.names), fc.string({ maxLength: 12 }));
  const { value } = fc.letrec<{ value: Json }>((tie) => ({
    value: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      hostileLeaf(options),
      fc.array(tie('value'), { maxLength: 4 }),
      fc.array(fc.tuple(key, tie('value')), { maxLength: 4 }).map((entries) => ({ entries })),
    ),
  }));
  return value;
}

type JsonSchema = {
  type?: string | string[];
  const?: unknown;
  enum?: unknown[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: JsonSchema | boolean;
  items?: JsonSchema;
  prefixItems?: JsonSchema[];
  minItems?: number;
  maxItems?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
};

function toJson(value: unknown): Json {
  if (Array.isArray(value)) return value.map(toJson);
  if (value !== null && typeof value === 'object') {
    return { entries: Object.entries(value).map(([k, v]) => [k, toJson(v)]) };
  }
  return value as Json;
}

function patternString(pattern: string): fc.Arbitrary<string> {
  try {
    return fc.stringMatching(new RegExp(pattern));
  } catch {
    return fc.string({ maxLength: 40 }); // a pattern fast-check cannot generate from
  }
}

function fromSchema(schema: JsonSchema, options: HostileOptions): fc.Arbitrary<Json> {
  const variants = schema.anyOf ?? schema.oneOf ?? schema.allOf;
  if (variants && variants.length > 0) return fc.oneof(...variants.map((s) => fromSchema(s, options)));
  if (schema.const !== undefined) return fc.constant(toJson(schema.const));
  if (schema.enum) return fc.constantFrom(...schema.enum.map(toJson));
  const type = Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : [];
  if (type.length > 1) return fc.oneof(...type.map((t) => fromSchema({ ...schema, type: t }, options)));
  switch (type[0]) {
    case 'null':
      return fc.constant(null);
    case 'boolean':
      return fc.boolean();
    case 'integer':
    case 'number': {
      const min = schema.minimum ?? schema.exclusiveMinimum ?? -1e6;
      const max = schema.maximum ?? schema.exclusiveMaximum ?? 1e6;
      return type[0] === 'integer'
        ? fc.integer({ min: Math.max(min, -(2 ** 31)), max: Math.min(max, 2 ** 31) })
        : fc.double({ min, max, noNaN: true });
    }
    case 'string': {
      if (schema.format === 'date-time') return fc.date({ noInvalidDate: true }).map((d) => d.toISOString());
      const made = schema.pattern
        ? patternString(schema.pattern)
        : fc.string({ minLength: schema.minLength ?? 0, maxLength: Math.min(schema.maxLength ?? 40, 40) });
      return fc.oneof({ weight: 3, arbitrary: made }, fc.constantFrom(...options.names, ...options.places));
    }
    case 'array': {
      const items = schema.prefixItems;
      if (items) return fc.tuple(...items.map((s) => fromSchema(s, options)));
      return fc.array(fromSchema(schema.items ?? {}, options), {
        minLength: Math.min(schema.minItems ?? 0, 4),
        maxLength: Math.min(schema.maxItems ?? 4, 4),
      });
    }
    case 'object': {
      const properties = Object.entries(schema.properties ?? {});
      const required = new Set(schema.required ?? []);
      const known = fc.tuple(
        ...properties.map(([key, s]) =>
          fc.option(
            fromSchema(s, options).map((v): [string, Json] => [key, v]),
            { freq: required.has(key) ? 12 : 2 },
          ),
        ),
      );
      const extra = schema.additionalProperties;
      const others =
        typeof extra === 'object'
          ? fc.array(fc.tuple(fc.string({ maxLength: 12 }), fromSchema(extra, options)), { maxLength: 3 })
          : fc.constant([] as [string, Json][]);
      return fc.tuple(known, others).map(([k, o]) => ({
        entries: [...k.filter((e): e is [string, Json] => e !== null), ...o],
      }));
    }
    default:
      return hostileValue(options); // `unknown`, or what JSON Schema cannot say (a transform's input)
  }
}

/** Mostly what the schema asks for; now and then a hostile value or an extra prototype key in it. */
export function schemaInput(schema: z.ZodType, options: HostileOptions): fc.Arbitrary<Json> {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  const valid = fromSchema(json, options);
  const mutate = (value: Json, path: number[], replacement: Json): Json => {
    const [at, ...rest] = path;
    if (at === undefined) return replacement;
    if (Array.isArray(value) && value.length > 0) {
      const i = at % value.length;
      return value.map((v, j) => (j === i ? mutate(v, rest, replacement) : v));
    }
    if (value !== null && typeof value === 'object' && !Array.isArray(value) && value.entries.length > 0) {
      const i = at % value.entries.length;
      return {
        entries: value.entries.map(([k, v], j): [string, Json] => [
          k,
          j === i ? mutate(v, rest, replacement) : v,
        ]),
      };
    }
    return replacement;
  };
  const withPrototypeKey = (value: Json, key: string, extra: Json): Json =>
    value !== null && typeof value === 'object' && !Array.isArray(value)
      ? { entries: [[key, extra], ...value.entries] }
      : value;
  return fc.oneof(
    { weight: 4, arbitrary: valid },
    {
      weight: 3,
      arbitrary: fc
        .tuple(valid, fc.array(fc.nat(), { maxLength: 4 }), hostileValue(options))
        .map(([v, path, replacement]) => mutate(v, path, replacement)),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(valid, fc.constantFrom(...PROTOTYPE_KEYS), hostileValue(options))
        .map(([v, key, extra]) => withPrototypeKey(v, key, extra)),
    },
  );
}

/** Text that is not one JSON value, or is one nobody should have to parse. */
export const MALFORMED_FRAMES: string[] = [
  '',
  ' ',
  '{',
  '{"type":"call","id":1,"method":"vm.list","params":',
  '{"type":"call" "id":1}',
  "{'type':'call'}",
  'null',
  'true',
  '[]',
  '"call"',
  '1e999999',
  '{"type":"call","id":1e999,"method":"vm.list"}',
  '\u0000',
  '\ufeff{"type":"call","id":3,"method":"vm.list"}',
  `${'['.repeat(100_000)}${']'.repeat(100_000)}`,
  `${'{"a":'.repeat(50_000)}1${'}'.repeat(50_000)}`,
  `{"type":"call","id":4,"method":"vm.list","params":${'['.repeat(100_000)}${']'.repeat(100_000)}}`,
  `{"type":"call","id":5,"method":"vm.create","params":${'{"name":'.repeat(20_000)}"x"${'}'.repeat(20_000)}}`,
];
