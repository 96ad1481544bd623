import fc from 'fast-check';
import type { z } from 'zod';

// fast-check arbitraries derived from the zod schemas of the API's routes, laced with the
// input an attacker sends: NUL, CR/LF, bidi marks, broken UTF-16, huge numbers, deep
// nesting, extreme dates and durations, and strings long enough to hurt a parser.

/** Strings that broke (or could break) Tenure somewhere, and their cousins. */
export const hostileStrings: readonly string[] = [
  '',
  ' ',
  '\u0000',
  'E1\u0000',
  '\r\n',
  'x\r\n[api] FORGED-LINE admin logged in',
  '\u202eevil',
  '\u2066abc\u2069',
  '\u200b',
  '\ufeff',
  '\ud800',
  'a\udc00b',
  '😀',
  'Zoë Ångström-Øster',
  '%00',
  '%0d%0a',
  '../../etc/passwd',
  "' OR 1=1 --",
  '"; drop table hr_inbox; --',
  '*)(uid=*',
  'cn=admin,dc=tenure,dc=test',
  '${jndi:ldap://127.0.0.1/x}',
  '{{temporaryAccessPass}}',
  '{{',
  '__proto__',
  'constructor',
  '0000-01-01',
  '0000-01-01T00:00:00Z',
  '-271821-04-20T00:00:00Z',
  '+275760-09-13T00:00:00Z',
  '9999-12-31T23:59:59Z',
  '2026-12-01T09:00:00.1111111111111111111111111111111Z',
  '2026-02-30',
  '2026-12-01T25:61:61Z',
  'P9999999999D',
  '-P9999999999D',
  'PT99999999999999999999999S',
  'P1M',
  'P',
  '9'.repeat(400),
  '1e308',
  '-1',
  'NaN',
  'Infinity',
  'true',
  'null',
  `${'('.repeat(200)}department pr${')'.repeat(200)}`,
  `${'not '.repeat(100)}department pr`,
  `${'ToLower('.repeat(100)}"x"${')'.repeat(100)}`,
  'x'.repeat(5000),
];

/** Strings that must never reach a parser unbounded: sent in bodies only (a URL this long is refused by any server). */
export const hugeStrings: readonly string[] = ['('.repeat(20_000), 'not '.repeat(50_000), 'x'.repeat(70_000)];

const deeplyNested = (depth: number, leaf: unknown = 'x'): unknown => {
  let value: unknown = leaf;
  for (let i = 0; i < depth; i++) value = i % 2 === 0 ? [value] : { a: value };
  return value;
};

/** Any JSON value, occasionally an odd one. */
export const jsonValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 1, arbitrary: fc.constantFrom<unknown>(deeplyNested(2000), deeplyNested(64), [], {}, [[[]]], { __proto__: { admin: true } }) },
);

/** Hostile values of every JSON type, for a field whose schema wants something else. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...hostileStrings) },
  { weight: 1, arbitrary: fc.constantFrom(...hugeStrings) },
  { weight: 2, arbitrary: fc.constantFrom<unknown>(null, true, false, 0, -1, 0.5, 2 ** 53 + 1, 1e308, -1e308, Number.MAX_SAFE_INTEGER) },
  { weight: 1, arbitrary: jsonValue },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
);

/** Hostile strings short enough for a URL. */
export const hostileUrlString: fc.Arbitrary<string> = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom(...hostileStrings) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
);

/** Plausible values for fields known by name, so that valid requests are generated often enough to go deep. */
function byName(key: string): fc.Arbitrary<string> | undefined {
  const date = fc.date({ min: new Date('1990-01-01T00:00:00Z'), max: new Date('2100-01-01T00:00:00Z'), noInvalidDate: true });
  if (/^(asOf|from|to)$/.test(key)) return date.map((d) => d.toISOString());
  if (/(Date|At)$/.test(key)) return fc.oneof(date.map((d) => d.toISOString()), date.map((d) => d.toISOString().slice(0, 10)));
  if (key === 'timeZone') return fc.constantFrom('UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata', 'Pacific/Chatham', 'Mars/Olympus');
  if (/^(offset|lifetime|catchUp|timeout|every)$/.test(key)) return fc.constantFrom('P0D', 'P7D', '-P7D', '+P1D', 'PT1H', 'PT30S', 'P1W', 'PT0.5S', 'P365000D', 'P1Y');
  if (key === 'localTime') return fc.constantFrom('09:00', '23:59:59', '24:00', '9:00');
  if (key === 'scope') return fc.constantFrom("department eq 'Sales'", "not (jobTitle co 'Intern')", "employeeType in ('employee', 'contractor')", 'department pr and', "givenName eq 'O''Brien'");
  if (key === 'locale') return fc.constantFrom('en-GB', 'de-DE', 'xx-XX', 'tr');
  if (key === 'pass') return fc.constantFrom('ABCD-EFGH-JKLM-NPQR', 'abcd-efgh-jklm-npqr', 'WRONG-PASS');
  return undefined;
}

interface Def {
  type: string;
  [key: string]: unknown;
}

const defOf = (schema: z.ZodType): Def => (schema as unknown as { _zod: { def: Def } })._zod.def;

function checksOf(def: Def): Def[] {
  return ((def.checks as { _zod: { def: Def } }[] | undefined) ?? []).map((check) => check._zod.def);
}

function stringFor(def: Def, key: string): fc.Arbitrary<string> {
  const checks = checksOf(def);
  const max = checks.find((c) => c.check === 'max_length')?.maximum as number | undefined;
  const pattern = checks.find((c) => c.check === 'string_format' && c.format === 'regex')?.pattern as RegExp | undefined;
  const fit = (s: string) => (max === undefined ? s : s.slice(0, max));
  if (checks.some((c) => c.format === 'email')) return fc.emailAddress();
  if (pattern) return fc.stringMatching(pattern, { size: 'small' }).map(fit);
  return byName(key) ?? fc.string({ unit: 'grapheme', maxLength: Math.min(max ?? 40, 40) });
}

function numberFor(def: Def): fc.Arbitrary<number> {
  const integer = checksOf(def).some((c) => c.format === 'safeint');
  return integer ? fc.oneof(fc.integer({ min: -2, max: 1200 }), fc.constantFrom(0, 2 ** 31, 2 ** 53 + 1)) : fc.double({ noNaN: true });
}

/** A value for `schema`: well-formed most of the time, hostile some of the time. */
export function fromSchema(schema: z.ZodType, key = ''): fc.Arbitrary<unknown> {
  return fc.oneof({ weight: 5, arbitrary: shaped(schema, key) }, { weight: 1, arbitrary: hostileValue });
}

/** A value of the schema's shape (its leaves may still be hostile). */
function shaped(schema: z.ZodType, key: string): fc.Arbitrary<unknown> {
  const def = defOf(schema);
  switch (def.type) {
    case 'string':
      return stringFor(def, key);
    case 'number':
      return numberFor(def);
    case 'boolean':
      return fc.boolean();
    case 'enum':
      return fc.constantFrom(...Object.values(def.entries as Record<string, string>));
    case 'literal':
      return fc.constantFrom(...(def.values as unknown[]));
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'readonly':
    case 'catch':
    case 'nonoptional':
      return shaped(def.innerType as z.ZodType, key);
    case 'pipe':
      return shaped(def.in as z.ZodType, key);
    case 'lazy':
      return shaped((def.getter as () => z.ZodType)(), key);
    case 'array': {
      const checks = checksOf(def);
      const max = (checks.find((c) => c.check === 'max_length')?.maximum as number | undefined) ?? 4;
      return fc.array(fromSchema(def.element as z.ZodType, key), { maxLength: Math.min(max, 4) });
    }
    case 'union':
      return fc.oneof(...(def.options as z.ZodType[]).map((option) => shaped(option, key)));
    case 'record':
      return fc.dictionary(
        shaped(def.keyType as z.ZodType, key).map(String),
        fromSchema(def.valueType as z.ZodType, key),
        { maxKeys: 4 },
      );
    case 'object': {
      const shape = def.shape as Record<string, z.ZodType>;
      const fields = Object.fromEntries(Object.entries(shape).map(([name, field]) => [name, fromSchema(field, name)]));
      const required = Object.entries(shape)
        .filter(([, field]) => !['optional', 'default', 'prefault', 'nullable'].includes(defOf(field).type))
        .map(([name]) => name);
      const record = fc.record(fields, { requiredKeys: required });
      // Now and then a field the schema does not know, or a required one missing.
      return fc.oneof({ weight: 6, arbitrary: record }, { weight: 1, arbitrary: fc.tuple(record, fc.constantFrom('salary', '__proto__', 'constructor', 'x\u0000')).map(([value, extra]) => ({ ...(value as object), [extra]: 1 })) }, { weight: 1, arbitrary: fc.record(fields, { requiredKeys: [] }) });
    }
    default:
      return jsonValue;
  }
}

/** The valid example `base` with up to `fields` of its fields replaced by hostile or schema-derived values. */
export function mutated(base: Record<string, unknown>, schema: z.ZodType | undefined, fields = 2): fc.Arbitrary<Record<string, unknown>> {
  const keys = Object.keys(base);
  const shape = schema ? ((defOf(schema).shape as Record<string, z.ZodType> | undefined) ?? {}) : {};
  const replacement = (key: string) => (shape[key] ? fromSchema(shape[key], key) : hostileValue);
  return fc
    .uniqueArray(fc.constantFrom(...keys), { maxLength: fields })
    .chain((chosen) => fc.tuple(...chosen.map((key) => replacement(key).map((value) => [key, value] as const))))
    .map((pairs) => ({ ...base, ...Object.fromEntries(pairs) }));
}

/** A path parameter: a known value (so requests reach what exists), one of the schema's shape, or a hostile one. */
export function pathValue(schema: z.ZodType | undefined, key: string, known: readonly string[], knownWeight = 3): fc.Arbitrary<string> {
  const options: fc.WeightedArbitrary<string>[] = [
    { weight: 2, arbitrary: hostileUrlString },
    { weight: 3, arbitrary: schema ? shaped(schema, key).map((v) => (typeof v === 'string' ? v : JSON.stringify(v) ?? '')) : fc.string() },
  ];
  if (known.length > 0) options.push({ weight: knownWeight, arbitrary: fc.constantFrom(...known) });
  return fc.oneof(...options);
}
