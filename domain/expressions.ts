// Microsoft Entra ID attribute-mapping expressions, as described in Microsoft's "Reference for
// writing expressions for attribute mappings in Microsoft Entra ID", e.g.
//   Join("@", NormalizeDiacritics(StripSpaces(Join(".", [givenName], [surname]))), "contoso.com")
//
// Grammar (recursive descent; function names are case-insensitive):
//   expression := operand ( compare operand )?
//   operand    := call | attribute | string | number | constant
//   call       := name "(" ( argument ( "," argument )* )? ")"
//   argument   := expression | <nothing>      an omitted optional argument: Replace([x], , "re", , "", , )
//   compare    := "=" | "<>" | "<" | "<=" | ">" | ">="       used in IIF conditions: IIF([c]="USA", …)
//   attribute  := "[" ( any character but "]" )+ "]"
//   string     := '"' ( any character but '"' and '\' | '\"' | '\\' )* '"'
//   number     := "-"? digit+ ( "." digit+ )? | "&H" hexdigit+
//   constant   := "vbBinaryCompare" | "vbTextCompare"
//   name       := letter ( letter | digit | "_" )*
//
// An expression is at most 10,000 characters and nests calls at most 64 deep, checked before and
// while parsing, so no input can exhaust the stack.
// Every argument is evaluated before its function runs (as in VBA, so IIF evaluates both branches).
// Dates travel as strings: CDate, DateAdd, DateFromNum and Now return UTC "M/d/yyyy h:mm:ss tt".
// A null argument to a string function gives null, except where the reference says otherwise.

import { DateTime, FixedOffsetZone } from 'luxon';

export type ExpressionValue = string | number | boolean | null | string[];

/** What IgnoreFlowIfNullOrEmpty asks for: leave the target attribute out of this flow. */
export const IGNORE_FLOW: unique symbol = Symbol('IgnoreFlowIfNullOrEmpty');
export type EvaluationResult = ExpressionValue | typeof IGNORE_FLOW;

export interface ExpressionContext {
  attributes: Record<string, ExpressionValue | undefined>;
  /** The instant Now() returns; also the default date of a FormatDateTime input without one. */
  now: Date;
  /** Uniform in [0, 1), as Math.random; Guid and RandomString draw from it. */
  random: () => number;
  /** Whether SelectUniqueValue may take a candidate; without it the first non-empty one wins. */
  isUnique?: (value: string) => boolean;
  /** What DefaultDomain() returns: the installation's configured default domain. */
  defaultDomain?: string;
}

export const functionNames = [
  'Append',
  'BitAnd',
  'CBool',
  'CDate',
  'Coalesce',
  'ConvertToBase64',
  'ConvertToUTF8Hex',
  'Count',
  'CStr',
  'DateAdd',
  'DateDiff',
  'DateFromNum',
  'DefaultDomain',
  'FormatDateTime',
  'Guid',
  'IgnoreFlowIfNullOrEmpty',
  'IIF',
  'InStr',
  'IsNull',
  'IsNullOrEmpty',
  'IsPresent',
  'IsString',
  'Item',
  'Join',
  'Left',
  'Len',
  'Mid',
  'NormalizeDiacritics',
  'Not',
  'Now',
  'NumFromDate',
  'PCase',
  'RandomString',
  'Redact',
  'RemoveDuplicates',
  'Replace',
  'SelectUniqueValue',
  'Split',
  'StripSpaces',
  'Switch',
  'ToLower',
  'ToUpper',
  'Word',
] as const;

export type FunctionName = (typeof functionNames)[number];

/** Documented functions that need Entra's app role assignment objects, which Tenure does not have. */
const unsupportedFunctions: ReadonlyMap<string, string> = new Map([
  ['approleassignmentscomplex', 'AppRoleAssignmentsComplex'],
  ['singleapproleassignment', 'SingleAppRoleAssignment'],
]);

export type ComparisonOperator = '=' | '<>' | '<' | '<=' | '>' | '>=';

/** `position` is the zero-based offset of the node's first character in the expression text. */
export type Expression =
  | { kind: 'string'; value: string; position: number }
  | { kind: 'number'; value: number; position: number }
  | { kind: 'constant'; name: 'vbBinaryCompare' | 'vbTextCompare'; value: 0 | 1; position: number }
  | { kind: 'attribute'; name: string; position: number }
  | { kind: 'omitted'; position: number }
  | { kind: 'call'; name: FunctionName; args: Expression[]; position: number }
  | { kind: 'compare'; op: ComparisonOperator; left: Expression; right: Expression; position: number };

export type CallExpression = Extract<Expression, { kind: 'call' }>;

export class ExpressionSyntaxError extends Error {
  constructor(
    message: string,
    /** Zero-based character offset in the expression text. */
    readonly position: number,
  ) {
    super(`${message} at position ${position + 1}`);
    this.name = 'ExpressionSyntaxError';
  }
}

export type EvaluationErrorCode = 'no-unique-value' | 'invalid-argument' | 'invalid-date' | 'invalid-pattern' | 'multi-valued';

export class ExpressionEvaluationError extends Error {
  constructor(
    readonly code: EvaluationErrorCode,
    message: string,
    /** Zero-based offset of the function call that failed. */
    readonly position: number,
  ) {
    super(`${message} (at position ${position + 1})`);
    this.name = 'ExpressionEvaluationError';
  }
}

// ---------------------------------------------------------------------------------------------
// Function table

interface Evaluation {
  now: Date;
  random: () => number;
  isUnique: ((value: string) => boolean) | undefined;
  defaultDomain: string | undefined;
}

interface Signature {
  /** Parameter names for messages; a variadic function repeats its last one. */
  params: readonly string[];
  min: number;
  max: number;
  /** Argument positions that may be left empty, as in FormatDateTime([d], , "yyyyMMdd", "yyyy-MM-dd"). */
  omittable?: (index: number, count: number) => boolean;
  /** Checks of literal arguments, run at parse time so mistakes surface with a position. */
  check?: (args: readonly Expression[], call: CallExpression) => void;
}

type FunctionSpec = Signature &
  (
    | { evaluate: (a: Arguments) => ExpressionValue; choose?: never }
    | {
        /**
         * IIF and Switch: the index of the argument that is the result (or null). Only the chosen
         * argument's IgnoreFlowIfNullOrEmpty counts; `decides` arguments must be plain values.
         */
        choose: (a: Arguments) => number | null;
        decides: (index: number) => boolean;
        evaluate?: never;
      }
  );

const omittableFrom = (first: number) => (index: number) => index >= first;

/** ToLower and ToUpper: an optional culture (a BCP 47 tag) picks locale-aware casing. */
function changeCase(to: 'lower' | 'upper'): FunctionSpec {
  return {
    params: ['source', 'culture'],
    min: 1,
    max: 2,
    omittable: omittableFrom(1),
    check: (args) => checkLiteral(args[1], (culture) => describeFailure(() => cultureOf(culture))),
    evaluate: (a) => {
      const source = a.text(0);
      const culture = a.attempt('invalid-argument', () => cultureOf(a.text(1)));
      if (source === null) return null;
      if (to === 'lower') return culture === undefined ? source.toLowerCase() : source.toLocaleLowerCase(culture);
      return culture === undefined ? source.toUpperCase() : source.toLocaleUpperCase(culture);
    },
  };
}

const specs: Record<FunctionName, FunctionSpec> = {
  Append: {
    params: ['source', 'suffix'],
    min: 2,
    max: 2,
    evaluate: (a) => {
      const source = a.text(0);
      return source === null ? null : source + (a.text(1) ?? '');
    },
  },
  BitAnd: {
    params: ['value1', 'value2'],
    min: 2,
    max: 2,
    evaluate: (a) => {
      const left = a.integer(0);
      const right = a.integer(1);
      if (left === null || right === null) return null;
      // BigInt: attribute flags can exceed the 32 bits of JavaScript's & operator.
      return Number(BigInt(left) & BigInt(right));
    },
  },
  CBool: { params: ['expression'], min: 1, max: 1, evaluate: (a) => toBoolean(a, 0) },
  CDate: {
    params: ['expression'],
    min: 1,
    max: 1,
    evaluate: (a) => {
      const date = a.date(0);
      return date === null ? null : formatDateTime(date);
    },
  },
  Coalesce: {
    params: ['source'],
    min: 1,
    max: Infinity,
    omittable: (index, count) => count > 1 && index === count - 1,
    evaluate: (a) => a.values.find((value) => !isNull(value)) ?? null,
  },
  ConvertToBase64: {
    params: ['source'],
    min: 1,
    max: 1,
    evaluate: (a) => {
      const source = a.text(0);
      return source === null ? null : base64(utf16le(source));
    },
  },
  ConvertToUTF8Hex: {
    params: ['source'],
    min: 1,
    max: 1,
    evaluate: (a) => {
      const source = a.text(0);
      if (source === null) return null;
      return Array.from(new TextEncoder().encode(source), (byte) => byte.toString(16).padStart(2, '0').toUpperCase()).join('');
    },
  },
  Count: {
    params: ['attribute'],
    min: 1,
    max: 1,
    evaluate: (a) => {
      const value = a.value(0);
      return value === null ? 0 : Array.isArray(value) ? value.length : 1;
    },
  },
  CStr: {
    params: ['value'],
    min: 1,
    max: 1,
    // As VB's CStr: Nothing becomes "".
    evaluate: (a) => a.text(0) ?? '',
  },
  DateAdd: {
    params: ['interval', 'value', 'dateTime'],
    min: 3,
    max: 3,
    check: (args) => checkLiteral(args[0], (interval) => (dateIntervals.has(interval.toLowerCase()) ? undefined : unknownInterval(interval))),
    evaluate: (a) => {
      const interval = a.interval(0);
      const amount = a.number(1);
      const date = a.date(2);
      if (amount === null || date === null) return null;
      // VB's DateAdd truncates the number first.
      const n = Math.trunc(amount);
      const added =
        interval === 'yyyy'
          ? date.plus({ years: n })
          : interval === 'm'
            ? date.plus({ months: n })
            : interval === 'd'
              ? date.plus({ days: n })
              : interval === 'ww'
                ? date.plus({ days: 7 * n })
                : interval === 'h'
                  ? date.plus({ hours: n })
                  : interval === 'n'
                    ? date.plus({ minutes: n })
                    : date.plus({ seconds: n });
      if (!added.isValid) a.fail('invalid-date', 'the result is outside the supported date range');
      return formatDateTime(added);
    },
  },
  DateDiff: {
    params: ['interval', 'date1', 'date2'],
    min: 3,
    max: 3,
    check: (args) => checkLiteral(args[0], (interval) => (dateIntervals.has(interval.toLowerCase()) ? undefined : unknownInterval(interval))),
    evaluate: (a) => {
      const interval = a.interval(0);
      const date1 = a.date(1);
      const date2 = a.date(2);
      if (date1 === null || date2 === null) return null;
      return dateDiff(interval, date1, date2);
    },
  },
  DateFromNum: {
    params: ['value'],
    min: 1,
    max: 1,
    evaluate: (a) => {
      const value = a.scalar(0);
      if (value === null) return null;
      const text = typeof value === 'number' ? String(Math.trunc(value)) : String(value).trim();
      if (!/^\d+$/.test(text)) a.fail('invalid-argument', `value must be an Active Directory file time (a whole number), not "${text}"`);
      // Whole 100-nanosecond intervals since 1601-01-01 UTC; BigInt keeps all 18 digits exact.
      const millis = Number(BigInt(text) / 10_000n - fileTimeEpochOffsetMs);
      const date = DateTime.fromMillis(millis, { zone: 'utc' });
      if (!date.isValid) a.fail('invalid-date', `${text} is outside the supported date range`);
      return formatDateTime(date);
    },
  },
  DefaultDomain: {
    params: [],
    min: 0,
    max: 0,
    evaluate: (a) => a.state.defaultDomain ?? a.fail('invalid-argument', 'no default domain is configured'),
  },
  FormatDateTime: {
    params: ['source', 'dateTimeStyles', 'inputFormat', 'outputFormat'],
    // Three arguments is the older (source, inputFormat, outputFormat) form still found in the wild.
    min: 3,
    max: 4,
    omittable: (index, count) => count === 4 && index === 1,
    check: (args) => {
      const formats = args.length === 4 ? args.slice(2) : args.slice(1);
      for (const format of formats) checkLiteral(format, (text) => describeFailure(() => dotNetFormat(text)));
      if (args.length === 4) checkLiteral(args[1], (text) => describeFailure(() => dateTimeStyles(text)));
    },
    evaluate: (a) => {
      const four = a.count === 4;
      const source = a.text(0);
      const styles = four ? a.text(1) : null;
      const inputFormat = a.requiredText(four ? 2 : 1);
      const outputFormat = a.requiredText(four ? 3 : 2);
      if (source === null) return null;
      const flags = a.attempt('invalid-argument', () => dateTimeStyles(styles ?? ''));
      const input = a.attempt('invalid-argument', () => dotNetFormat(inputFormat));
      const output = a.attempt('invalid-argument', () => dotNetFormat(outputFormat));
      const date = parseExact(source, input, flags, a.state.now);
      if (!date) return a.fail('invalid-date', `"${source}" does not match the format "${inputFormat}"`);
      return formatDotNet(date, output);
    },
  },
  Guid: { params: [], min: 0, max: 0, evaluate: (a) => guid(a.state.random) },
  IgnoreFlowIfNullOrEmpty: {
    params: ['expression'],
    min: 1,
    max: 1,
    evaluate: (a) => {
      const value = a.value(0);
      if (isNullOrEmpty(value)) throw new IgnoreFlowSignal();
      return value;
    },
  },
  IIF: {
    params: ['condition', 'valueIfTrue', 'valueIfFalse'],
    min: 3,
    max: 3,
    decides: (index) => index === 0,
    choose: (a) => (toBoolean(a, 0) ? 1 : 2),
  },
  InStr: {
    params: ['value1', 'value2', 'start', 'compareType'],
    min: 2,
    max: 4,
    omittable: omittableFrom(2),
    check: (args) => {
      const compareType = args[3];
      if ((compareType?.kind === 'string' || compareType?.kind === 'number') && compareMode(compareType.value) === undefined) {
        throw new ExpressionSyntaxError('compareType must be vbBinaryCompare or vbTextCompare', compareType.position);
      }
    },
    evaluate: (a) => {
      const haystack = a.text(0) ?? '';
      const needle = a.text(1) ?? '';
      const start = a.integer(2) ?? 1;
      if (start < 1) a.fail('invalid-argument', `start must be 1 or more, not ${start}`);
      const mode = a.value(3) === null ? 'binary' : compareMode(a.scalar(3));
      if (mode === undefined) return a.fail('invalid-argument', 'compareType must be vbBinaryCompare or vbTextCompare');
      if (start > haystack.length) return 0;
      if (needle === '') return start;
      const fold = (s: string) => (mode === 'text' ? s.toLowerCase() : s);
      return fold(haystack).indexOf(fold(needle), start - 1) + 1;
    },
  },
  IsNull: { params: ['expression'], min: 1, max: 1, evaluate: (a) => isNull(a.value(0)) },
  IsNullOrEmpty: { params: ['expression'], min: 1, max: 1, evaluate: (a) => isNullOrEmpty(a.value(0)) },
  IsPresent: { params: ['expression'], min: 1, max: 1, evaluate: (a) => !isNullOrEmpty(a.value(0)) },
  IsString: { params: ['expression'], min: 1, max: 1, evaluate: (a) => typeof a.value(0) === 'string' },
  Item: {
    params: ['attribute', 'index'],
    min: 2,
    max: 2,
    evaluate: (a) => {
      const values = list(a.value(0));
      const index = a.integer(1);
      // One-based: "Item([proxyAddresses], 1) returns the first item".
      if (index === null || index < 1 || index > values.length) return null;
      return values[index - 1] ?? null;
    },
  },
  Join: {
    params: ['separator', 'source'],
    min: 2,
    max: Infinity,
    evaluate: (a) => {
      const separator = a.text(0) ?? '';
      const parts: string[] = [];
      for (let i = 1; i < a.count; i++) {
        for (const item of list(a.value(i))) {
          // Empty values are skipped: Join(", ", "", [surname], [givenName]) gives "Doe, John".
          if (item !== '') parts.push(item);
        }
      }
      return parts.join(separator);
    },
  },
  Left: {
    params: ['string', 'numChars'],
    min: 2,
    max: 2,
    evaluate: (a) => {
      const source = a.text(0);
      const count = a.requiredInteger(1);
      if (source === null) return '';
      return count < 0 ? source : source.slice(0, count);
    },
  },
  Len: {
    params: ['value'],
    min: 1,
    max: 1,
    // As VB's Len of the value as text, in UTF-16 code units as .NET counts; nothing is 0.
    evaluate: (a) => a.text(0)?.length ?? 0,
  },
  Mid: {
    params: ['source', 'start', 'length'],
    min: 3,
    max: 3,
    evaluate: (a) => {
      const source = a.text(0);
      const start = a.requiredInteger(1);
      const length = a.requiredInteger(2);
      if (start < 1) a.fail('invalid-argument', `start is one-based and must be 1 or more, not ${start}`);
      if (length < 0) a.fail('invalid-argument', `length must not be negative, not ${length}`);
      return source === null ? null : source.slice(start - 1, start - 1 + length);
    },
  },
  NormalizeDiacritics: {
    params: ['source'],
    min: 1,
    max: 1,
    evaluate: (a) => {
      const source = a.text(0);
      return source === null ? null : normalizeDiacritics(source);
    },
  },
  Not: {
    params: ['source'],
    min: 1,
    max: 1,
    // "If source value is True, returns False. Otherwise, returns True."
    evaluate: (a) => {
      const value = a.scalar(0);
      return !(value === true || (typeof value === 'string' && value.trim().toLowerCase() === 'true'));
    },
  },
  Now: { params: [], min: 0, max: 0, evaluate: (a) => formatDateTime(DateTime.fromJSDate(a.state.now, { zone: 'utc' })) },
  NumFromDate: {
    params: ['value'],
    min: 1,
    max: 1,
    evaluate: (a) => {
      const date = a.date(0);
      if (date === null) return null;
      const ticks = (BigInt(date.toMillis()) + fileTimeEpochOffsetMs) * 10_000n;
      if (ticks < 0n) a.fail('invalid-date', 'dates before 1601 have no Active Directory file time');
      // A string: file times need 18 digits, more than a JavaScript number holds exactly.
      return ticks.toString();
    },
  },
  PCase: {
    params: ['source', 'wordSeparators'],
    min: 1,
    max: 2,
    omittable: omittableFrom(1),
    evaluate: (a) => {
      const source = a.text(0);
      const separators = a.text(1);
      if (source === null) return null;
      return separators === null ? titleCase(source) : properCase(source, separators);
    },
  },
  RandomString: {
    params: ['length', 'minimumNumbers', 'minimumSpecialCharacters', 'minimumCapital', 'minimumLowerCase', 'charactersToAvoid'],
    min: 5,
    max: 6,
    omittable: omittableFrom(5),
    check: (args, call) => {
      const numbers = args.slice(0, 5).map((arg) => (arg.kind === 'number' ? arg.value : undefined));
      if (numbers.every((n): n is number => n !== undefined)) {
        const problem = randomStringProblem(numbers);
        if (problem) throw new ExpressionSyntaxError(`RandomString: ${problem}`, call.position);
      }
    },
    evaluate: (a) => {
      const counts = [0, 1, 2, 3, 4].map((i) => a.requiredInteger(i));
      const problem = randomStringProblem(counts);
      if (problem) a.fail('invalid-argument', problem);
      const avoid = a.text(5) ?? '';
      const result = randomString(counts, avoid, a.state.random);
      if (typeof result !== 'string') return a.fail('invalid-argument', result.problem);
      return result;
    },
  },
  // Redact only changes what Entra writes to its provisioning logs; see isRedacted().
  Redact: { params: ['value'], min: 1, max: 1, evaluate: (a) => a.value(0) },
  RemoveDuplicates: {
    params: ['attribute'],
    min: 1,
    max: 1,
    evaluate: (a) => {
      const value = a.value(0);
      return value === null ? null : [...new Set(list(value))];
    },
  },
  Replace: {
    params: ['source', 'oldValue', 'regexPattern', 'regexGroupName', 'replacementValue', 'replacementAttributeName', 'template'],
    min: 3,
    max: 7,
    omittable: omittableFrom(1),
    check: (args, call) => {
      const given = (i: number) => args[i] !== undefined && args[i].kind !== 'omitted';
      if (given(1) && given(2)) throw new ExpressionSyntaxError('Replace takes oldValue or regexPattern, not both', args[2]!.position);
      if (!replaceMode(args)) {
        throw new ExpressionSyntaxError(
          'Replace needs oldValue with replacementValue or template, or regexPattern with replacementValue, or regexPattern, regexGroupName and replacementAttributeName',
          call.position,
        );
      }
      const pattern = args[2];
      if (pattern?.kind === 'string') {
        const problem = describeFailure(() => compileRegex(pattern.value, ''));
        if (problem) throw new ExpressionSyntaxError(`invalid regexPattern: ${problem}`, pattern.position);
        const group = args[3];
        if (group?.kind === 'string' && !regexGroupNames(pattern.value).includes(group.value)) {
          throw new ExpressionSyntaxError(`regexGroupName "${group.value}" is not a named group of the pattern`, group.position);
        }
      }
    },
    evaluate: (a) => evaluateReplace(a),
  },
  SelectUniqueValue: {
    params: ['uniqueValueRule'],
    min: 2,
    max: Infinity,
    evaluate: (a) => {
      const candidates = a.values.map((_, i) => a.text(i));
      for (const candidate of candidates) {
        if (candidate !== null && candidate !== '' && (a.state.isUnique?.(candidate) ?? true)) return candidate;
      }
      return a.fail('no-unique-value', `no unique value: all ${candidates.length} candidates are taken or empty`);
    },
  },
  Split: {
    params: ['source', 'delimiter'],
    min: 2,
    max: 2,
    evaluate: (a) => {
      const source = a.text(0);
      const delimiter = a.text(1) ?? '';
      if (source === null) return null;
      // Items are trimmed: the reference splits "PermissionSetOne, PermissionSetTwo" on "," into
      // "PermissionSetOne" and "PermissionSetTwo".
      return (delimiter === '' ? [source] : source.split(delimiter)).map((item) => item.trim());
    },
  },
  StripSpaces: {
    params: ['source'],
    min: 1,
    max: 1,
    evaluate: (a) => {
      const source = a.text(0);
      return source === null ? null : source.replaceAll(' ', '');
    },
  },
  Switch: {
    params: ['source', 'defaultValue', 'key', 'value'],
    min: 4,
    max: Infinity,
    omittable: (index) => index === 1,
    check: (args, call) => {
      if (args.length % 2 !== 0) {
        throw new ExpressionSyntaxError(`Switch takes source, defaultValue and key/value pairs, an even number of arguments, not ${args.length}`, call.position);
      }
    },
    decides: (index) => index === 0 || index % 2 === 0,
    choose: (a) => {
      // Case-sensitive; a null source matches the key "": Switch([title], [title], "", "N/A").
      const source = a.text(0) ?? '';
      for (let i = 2; i < a.count; i += 2) {
        if ((a.text(i) ?? '') === source) return i + 1;
      }
      return 1;
    },
  },
  ToLower: changeCase('lower'),
  ToUpper: changeCase('upper'),
  Word: {
    params: ['string', 'wordNumber', 'delimiters'],
    min: 3,
    max: 3,
    evaluate: (a) => {
      const source = a.text(0);
      const number = a.requiredInteger(1);
      const delimiters = a.text(2) ?? '';
      if (source === null || number < 1) return '';
      const words: string[] = [];
      let word = '';
      for (const ch of source) {
        if (delimiters.includes(ch)) {
          if (word !== '') words.push(word);
          word = '';
        } else {
          word += ch;
        }
      }
      if (word !== '') words.push(word);
      return words[number - 1] ?? '';
    },
  },
};

const byLowerName = new Map<string, FunctionName>(functionNames.map((name) => [name.toLowerCase(), name]));

function checkLiteral(arg: Expression | undefined, problem: (text: string) => string | undefined): void {
  if (arg?.kind !== 'string') return;
  const message = problem(arg.value);
  if (message) throw new ExpressionSyntaxError(message, arg.position);
}

function describeFailure(run: () => unknown): string | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

// ---------------------------------------------------------------------------------------------
// Tokens and parser

type Token =
  | { type: 'name'; value: string; position: number }
  | { type: 'string'; value: string; position: number }
  | { type: 'number'; value: number; position: number }
  | { type: 'attribute'; value: string; position: number }
  | { type: 'compare'; value: ComparisonOperator; position: number }
  | { type: '(' | ')' | ','; position: number }
  | { type: 'end'; position: number };

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (/\s/.test(ch)) {
      i++;
    } else if (ch === '(' || ch === ')' || ch === ',') {
      tokens.push({ type: ch, position: i });
      i++;
    } else if (ch === '"') {
      const start = i;
      let value = '';
      i++;
      for (;;) {
        if (i >= text.length) throw new ExpressionSyntaxError('unterminated string', start);
        const c = text[i]!;
        if (c === '"') {
          i++;
          break;
        }
        if (c === '\\') {
          const escaped = text[i + 1];
          if (escaped !== '"' && escaped !== '\\') {
            throw new ExpressionSyntaxError('a backslash in a string must escape a quote (\\") or a backslash (\\\\)', i);
          }
          value += escaped;
          i += 2;
          continue;
        }
        value += c;
        i++;
      }
      tokens.push({ type: 'string', value, position: start });
    } else if (ch === '[') {
      const end = text.indexOf(']', i + 1);
      if (end < 0) throw new ExpressionSyntaxError('unterminated attribute name (missing "]")', i);
      const name = text.slice(i + 1, end).trim();
      if (name === '') throw new ExpressionSyntaxError('empty attribute name', i);
      tokens.push({ type: 'attribute', value: name, position: i });
      i = end + 1;
    } else if (ch === '<' || ch === '>' || ch === '=') {
      const two = text.slice(i, i + 2);
      const op: ComparisonOperator = two === '<>' || two === '<=' || two === '>=' ? two : (ch as '<' | '>' | '=');
      tokens.push({ type: 'compare', value: op, position: i });
      i += op.length;
    } else if (ch === '&') {
      const match = /^&[Hh]([0-9A-Fa-f]+)/.exec(text.slice(i));
      if (!match) throw new ExpressionSyntaxError('expected a hexadecimal number such as &HF7 after "&"', i);
      tokens.push({ type: 'number', value: parseInt(match[1]!, 16), position: i });
      i += match[0].length;
    } else if (/\d/.test(ch) || (ch === '-' && /\d/.test(text[i + 1] ?? ''))) {
      const match = /^-?\d+(\.\d+)?/.exec(text.slice(i))!;
      tokens.push({ type: 'number', value: Number(match[0]), position: i });
      i += match[0].length;
    } else if (/[A-Za-z]/.test(ch)) {
      const match = /^[A-Za-z][A-Za-z0-9_]*/.exec(text.slice(i))!;
      tokens.push({ type: 'name', value: match[0], position: i });
      i += match[0].length;
    } else {
      throw new ExpressionSyntaxError(`unexpected "${ch}"`, i);
    }
  }
  tokens.push({ type: 'end', position: text.length });
  return tokens;
}

const constants: ReadonlyMap<string, Extract<Expression, { kind: 'constant' }>['name']> = new Map([
  ['vbbinarycompare', 'vbBinaryCompare'],
  ['vbtextcompare', 'vbTextCompare'],
]);

export interface ParseOptions {
  /** Attribute names the expression may use (matched case-insensitively); others are an error. */
  attributes?: readonly string[];
}

export const maxExpressionLength = 10_000;
export const maxExpressionDepth = 64;

export function parseExpression(text: string, options: ParseOptions = {}): Expression {
  if (text.length > maxExpressionLength) throw new ExpressionSyntaxError(`the expression is longer than ${maxExpressionLength} characters`, maxExpressionLength);
  const tokens = tokenize(text);
  let index = 0;
  // Each call level is a stack frame here and in evaluate().
  let depth = 0;
  const peek = () => tokens[index]!;
  const next = () => tokens[index++]!;
  const known = options.attributes ? new Map(options.attributes.map((name) => [name.toLowerCase(), name])) : undefined;

  function describe(token: Token): string {
    switch (token.type) {
      case 'end':
        return 'the end of the expression';
      case 'string':
        return `"${token.value}"`;
      case 'attribute':
        return `[${token.value}]`;
      case 'name':
      case 'compare':
        return `"${token.value}"`;
      case 'number':
        return String(token.value);
      default:
        return `"${token.type}"`;
    }
  }

  function expression(): Expression {
    const left = operand();
    const op = peek();
    if (op.type !== 'compare') return left;
    next();
    const right = operand();
    const after = peek();
    if (after.type === 'compare') throw new ExpressionSyntaxError('comparisons cannot be chained', after.position);
    return { kind: 'compare', op: op.value, left, right, position: left.position };
  }

  function operand(): Expression {
    const token = next();
    switch (token.type) {
      case 'string':
        return { kind: 'string', value: token.value, position: token.position };
      case 'number':
        return { kind: 'number', value: token.value, position: token.position };
      case 'attribute': {
        let name = token.value;
        if (known) {
          const canonical = known.get(name.toLowerCase());
          if (!canonical) throw new ExpressionSyntaxError(`unknown attribute [${name}] (known: ${[...known.values()].join(', ')})`, token.position);
          name = canonical;
        }
        return { kind: 'attribute', name, position: token.position };
      }
      case 'name': {
        if (peek().type === '(') return call(token.value, token.position);
        const constant = constants.get(token.value.toLowerCase());
        if (constant) return { kind: 'constant', name: constant, value: constant === 'vbTextCompare' ? 1 : 0, position: token.position };
        throw new ExpressionSyntaxError(`expected "(" after the function name "${token.value}" (attributes are written [${token.value}])`, peek().position);
      }
      default:
        throw new ExpressionSyntaxError(`expected a function, an [attribute], a "string" or a number but found ${describe(token)}`, token.position);
    }
  }

  function call(written: string, position: number): Expression {
    const lower = written.toLowerCase();
    const unsupported = unsupportedFunctions.get(lower);
    if (unsupported) throw new ExpressionSyntaxError(`${unsupported} is not supported: Tenure has no Entra app role assignments to read`, position);
    const name = byLowerName.get(lower);
    if (!name) throw new ExpressionSyntaxError(`unknown function "${written}"`, position);
    const spec = specs[name];
    if (++depth > maxExpressionDepth) throw new ExpressionSyntaxError(`the expression nests calls deeper than ${maxExpressionDepth} levels`, position);
    next(); // "("
    const args: Expression[] = [];
    if (peek().type === ')') {
      next();
    } else {
      for (;;) {
        const start = peek();
        args.push(start.type === ',' || start.type === ')' ? { kind: 'omitted', position: start.position } : expression());
        const separator = next();
        if (separator.type === ')') break;
        if (separator.type !== ',') throw new ExpressionSyntaxError(`expected "," or ")" but found ${describe(separator)}`, separator.position);
      }
    }
    depth--;
    const node: CallExpression = { kind: 'call', name, args, position };
    checkArity(node, spec);
    spec.check?.(args, node);
    return node;
  }

  if (peek().type === 'end') throw new ExpressionSyntaxError('the expression is empty', 0);
  const root = expression();
  const rest = peek();
  if (rest.type !== 'end') throw new ExpressionSyntaxError(`expected the end of the expression but found ${describe(rest)}`, rest.position);
  checkSelectUniqueValuePlacement(root, true);
  return root;
}

function checkArity(node: CallExpression, spec: FunctionSpec): void {
  const count = node.args.length;
  if (count < spec.min || count > spec.max) {
    const expected =
      spec.min === spec.max ? `${spec.min}` : spec.max === Infinity ? `at least ${spec.min}` : `${spec.min} to ${spec.max}`;
    throw new ExpressionSyntaxError(`${node.name} takes ${expected} argument${expected === '1' ? '' : 's'} but was given ${count}`, node.position);
  }
  node.args.forEach((arg, i) => {
    if (arg.kind === 'omitted' && !(spec.omittable ?? (() => false))(i, count)) {
      throw new ExpressionSyntaxError(`${node.name}: ${paramName(spec, i)} (argument ${i + 1}) is required`, arg.position);
    }
  });
}

function paramName(spec: Signature, index: number): string {
  return spec.params[Math.min(index, spec.params.length - 1)] ?? `argument ${index + 1}`;
}

// "This function must be at the top-level and can't be nested."
function checkSelectUniqueValuePlacement(node: Expression, top: boolean): void {
  if (node.kind === 'call') {
    if (node.name === 'SelectUniqueValue' && !top) throw new ExpressionSyntaxError('SelectUniqueValue must be the whole expression, not nested', node.position);
    for (const arg of node.args) checkSelectUniqueValuePlacement(arg, false);
  } else if (node.kind === 'compare') {
    checkSelectUniqueValuePlacement(node.left, false);
    checkSelectUniqueValuePlacement(node.right, false);
  }
}

// ---------------------------------------------------------------------------------------------
// Evaluation

class IgnoreFlowSignal {}

export function evaluateExpression(expr: Expression, context: ExpressionContext): EvaluationResult {
  const state: Evaluation = { now: context.now, random: context.random, isUnique: context.isUnique, defaultDomain: context.defaultDomain };
  try {
    return evaluate(expr, context.attributes, state);
  } catch (error) {
    if (error instanceof IgnoreFlowSignal) return IGNORE_FLOW;
    throw error;
  }
}

/**
 * The candidates a top-level SelectUniqueValue would try, evaluated, in order, without empties or
 * repeats; [] for any other expression. An async caller checks these against its directories and
 * then evaluates with an `isUnique` that knows the answers. Guid() and RandomString() in a
 * candidate give the same values only if `random` replays the same sequence in both calls.
 */
export function uniqueValueCandidates(expr: Expression, context: ExpressionContext): string[] {
  if (expr.kind !== 'call' || expr.name !== 'SelectUniqueValue') return [];
  const state: Evaluation = { now: context.now, random: context.random, isUnique: undefined, defaultDomain: context.defaultDomain };
  const candidates: string[] = [];
  for (const arg of expr.args) {
    let value: ExpressionValue;
    try {
      value = evaluate(arg, context.attributes, state);
    } catch (error) {
      if (error instanceof IgnoreFlowSignal) continue;
      throw error;
    }
    const text = new Arguments([value], expr, specs.SelectUniqueValue, state).text(0);
    if (text !== null && text !== '' && !candidates.includes(text)) candidates.push(text);
  }
  return candidates;
}

/** Attribute names the expression reads, in order of first use. */
export function referencedAttributes(expr: Expression): string[] {
  const names: string[] = [];
  const visit = (node: Expression): void => {
    if (node.kind === 'attribute' && !names.includes(node.name)) names.push(node.name);
    else if (node.kind === 'call') node.args.forEach(visit);
    else if (node.kind === 'compare') {
      visit(node.left);
      visit(node.right);
    }
  };
  visit(expr);
  return names;
}

/** Whether the expression calls the function anywhere. */
export function usesFunction(expr: Expression, name: FunctionName): boolean {
  if (expr.kind === 'call') return expr.name === name || expr.args.some((arg) => usesFunction(arg, name));
  if (expr.kind === 'compare') return usesFunction(expr.left, name) || usesFunction(expr.right, name);
  return false;
}

/** Whether the value must be masked in logs, as Entra does for an expression wrapped in Redact(). */
export function isRedacted(expr: Expression): boolean {
  if (expr.kind === 'call') return expr.name === 'Redact' || expr.args.some(isRedacted);
  if (expr.kind === 'compare') return isRedacted(expr.left) || isRedacted(expr.right);
  return false;
}

type Attributes = ExpressionContext['attributes'];

function lookup(attributes: Attributes, name: string): ExpressionValue {
  if (Object.hasOwn(attributes, name)) return attributes[name] ?? null;
  const lower = name.toLowerCase();
  for (const key of Object.keys(attributes)) {
    if (key.toLowerCase() === lower) return attributes[key] ?? null;
  }
  return null;
}

function evaluate(node: Expression, attributes: Attributes, state: Evaluation): ExpressionValue {
  switch (node.kind) {
    case 'string':
    case 'number':
    case 'constant':
      return node.value;
    case 'omitted':
      return null;
    case 'attribute':
      return lookup(attributes, node.name);
    case 'compare':
      return compare(node, evaluate(node.left, attributes, state), evaluate(node.right, attributes, state));
    case 'call': {
      const spec = specs[node.name];
      if (spec.choose) {
        const results = node.args.map((arg): EvaluationResult => {
          try {
            return evaluate(arg, attributes, state);
          } catch (error) {
            if (error instanceof IgnoreFlowSignal) return IGNORE_FLOW;
            throw error;
          }
        });
        if (results.some((result, i) => result === IGNORE_FLOW && spec.decides(i))) throw new IgnoreFlowSignal();
        const values = results.map((result) => (result === IGNORE_FLOW ? null : result));
        const chosen = spec.choose(new Arguments(values, node, spec, state));
        const result = chosen === null ? null : (results[chosen] ?? null);
        if (result === IGNORE_FLOW) throw new IgnoreFlowSignal();
        return result;
      }
      const values = node.args.map((arg) => evaluate(arg, attributes, state));
      return spec.evaluate(new Arguments(values, node, spec, state));
    }
  }
}

/** A function's evaluated arguments, with conversions that fail with the function and parameter named. */
class Arguments {
  constructor(
    readonly values: readonly ExpressionValue[],
    readonly call: CallExpression,
    readonly spec: Signature,
    readonly state: Evaluation,
  ) {}

  get count(): number {
    return this.values.length;
  }

  fail(code: EvaluationErrorCode, message: string): never {
    throw new ExpressionEvaluationError(code, `${this.call.name}: ${message}`, this.call.position);
  }

  attempt<T>(code: EvaluationErrorCode, run: () => T): T {
    try {
      return run();
    } catch (error) {
      if (error instanceof ExpressionEvaluationError || error instanceof IgnoreFlowSignal) throw error;
      return this.fail(code, error instanceof Error ? error.message : String(error));
    }
  }

  private name(index: number): string {
    return paramName(this.spec, index);
  }

  value(index: number): ExpressionValue {
    return this.values[index] ?? null;
  }

  /** A single value; a multi-valued attribute with one value counts as that value. */
  scalar(index: number): string | number | boolean | null {
    const value = this.value(index);
    if (!Array.isArray(value)) return value;
    if (value.length === 0) return null;
    if (value.length === 1) return value[0]!;
    return this.fail('multi-valued', `${this.name(index)} has ${value.length} values where one is expected`);
  }

  text(index: number): string | null {
    const value = this.scalar(index);
    return value === null ? null : toText(value);
  }

  requiredText(index: number): string {
    return this.text(index) ?? this.fail('invalid-argument', `${this.name(index)} is empty`);
  }

  number(index: number): number | null {
    const value = this.scalar(index);
    if (value === null) return null;
    const n = toNumber(value);
    if (n === undefined) this.fail('invalid-argument', `${this.name(index)} must be a number, not ${JSON.stringify(value)}`);
    return n;
  }

  integer(index: number): number | null {
    const n = this.number(index);
    if (n !== null && !Number.isInteger(n)) this.fail('invalid-argument', `${this.name(index)} must be a whole number, not ${n}`);
    return n;
  }

  requiredInteger(index: number): number {
    return this.integer(index) ?? this.fail('invalid-argument', `${this.name(index)} is empty`);
  }

  date(index: number): DateTime | null {
    const value = this.text(index);
    if (value === null) return null;
    return parseDateTime(value) ?? this.fail('invalid-date', `${this.name(index)} "${value}" is not a date`);
  }

  interval(index: number): DateInterval {
    const value = this.requiredText(index).toLowerCase();
    if (!isDateInterval(value)) return this.fail('invalid-argument', unknownInterval(value));
    return value;
  }
}

function isNull(value: ExpressionValue): boolean {
  return value === null || (Array.isArray(value) && value.length === 0);
}

function isNullOrEmpty(value: ExpressionValue): boolean {
  return isNull(value) || value === '';
}

function list(value: ExpressionValue): string[] {
  if (value === null) return [];
  return Array.isArray(value) ? value : [toText(value)];
}

function toText(value: string | number | boolean): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  return String(value);
}

function toNumber(value: string | number | boolean): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'boolean') return undefined;
  const text = value.trim();
  return /^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/.test(text) ? Number(text) : undefined;
}

/** VB's CBool: booleans as they are, numbers and numeric text true when non-zero, "True"/"False" in any case. */
function toBoolean(a: Arguments, index: number): boolean {
  const scalar = a.scalar(index);
  if (scalar === null) return false;
  if (typeof scalar === 'boolean') return scalar;
  if (typeof scalar === 'number') return scalar !== 0;
  const lower = scalar.trim().toLowerCase();
  if (lower === 'true') return true;
  if (lower === 'false') return false;
  const n = toNumber(scalar);
  if (n === undefined) return a.fail('invalid-argument', `${paramName(a.spec, index)} "${scalar}" is neither true, false nor a number`);
  return n !== 0;
}

// VB's rules: a number on either side compares numerically, a boolean as a boolean, otherwise
// ordinal (case-sensitive) text; null is "" next to text and 0 next to a number.
function compare(node: Extract<Expression, { kind: 'compare' }>, left: ExpressionValue, right: ExpressionValue): boolean {
  const fail = (message: string): never => {
    throw new ExpressionEvaluationError('invalid-argument', message, node.position);
  };
  const single = (value: ExpressionValue): string | number | boolean | null => {
    if (!Array.isArray(value)) return value;
    if (value.length > 1) fail(`cannot compare a multi-valued attribute with ${node.op}`);
    return value[0] ?? null;
  };
  const l = single(left);
  const r = single(right);
  let order: number;
  if (typeof l === 'boolean' || typeof r === 'boolean') {
    const asBoolean = (value: string | number | boolean | null): boolean => {
      if (value === null) return false;
      if (typeof value === 'boolean') return value;
      if (typeof value === 'string' && ['true', 'false'].includes(value.trim().toLowerCase())) return value.trim().toLowerCase() === 'true';
      const n = toNumber(value);
      return n === undefined ? fail(`cannot compare "${value}" with a boolean`) : n !== 0;
    };
    if (node.op !== '=' && node.op !== '<>') fail(`booleans can only be compared with = and <>`);
    order = asBoolean(l) === asBoolean(r) ? 0 : 1;
  } else if (typeof l === 'number' || typeof r === 'number') {
    const asNumber = (value: string | number | null): number => {
      if (value === null) return 0;
      return toNumber(value) ?? fail(`cannot compare "${value}" with a number`);
    };
    const a = asNumber(l);
    const b = asNumber(r);
    order = a < b ? -1 : a > b ? 1 : 0;
  } else {
    const a = l ?? '';
    const b = r ?? '';
    order = a < b ? -1 : a > b ? 1 : 0;
  }
  switch (node.op) {
    case '=':
      return order === 0;
    case '<>':
      return order !== 0;
    case '<':
      return order < 0;
    case '<=':
      return order <= 0;
    case '>':
      return order > 0;
    case '>=':
      return order >= 0;
  }
}

function compareMode(value: string | number | boolean | null): 'binary' | 'text' | undefined {
  if (value === 0 || (typeof value === 'string' && ['vbbinarycompare', '0'].includes(value.trim().toLowerCase()))) return 'binary';
  if (value === 1 || (typeof value === 'string' && ['vbtextcompare', '1'].includes(value.trim().toLowerCase()))) return 'text';
  return undefined;
}

function cultureOf(culture: string | null): string | undefined {
  // No culture, or "" (.NET's name for it), is the invariant culture.
  if (culture === null || culture.trim() === '') return undefined;
  try {
    return Intl.getCanonicalLocales(culture.trim())[0];
  } catch {
    throw new Error(`unknown culture "${culture}" (expected a name such as en-US or tr-TR)`);
  }
}

// ---------------------------------------------------------------------------------------------
// Replace

type ReplaceMode = 'text' | 'template' | 'regex' | 'group' | 'fallback';

// Chosen by which arguments are given, in the order the reference lists the behaviours.
function replaceMode(args: readonly Expression[]): ReplaceMode | undefined {
  const given = (i: number) => args[i] !== undefined && args[i].kind !== 'omitted';
  if (given(1) && given(4)) return 'text';
  if (given(1) && given(6)) return 'template';
  if (given(2) && given(3) && given(4)) return 'group';
  if (given(2) && given(4)) return 'regex';
  if (given(2) && given(3) && given(5)) return 'fallback';
  return undefined;
}

function compileRegex(pattern: string, flags: string): RegExp {
  try {
    return new RegExp(pattern, flags);
  } catch (error) {
    throw new Error(error instanceof Error ? error.message.replace(/^Invalid regular expression: /, '') : String(error));
  }
}

function regexGroupNames(pattern: string): string[] {
  // An empty alternative matches "", and the match lists every named group of the pattern.
  const groups = compileRegex(`(?:${pattern})|`, '').exec('')?.groups;
  return groups ? Object.keys(groups) : [];
}

function evaluateReplace(a: Arguments): ExpressionValue {
  const mode = replaceMode(a.call.args);
  const source = a.text(0);
  switch (mode) {
    case 'text': {
      const oldValue = a.requiredText(1);
      if (source === null) return null;
      return oldValue === '' ? source : source.replaceAll(oldValue, a.text(4) ?? '');
    }
    case 'template': {
      const oldValue = a.requiredText(1);
      const template = a.text(6);
      if (source === null || template === null) return null;
      return oldValue === '' ? template : template.replaceAll(oldValue, source);
    }
    case 'regex': {
      const regex = a.attempt('invalid-pattern', () => compileRegex(a.requiredText(2), 'g'));
      if (source === null) return null;
      const replacement = a.text(4) ?? '';
      let out = '';
      let last = 0;
      for (const match of source.matchAll(regex)) {
        out += source.slice(last, match.index) + expandReplacement(replacement, match, source);
        last = match.index + match[0].length;
      }
      return out + source.slice(last);
    }
    case 'group': {
      const pattern = a.requiredText(2);
      const group = a.requiredText(3);
      const regex = a.attempt('invalid-pattern', () => compileRegex(pattern, 'dg'));
      if (!regexGroupNames(pattern).includes(group)) a.fail('invalid-pattern', `regexGroupName "${group}" is not a named group of the pattern`);
      if (source === null) return null;
      const replacement = a.text(4) ?? '';
      let out = '';
      let last = 0;
      for (const match of source.matchAll(regex)) {
        const span = match.indices?.groups?.[group];
        if (!span) continue;
        out += source.slice(last, span[0]) + replacement;
        last = span[1];
      }
      return out + source.slice(last);
    }
    case 'fallback': {
      if (source !== null && source !== '') return source;
      const pattern = a.requiredText(2);
      const group = a.requiredText(3);
      const regex = a.attempt('invalid-pattern', () => compileRegex(pattern, ''));
      if (!regexGroupNames(pattern).includes(group)) a.fail('invalid-pattern', `regexGroupName "${group}" is not a named group of the pattern`);
      const other = a.text(5);
      if (other === null) return null;
      return regex.exec(other)?.groups?.[group] ?? null;
    }
    case undefined:
      return a.fail('invalid-argument', 'no replacement was given');
  }
}

/** .NET replacement syntax: $1, ${name}, $$, $&, $`, $', $+ and $_. */
function expandReplacement(replacement: string, match: RegExpExecArray | RegExpMatchArray, input: string): string {
  const index = match.index ?? 0;
  let out = '';
  for (let i = 0; i < replacement.length; i++) {
    const ch = replacement[i]!;
    const next = replacement[i + 1];
    if (ch !== '$' || next === undefined) {
      out += ch;
      continue;
    }
    if (next === '$') {
      out += '$';
      i++;
    } else if (next === '&') {
      out += match[0];
      i++;
    } else if (next === '`') {
      out += input.slice(0, index);
      i++;
    } else if (next === "'") {
      out += input.slice(index + match[0].length);
      i++;
    } else if (next === '+') {
      out += match.length > 1 ? (match[match.length - 1] ?? '') : '';
      i++;
    } else if (next === '_') {
      out += input;
      i++;
    } else if (next === '{') {
      const end = replacement.indexOf('}', i + 2);
      const name = end < 0 ? '' : replacement.slice(i + 2, end);
      const value = /^\d+$/.test(name) ? match[Number(name)] : match.groups?.[name];
      const exists = /^\d+$/.test(name) ? Number(name) < match.length : match.groups !== undefined && name in match.groups;
      if (end < 0 || !exists) {
        out += ch;
        continue;
      }
      out += value ?? '';
      i = end;
    } else if (/\d/.test(next)) {
      // The longest run of digits that names a group.
      let digits = '';
      let j = i + 1;
      while (j < replacement.length && /\d/.test(replacement[j]!) && Number(digits + replacement[j]) < match.length) {
        digits += replacement[j];
        j++;
      }
      if (digits === '') {
        out += ch;
        continue;
      }
      out += match[Number(digits)] ?? '';
      i = j - 1;
    } else {
      out += ch;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Text helpers

function utf16le(text: string): Uint8Array {
  const bytes = new Uint8Array(text.length * 2);
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    bytes[2 * i] = unit & 0xff;
    bytes[2 * i + 1] = unit >> 8;
  }
  return bytes;
}

const base64Alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

function base64(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const [b0, b1, b2] = [bytes[i]!, bytes[i + 1], bytes[i + 2]];
    const triple = (b0 << 16) | ((b1 ?? 0) << 8) | (b2 ?? 0);
    out += base64Alphabet[(triple >> 18) & 63]! + base64Alphabet[(triple >> 12) & 63]!;
    out += b1 === undefined ? '=' : base64Alphabet[(triple >> 6) & 63]!;
    out += b2 === undefined ? '=' : base64Alphabet[triple & 63]!;
  }
  return out;
}

/** Letters the reference's table maps that Unicode decomposition leaves alone (ø is "oe" there). */
const diacriticLetters: Record<string, string> = {
  æ: 'ae',
  Æ: 'AE',
  ø: 'oe',
  Ø: 'OE',
  œ: 'oe',
  Œ: 'OE',
  ß: 'ss',
  ẞ: 'SS',
  ı: 'i',
  ł: 'l',
  Ł: 'L',
};

function normalizeDiacritics(text: string): string {
  return text
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .replace(/[æÆøØœŒßẞıłŁ]/g, (ch) => diacriticLetters[ch] ?? ch)
    .normalize('NFC');
}

// .NET's TextInfo.ToTitleCase word separators: space, control, format, punctuation and symbol
// categories, except the apostrophe, which ToTitleCase keeps inside a word.
const titleCaseSeparator = /^[\p{Z}\p{Cc}\p{Cf}\p{P}\p{S}]$/u;
const titleCaseLetters: Record<string, string> = { ǆ: 'ǅ', ǉ: 'ǈ', ǌ: 'ǋ', ǳ: 'ǲ' };

/** PCase without separators: ToTitleCase of the lower-cased text (so PABLO becomes Pablo). */
function titleCase(text: string): string {
  let out = '';
  let inWord = false;
  for (const ch of text.toLowerCase()) {
    if (!inWord && /^\p{L}$/u.test(ch)) {
      out += titleCaseLetters[ch] ?? ch.toUpperCase();
      inWord = true;
    } else {
      if (inWord && ch !== "'" && titleCaseSeparator.test(ch)) inWord = false;
      out += ch;
    }
  }
  return out;
}

/** PCase with separators: only those characters start a new word. */
function properCase(text: string, separators: string): string {
  let out = '';
  let atStart = true;
  for (const ch of text.toLowerCase()) {
    if (separators.includes(ch)) {
      out += ch;
      atStart = true;
    } else {
      out += atStart ? ch.toUpperCase() : ch;
      atStart = false;
    }
  }
  return out;
}

function randomIndex(random: () => number, length: number): number {
  return Math.min(length - 1, Math.floor(random() * length));
}

function guid(random: () => number): string {
  const bytes = Array.from({ length: 16 }, () => randomIndex(random, 256));
  bytes[6] = (bytes[6]! & 0x0f) | 0x40; // version 4
  bytes[8] = (bytes[8]! & 0x3f) | 0x80; // RFC 4122 variant
  const hex = bytes.map((byte) => byte.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

// The character classes of Windows' "password must meet complexity requirements", which the
// reference points to for RandomString.
const randomClasses = ['0123456789', '~!@#$%^&*_-+=`|\\(){}[]:;"\'<>,.?/', 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz'] as const;

function randomStringProblem([length, ...minimums]: readonly number[]): string | undefined {
  if ([length, ...minimums].some((n) => n === undefined || !Number.isInteger(n) || n < 0)) return 'lengths and minimums must be whole numbers, 0 or more';
  if (length! > 256) return `length is at most 256, not ${length}`;
  const sum = minimums.reduce((total, n) => total + n, 0);
  if (sum > length!) return `the minimums add up to ${sum}, more than the length ${length}`;
  return undefined;
}

function randomString([length, ...minimums]: readonly number[], avoid: string, random: () => number): string | { problem: string } {
  const pools = randomClasses.map((chars) => [...chars].filter((ch) => !avoid.includes(ch)));
  const chars: string[] = [];
  for (const [i, minimum] of minimums.entries()) {
    const pool = pools[i]!;
    if (minimum > 0 && pool.length === 0) return { problem: 'charactersToAvoid excludes a whole character class that has a minimum' };
    for (let n = 0; n < minimum; n++) chars.push(pool[randomIndex(random, pool.length)]!);
  }
  const all = pools.flat();
  while (chars.length < length!) {
    if (all.length === 0) return { problem: 'charactersToAvoid excludes every character' };
    chars.push(all[randomIndex(random, all.length)]!);
  }
  for (let i = chars.length - 1; i > 0; i--) {
    const j = randomIndex(random, i + 1);
    [chars[i], chars[j]] = [chars[j]!, chars[i]!];
  }
  return chars.join('');
}

// ---------------------------------------------------------------------------------------------
// Dates

const fileTimeEpochOffsetMs = 11_644_473_600_000n; // 1601-01-01 to 1970-01-01

type DateInterval = 'yyyy' | 'm' | 'd' | 'ww' | 'h' | 'n' | 's';
const dateIntervals: ReadonlySet<string> = new Set<DateInterval>(['yyyy', 'm', 'd', 'ww', 'h', 'n', 's']);
const isDateInterval = (value: string): value is DateInterval => dateIntervals.has(value);
const unknownInterval = (value: string) => `unknown interval "${value}" (expected yyyy, m, d, ww, h, n or s)`;

/** VB.NET's DateDiff, in UTC. */
function dateDiff(interval: DateInterval, date1: DateTime, date2: DateTime): number {
  const fix = (n: number) => Math.trunc(n) || 0;
  const millis = date2.toMillis() - date1.toMillis();
  switch (interval) {
    case 'yyyy':
      return date2.year - date1.year;
    case 'm':
      return (date2.year - date1.year) * 12 + date2.month - date1.month;
    case 'd':
      return fix(millis / 86_400_000);
    case 'h':
      return fix(millis / 3_600_000);
    case 'n':
      return fix(millis / 60_000);
    case 's':
      return fix(millis / 1000);
    case 'ww': {
      // Calendar weeks: both dates step back to their week's start (Sunday) first.
      const back = (date: DateTime) => date.minus({ days: date.weekday % 7 });
      return fix(fix((back(date2).toMillis() - back(date1).toMillis()) / 86_400_000) / 7);
    }
  }
}

function offsetMinutes(text: string): number {
  if (text === 'Z' || text === 'z') return 0;
  const sign = text.startsWith('-') ? -1 : 1;
  const digits = text.slice(1).replace(':', '');
  return sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || '0'));
}

function zoneOf(offset: string | undefined) {
  return offset === undefined ? 'utc' : FixedOffsetZone.instance(offsetMinutes(offset));
}

/**
 * A date as the reference's examples write them: ISO 8601 with or without time and offset
 * (2009-06-15T01:45:30-07:00, and Workday's 2020-03-16-07:00), a space for the T, or the
 * M/d/yyyy h:mm:ss tt that CDate and Now return. No offset means UTC.
 */
function parseDateTime(text: string): DateTime | undefined {
  const value = text.trim();
  const iso = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,7}))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i.exec(value);
  const us = /^(\d{1,2})\/(\d{1,2})\/(\d{4})(?:\s+(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,7}))?)?(?:\s*([AP]M))?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i.exec(value);
  let parts: { year: number; month: number; day: number; hour: number; minute: number; second: number; fraction: string; offset: string | undefined };
  if (iso) {
    const [, year, month, day, hour, minute, second, fraction, offset] = iso;
    parts = { year: +year!, month: +month!, day: +day!, hour: +(hour ?? 0), minute: +(minute ?? 0), second: +(second ?? 0), fraction: fraction ?? '', offset };
  } else if (us) {
    const [, month, day, year, hour, minute, second, fraction, meridiem, offset] = us;
    let h = +(hour ?? 0);
    if (meridiem) {
      if (h < 1 || h > 12) return undefined;
      h = (h % 12) + (meridiem.toUpperCase() === 'PM' ? 12 : 0);
    }
    parts = { year: +year!, month: +month!, day: +day!, hour: h, minute: +(minute ?? 0), second: +(second ?? 0), fraction: fraction ?? '', offset };
  } else {
    return undefined;
  }
  const { fraction, offset, ...fields } = parts;
  const date = DateTime.fromObject({ ...fields, millisecond: Math.floor(Number(`0.${fraction || '0'}`) * 1000) }, { zone: zoneOf(offset) });
  return date.isValid ? date.toUTC() : undefined;
}

// .NET custom date and time format strings (en-US, which is also what the invariant culture uses).

type FormatPart = { field: string } | { literal: string; quoted: boolean };

const monthNames = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const dayNames = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const fieldLetters = 'dfFghHKmMstyz';

/** The single-letter standard formats, as the custom formats they stand for. */
const standardFormats: Record<string, string> = {
  d: 'M/d/yyyy',
  D: 'dddd, MMMM d, yyyy',
  f: 'dddd, MMMM d, yyyy h:mm tt',
  F: 'dddd, MMMM d, yyyy h:mm:ss tt',
  g: 'M/d/yyyy h:mm tt',
  G: 'M/d/yyyy h:mm:ss tt',
  m: 'MMMM d',
  M: 'MMMM d',
  o: "yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'fffffffK",
  O: "yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'fffffffK",
  r: "ddd, dd MMM yyyy HH':'mm':'ss 'GMT'",
  R: "ddd, dd MMM yyyy HH':'mm':'ss 'GMT'",
  s: "yyyy'-'MM'-'dd'T'HH':'mm':'ss",
  t: 'h:mm tt',
  T: 'h:mm:ss tt',
  u: "yyyy'-'MM'-'dd HH':'mm':'ss'Z'",
  y: 'MMMM yyyy',
  Y: 'MMMM yyyy',
};

function dotNetFormat(format: string): FormatPart[] {
  if (format === '') throw new Error('the date format is empty');
  if (format.length === 1) {
    const standard = standardFormats[format];
    if (!standard) throw new Error(`"${format}" is not a standard date format (write "%${format}" for the single custom specifier)`);
    return dotNetFormat(standard);
  }
  const parts: FormatPart[] = [];
  const literal = (text: string, quoted: boolean) => {
    const last = parts[parts.length - 1];
    if (last && 'literal' in last && last.quoted === quoted) last.literal += text;
    else parts.push({ literal: text, quoted });
  };
  let i = 0;
  while (i < format.length) {
    const ch = format[i]!;
    if (fieldLetters.includes(ch)) {
      let n = 1;
      while (format[i + n] === ch) n++;
      if ((ch === 'f' || ch === 'F') && n > 7) throw new Error(`"${ch.repeat(n)}" has more than 7 fraction digits`);
      parts.push({ field: ch.repeat(n) });
      i += n;
    } else if (ch === '"' || ch === "'") {
      let text = '';
      let j = i + 1;
      for (;;) {
        if (j >= format.length) throw new Error(`unterminated quoted text in the date format "${format}"`);
        const c = format[j]!;
        if (c === ch) break;
        if (c === '\\' && j + 1 < format.length) {
          text += format[j + 1];
          j += 2;
          continue;
        }
        text += c;
        j++;
      }
      literal(text, true);
      i = j + 1;
    } else if (ch === '\\') {
      if (i + 1 >= format.length) throw new Error(`the date format "${format}" ends with a backslash`);
      literal(format[i + 1]!, true);
      i += 2;
    } else if (ch === '%') {
      const next = format[i + 1];
      if (next === undefined || !fieldLetters.includes(next)) throw new Error(`"%" must be followed by a format specifier in "${format}"`);
      parts.push({ field: next });
      i += 2;
    } else {
      literal(ch, false);
      i++;
    }
  }
  return parts;
}

const pad = (n: number, width: number) => String(n).padStart(width, '0');

function formatDotNet(date: DateTime, parts: readonly FormatPart[]): string {
  let out = '';
  for (const part of parts) {
    if ('literal' in part) {
      out += part.literal;
      continue;
    }
    const n = part.field.length;
    const fraction = pad(date.millisecond, 3) + '0000';
    switch (part.field[0]) {
      case 'd':
        out += n === 1 ? date.day : n === 2 ? pad(date.day, 2) : n === 3 ? dayNames[date.weekday % 7]!.slice(0, 3) : dayNames[date.weekday % 7];
        break;
      case 'f':
        out += fraction.slice(0, n);
        break;
      case 'F': {
        const digits = fraction.slice(0, n).replace(/0+$/, '');
        // .NET drops the decimal point too when nothing follows it.
        if (digits === '' && out.endsWith('.')) out = out.slice(0, -1);
        out += digits;
        break;
      }
      case 'g':
        out += 'A.D.';
        break;
      case 'h':
        out += n === 1 ? date.hour % 12 || 12 : pad(date.hour % 12 || 12, 2);
        break;
      case 'H':
        out += n === 1 ? date.hour : pad(date.hour, 2);
        break;
      case 'K':
        out += 'Z';
        break;
      case 'm':
        out += n === 1 ? date.minute : pad(date.minute, 2);
        break;
      case 'M':
        out += n === 1 ? date.month : n === 2 ? pad(date.month, 2) : n === 3 ? monthNames[date.month - 1]!.slice(0, 3) : monthNames[date.month - 1];
        break;
      case 's':
        out += n === 1 ? date.second : pad(date.second, 2);
        break;
      case 't':
        out += (date.hour < 12 ? 'AM' : 'PM').slice(0, n === 1 ? 1 : 2);
        break;
      case 'y':
        out += n === 1 ? date.year % 100 : n === 2 ? pad(date.year % 100, 2) : pad(date.year, n);
        break;
      case 'z':
        // Dates are UTC here.
        out += n === 1 ? '+0' : n === 2 ? '+00' : '+00:00';
        break;
    }
  }
  return out;
}

const cdateFormat = dotNetFormat('M/d/yyyy h:mm:ss tt');

function formatDateTime(date: DateTime): string {
  return formatDotNet(date.toUTC(), cdateFormat);
}

const styleFlags: Record<string, number> = {
  none: 0,
  allowleadingwhite: 1,
  allowtrailingwhite: 2,
  allowinnerwhite: 4,
  allowwhitespaces: 7,
  nocurrentdatedefault: 8,
  adjusttouniversal: 16,
  assumelocal: 32,
  assumeuniversal: 64,
  roundtripkind: 128,
};
const defaultStyles = styleFlags.roundtripkind! | styleFlags.allowleadingwhite! | styleFlags.allowtrailingwhite!;

/**
 * DateTimeStyles by name ("AllowWhiteSpaces, AdjustToUniversal", with or without "DateTimeStyles.")
 * or number. The provisioning service runs in UTC, so local, universal and round-trip kinds all
 * come out as UTC here; the whitespace and current-date flags change parsing.
 */
function dateTimeStyles(text: string): number {
  if (text.trim() === '') return defaultStyles;
  if (/^\d+$/.test(text.trim())) {
    const n = Number(text.trim());
    if (n > 255) throw new Error(`${n} is not a DateTimeStyles value`);
    return n;
  }
  let flags = 0;
  for (const name of text.split(/[,|]/)) {
    const key = name.trim().replace(/^DateTimeStyles\./i, '').toLowerCase();
    const flag = styleFlags[key];
    if (flag === undefined) throw new Error(`unknown DateTimeStyles value "${name.trim()}"`);
    flags |= flag;
  }
  return flags;
}

/** .NET's DateTime.ParseExact for the format parts; the result is UTC. */
function parseExact(input: string, parts: readonly FormatPart[], styles: number, now: Date): DateTime | undefined {
  let s = input;
  if (styles & styleFlags.allowleadingwhite!) s = s.trimStart();
  if (styles & styleFlags.allowtrailingwhite!) s = s.trimEnd();
  const innerWhite = (styles & styleFlags.allowinnerwhite!) !== 0;
  let i = 0;
  const found: { year?: number; month?: number; day?: number; hour?: number; hour12?: number; pm?: boolean; minute?: number; second?: number; millisecond?: number; offset?: number } = {};

  const digits = (min: number, max: number): number | undefined => {
    let text = '';
    while (text.length < max && i < s.length && s[i]! >= '0' && s[i]! <= '9') text += s[i++];
    return text.length >= min ? Number(text) : undefined;
  };
  const word = (choices: readonly string[]): number | undefined => {
    // Longest first, so "May" is not taken for the start of "March" and full names beat short ones.
    const ordered = choices.map((choice, index) => ({ choice, index })).sort((x, y) => y.choice.length - x.choice.length);
    for (const { choice, index } of ordered) {
      if (s.slice(i, i + choice.length).toLowerCase() === choice.toLowerCase()) {
        i += choice.length;
        return index;
      }
    }
    return undefined;
  };
  const offset = (requireMinutes: boolean): number | undefined => {
    const sign = s[i];
    if (sign !== '+' && sign !== '-') return undefined;
    i++;
    const hours = digits(1, 2);
    if (hours === undefined) return undefined;
    let minutes = 0;
    if (s[i] === ':') {
      i++;
      const m = digits(2, 2);
      if (m === undefined) return undefined;
      minutes = m;
    } else if (requireMinutes && /^\d{2}/.test(s.slice(i))) {
      minutes = digits(2, 2)!;
    }
    return (sign === '-' ? -1 : 1) * (hours * 60 + minutes);
  };

  for (const part of parts) {
    if ('literal' in part) {
      for (const ch of part.literal) {
        if (/\s/.test(ch) && innerWhite) {
          while (i < s.length && /\s/.test(s[i]!)) i++;
        } else if (ch === 'Z' && !part.quoted) {
          // An unquoted Z is the UTC designator, as in the reference's "yyyyMMddHHmmss.fZ".
          if (s[i] !== 'Z' && s[i] !== 'z') return undefined;
          i++;
          found.offset = 0;
        } else {
          if (s[i] !== ch) return undefined;
          i++;
        }
      }
      continue;
    }
    const n = part.field.length;
    let value: number | undefined;
    switch (part.field[0]) {
      case 'd':
        if (n <= 2) value = found.day = digits(n, 2);
        else value = word(n === 3 ? dayNames.map((d) => d.slice(0, 3)) : dayNames);
        break;
      case 'M':
        if (n <= 2) value = found.month = digits(n, 2);
        else {
          value = word(n === 3 ? monthNames.map((m) => m.slice(0, 3)) : monthNames);
          if (value !== undefined) found.month = value + 1;
        }
        break;
      case 'y':
        if (n <= 2) {
          value = digits(n, 2);
          // .NET's two-digit year window ends at 2049.
          if (value !== undefined) found.year = value + (value <= 49 ? 2000 : 1900);
        } else {
          value = found.year = digits(n, Math.max(n, 4));
        }
        break;
      case 'h':
        value = found.hour12 = digits(Math.min(n, 2), 2);
        break;
      case 'H':
        value = found.hour = digits(Math.min(n, 2), 2);
        break;
      case 'm':
        value = found.minute = digits(Math.min(n, 2), 2);
        break;
      case 's':
        value = found.second = digits(Math.min(n, 2), 2);
        break;
      case 'f':
      case 'F': {
        const start = i;
        value = digits(part.field[0] === 'f' ? n : 0, n);
        const text = s.slice(start, i);
        found.millisecond = text === '' ? 0 : Math.floor(Number(`0.${text}`) * 1000);
        break;
      }
      case 't':
        value = word(n === 1 ? ['A', 'P'] : ['AM', 'PM']);
        if (value !== undefined) found.pm = value === 1;
        break;
      case 'z':
        value = found.offset = offset(n >= 3);
        break;
      case 'K':
        if (s[i] === 'Z' || s[i] === 'z') {
          i++;
          value = found.offset = 0;
        } else if (s[i] === '+' || s[i] === '-') {
          value = found.offset = offset(true);
        } else {
          value = 0;
        }
        break;
      case 'g':
        value = word(['A.D.', 'AD']) ?? 0;
        break;
    }
    if (value === undefined) return undefined;
  }
  if (i !== s.length) return undefined;

  let hour = found.hour ?? 0;
  if (found.hour12 !== undefined) {
    if (found.hour12 > 12) return undefined;
    hour = found.pm === undefined ? found.hour12 : (found.hour12 % 12) + (found.pm ? 12 : 0);
  } else if (found.pm !== undefined && found.hour !== undefined && (found.hour < 12) === found.pm) {
    return undefined;
  }
  // .NET's defaults: no date at all is today (or 0001-01-01 with NoCurrentDateDefault); a partial
  // date takes the current year and the first month and day.
  const today = DateTime.fromJSDate(now, { zone: 'utc' });
  let { year, month, day } = found;
  if (year === undefined && month === undefined && day === undefined) {
    const base = styles & styleFlags.nocurrentdatedefault! ? DateTime.utc(1, 1, 1) : today;
    ({ year, month, day } = base);
  }
  const date = DateTime.fromObject(
    { year: year ?? today.year, month: month ?? 1, day: day ?? 1, hour, minute: found.minute ?? 0, second: found.second ?? 0, millisecond: found.millisecond ?? 0 },
    { zone: found.offset === undefined ? 'utc' : FixedOffsetZone.instance(found.offset) },
  );
  return date.isValid ? date.toUTC() : undefined;
}
