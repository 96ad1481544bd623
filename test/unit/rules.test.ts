import { describe, expect, it } from 'vitest';
import { evaluateRule, maxRuleDepth, maxRuleLength, parseRule, RuleSyntaxError, type Attributes, type EvaluateOptions, type ParseOptions, type Rule } from '../../domain/rules';

/** The error parseRule throws for `text`; fails the test when it parses or throws something else. */
function syntaxError(text: string, options?: ParseOptions): RuleSyntaxError {
  try {
    parseRule(text, options);
  } catch (error) {
    if (error instanceof RuleSyntaxError) return error;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(text)} to be refused`);
}

const matches = (text: string, attributes: Attributes, options?: EvaluateOptions) => evaluateRule(parseRule(text), attributes, options);

// Small AST builders, so expected trees read like the rule.
const cmp = (attribute: string, op: Extract<Rule, { kind: 'compare' }>['op'], value: string | number | boolean | null): Rule => ({ kind: 'compare', attribute, op, value });
const and = (left: Rule, right: Rule): Rule => ({ kind: 'and', left, right });
const or = (left: Rule, right: Rule): Rule => ({ kind: 'or', left, right });
const not = (rule: Rule): Rule => ({ kind: 'not', rule });

const a = cmp('a', 'eq', 1);
const b = cmp('b', 'eq', 1);
const c = cmp('c', 'eq', 1);

describe('parseRule: comparisons', () => {
  it.each(['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le'] as const)('reads the %s operator', (op) => {
    expect(parseRule(`department ${op} 'Sales'`)).toEqual(cmp('department', op, 'Sales'));
  });

  it('reads pr without a value', () => {
    expect(parseRule('managerEmployeeId pr')).toEqual({ kind: 'present', attribute: 'managerEmployeeId' });
  });

  it('reads an in list of mixed values', () => {
    expect(parseRule("location in ('Berlin', \"Paris\", 3, true, null)")).toEqual({
      kind: 'in',
      attribute: 'location',
      values: ['Berlin', 'Paris', 3, true, null],
    });
  });

  it('reads a one-value in list', () => {
    expect(parseRule("location in ('Berlin')")).toEqual({ kind: 'in', attribute: 'location', values: ['Berlin'] });
  });

  it('accepts attribute names with digits and underscores', () => {
    expect(parseRule('cost_center2 pr')).toEqual({ kind: 'present', attribute: 'cost_center2' });
  });

  it('ignores whitespace between tokens, including none around parentheses and commas', () => {
    expect(parseRule("(location in('Berlin',\t'Paris'))\n")).toEqual({ kind: 'in', attribute: 'location', values: ['Berlin', 'Paris'] });
  });
});

describe('parseRule: values', () => {
  it.each([
    ["'Sales'", 'Sales'],
    ['"Sales"', 'Sales'],
    ["''", ''],
    ['""', ''],
    ['"O\'Brien"', "O'Brien"],
    ["'O''Brien'", "O'Brien"],
    ['\'say "hi"\'', 'say "hi"'],
    ['"say ""hi"""', 'say "hi"'],
    ["''''", "'"],
    ["'a and (b) or not c, eq'", 'a and (b) or not c, eq'],
    ["'  spaced  '", '  spaced  '],
    ["'Zoë Ångström'", 'Zoë Ångström'],
    ["'true'", 'true'],
    ["'42'", '42'],
  ])('the string %s is %j', (literal, value) => {
    expect(parseRule(`x eq ${literal}`)).toEqual(cmp('x', 'eq', value));
  });

  it.each([
    ['42', 42],
    ['0', 0],
    ['-7', -7],
    ['3.25', 3.25],
    ['-0.5', -0.5],
    ['true', true],
    ['false', false],
    ['null', null],
    ['TRUE', true],
    ['False', false],
    ['NULL', null],
  ])('the literal %s is %j', (literal, value) => {
    expect(parseRule(`x eq ${literal}`)).toEqual(cmp('x', 'eq', value));
  });
});

describe('parseRule: and, or, not and parentheses', () => {
  it.each([
    ['a eq 1 and b eq 1', and(a, b)],
    ['a eq 1 or b eq 1', or(a, b)],
    ['not a eq 1', not(a)],
    ['not not a eq 1', not(not(a))],
    ['a eq 1 and b eq 1 and c eq 1', and(and(a, b), c)],
    ['a eq 1 or b eq 1 or c eq 1', or(or(a, b), c)],
    ['a eq 1 or b eq 1 and c eq 1', or(a, and(b, c))],
    ['a eq 1 and b eq 1 or c eq 1', or(and(a, b), c)],
    ['not a eq 1 and b eq 1', and(not(a), b)],
    ['not a eq 1 or b eq 1', or(not(a), b)],
    ['a eq 1 and not b eq 1 or c eq 1', or(and(a, not(b)), c)],
    ['(a eq 1 or b eq 1) and c eq 1', and(or(a, b), c)],
    ['a eq 1 and (b eq 1 or c eq 1)', and(a, or(b, c))],
    ['not (a eq 1 and b eq 1)', not(and(a, b))],
    ['((a eq 1))', a],
    ['(a eq 1) or ((b eq 1) and (c eq 1))', or(a, and(b, c))],
  ])('%s', (text, tree) => {
    expect(parseRule(text)).toEqual(tree);
  });

  it('gives and precedence over or when evaluating', () => {
    // (a or b) and c would be false here.
    expect(matches('a eq 1 or b eq 1 and c eq 1', { a: 1, b: 0, c: 0 })).toBe(true);
    expect(matches('(a eq 1 or b eq 1) and c eq 1', { a: 1, b: 0, c: 0 })).toBe(false);
  });

  it('binds not tighter than and when evaluating', () => {
    // not (a and b) would be true here.
    expect(matches('not a eq 1 and b eq 1', { a: 0, b: 0 })).toBe(false);
    expect(matches('not (a eq 1 and b eq 1)', { a: 0, b: 0 })).toBe(true);
  });
});

describe('parseRule: case', () => {
  it('reads keywords and operators in any case', () => {
    expect(parseRule('NOT a EQ 1 AND b Eq 1 Or c eQ 1')).toEqual(or(and(not(a), b), c));
    expect(parseRule('x PR')).toEqual({ kind: 'present', attribute: 'x' });
    expect(parseRule('x IN (1)')).toEqual({ kind: 'in', attribute: 'x', values: [1] });
  });

  it('keeps the case of string values', () => {
    expect(parseRule("department eq 'SaLeS'")).toEqual(cmp('department', 'eq', 'SaLeS'));
  });

  it('canonicalises attribute names to the spelling of the known attributes', () => {
    const attributes = ['department', 'jobTitle', 'managerEmployeeId'];
    expect(parseRule("DEPARTMENT eq 'Sales' and jobtitle co 'lead' and not MANAGEREMPLOYEEID pr or JobTitle in ('CEO')", { attributes })).toEqual(
      or(
        and(and(cmp('department', 'eq', 'Sales'), cmp('jobTitle', 'co', 'lead')), not({ kind: 'present', attribute: 'managerEmployeeId' })),
        { kind: 'in', attribute: 'jobTitle', values: ['CEO'] },
      ),
    );
  });

  it('evaluates a canonicalised rule against attributes spelt the canonical way', () => {
    const rule = parseRule("JOBTITLE eq 'engineer'", { attributes: ['jobTitle'] });
    expect(evaluateRule(rule, { jobTitle: 'Engineer' })).toBe(true);
  });
});

describe('parseRule: errors', () => {
  it.each([
    // [rule, zero-based position, message]
    ['', 0, /the rule is empty/],
    ['   ', 0, /the rule is empty/],
    ["department eq 'Sales", 14, /unterminated string/],
    ['department eq "Sales', 14, /unterminated string/],
    ["department eq 'O''", 14, /unterminated string/],
    ["department eq 'Sales' or jobTitle eq \"x", 37, /unterminated string/],
    ["department is 'Sales'", 11, /expected an operator \(eq ne co sw ew in gt ge lt le pr\) but found "is"/],
    ["department = 'Sales'", 11, /unexpected "="/],
    ["department 'Sales'", 11, /expected an operator .* but found "Sales"/],
    ['department', 10, /expected an operator .* but found the end of the rule/],
    ["department eq 'Sales' and jobTitle", 34, /expected an operator/],
    ['department eq', 13, /expected a value .* but found the end of the rule/],
    ['department eq and', 14, /expected a value .* but found "and"/],
    ['department eq (1)', 14, /expected a value .* but found "\("/],
    ["(department eq 'Sales'", 22, /expected "\)" but found the end of the rule/],
    ["((department eq 'Sales') or b pr", 32, /expected "\)"/],
    ["(department eq 'Sales' 'x')", 23, /expected "\)" but found "x"/],
    ['location in 1', 12, /expected "\(" after in but found 1/],
    ['location in ()', 13, /expected a value/],
    ["location in ('Berlin'", 21, /expected "," or "\)" but found the end of the rule/],
    ["location in ('Berlin' 'Paris')", 22, /expected "," or "\)" but found "Paris"/],
    ["location in ('Berlin',)", 22, /expected a value/],
    ["department eq 'Sales' 'x'", 22, /expected and, or or the end of the rule but found "x"/],
    ['a eq 1 b eq 2', 7, /expected and, or or the end of the rule but found "b"/],
    ['a eq 1)', 6, /expected and, or or the end of the rule but found "\)"/],
    ['a eq 1 and b eq 2 3', 18, /but found 3/],
    ["department eq 'Sales' & b eq 1", 22, /unexpected "&"/],
    ['a eq 1 && b eq 1', 7, /unexpected "&"/],
    ['a eq -x', 5, /unexpected "-"/],
    ['a eq 1.5.3', 8, /unexpected "\."/],
    ['_a pr', 0, /unexpected "_"/],
    ['a eq 1 and', 10, /expected an attribute name but found the end of the rule/],
    ['and eq 1', 0, /expected an attribute name but found "and"/],
    ['a eq 1 or or b pr', 10, /expected an attribute name but found "or"/],
    ['not', 3, /expected an attribute name/],
    ["'Sales' eq department", 0, /expected an attribute name but found "Sales"/],
    [')', 0, /expected an attribute name but found "\)"/],
  ])('%j is refused at position %i', (text, position, message) => {
    const error = syntaxError(text);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('RuleSyntaxError');
    expect(error.position).toBe(position);
    expect(error.message).toMatch(message);
    expect(error.message.endsWith(` at position ${position + 1}`)).toBe(true);
  });

  it('refuses an unknown attribute at its position and names the known ones', () => {
    const error = syntaxError("department eq 'Sales' and salary gt 5", { attributes: ['department', 'jobTitle'] });
    expect(error.position).toBe(26);
    expect(error.message).toBe('unknown attribute "salary" (known: department, jobTitle) at position 27');
  });

  it('refuses an unknown attribute inside parentheses, after not and in an in list', () => {
    const attributes = ['department'];
    expect(syntaxError('(department pr or title pr)', { attributes }).position).toBe(18);
    expect(syntaxError('not title pr', { attributes }).position).toBe(4);
    expect(syntaxError("title in ('x')", { attributes }).position).toBe(0);
  });

  it('accepts any attribute when no attribute list is given', () => {
    expect(parseRule('salary gt 5')).toEqual(cmp('salary', 'gt', 5));
  });
});

describe('evaluateRule: operators', () => {
  const person: Attributes = {
    department: 'Sales',
    jobTitle: 'Senior Engineer',
    level: 3,
    active: true,
    hireDate: '2026-03-02T05:00:00.000Z',
    location: '',
    managerEmployeeId: null,
  };

  it.each([
    ["department eq 'Sales'", true],
    ["department eq 'sales'", true],
    ["department eq 'SALES'", true],
    ["department eq 'Sale'", false],
    ["department eq 'Sales '", false],
    ["department ne 'Sales'", false],
    ["department ne 'sales'", false],
    ["department ne 'Marketing'", true],
    ["jobTitle co 'engineer'", true],
    ["jobTitle co 'OR ENG'", true],
    ["jobTitle co 'manager'", false],
    ["jobTitle co ''", true],
    ["jobTitle sw 'senior'", true],
    ["jobTitle sw 'engineer'", false],
    ["jobTitle ew 'ENGINEER'", true],
    ["jobTitle ew 'senior'", false],
    ['level eq 3', true],
    ['level eq 3.0', true],
    ["level eq '3'", false],
    ['level ne 3', false],
    ['level ne 4', true],
    ['level gt 2', true],
    ['level gt 3', false],
    ['level ge 3', true],
    ['level ge 4', false],
    ['level lt 4', true],
    ['level lt 3', false],
    ['level le 3', true],
    ['level le 2', false],
    ['level gt -1.5', true],
    ["level co '3'", false],
    ["level sw '3'", false],
    ['active eq true', true],
    ['active eq false', false],
    ["active eq 'true'", false],
    ['active ne false', true],
    ["hireDate gt '2026-01-01'", true],
    ["hireDate lt '2026-03-02T06'", true],
    ["hireDate ge '2026-03-02T05:00:00.000Z'", true],
    ["hireDate lt '2026-03-02'", false],
    ["department gt 'marketing'", true],
    ["department lt 'b'", false],
    ["department in ('Marketing', 'sales')", true],
    ["department in ('Marketing')", false],
    ['level in (1, 3)', true],
    ["level in ('3')", false],
    ['active in (false, true)', true],
    ['department pr', true],
    ['level pr', true],
    ['active pr', true],
  ])('%s → %s', (text, expected) => {
    expect(matches(text, person)).toBe(expected);
  });

  it('treats false and zero as present', () => {
    expect(matches('flag pr', { flag: false })).toBe(true);
    expect(matches('count pr', { count: 0 })).toBe(true);
  });

  it.each([
    // An empty string, null and a missing attribute are all absent.
    ['location pr', false],
    ['managerEmployeeId pr', false],
    ['costCenter pr', false],
    ['not costCenter pr', true],
    ['costCenter eq null', true],
    ['managerEmployeeId eq null', true],
    ['department eq null', false],
    ["location eq ''", true],
    ['location eq null', false],
    ['costCenter ne null', false],
    ['department ne null', true],
    ["costCenter ne 'X'", true],
    ["costCenter eq 'X'", false],
    ["costCenter eq ''", false],
    ["costCenter co ''", false],
    ["costCenter sw ''", false],
    ["costCenter ew ''", false],
    ['costCenter gt 0', false],
    ['costCenter lt 0', false],
    ["costCenter le 'z'", false],
    ["costCenter ge ''", false],
    ['costCenter in (null)', true],
    ["costCenter in ('X')", false],
    ['managerEmployeeId gt null', false],
  ])('missing or empty: %s → %s', (text, expected) => {
    expect(matches(text, person)).toBe(expected);
  });

  it.each([
    // Ordering compares numbers with numbers and text with text, nothing else.
    ["level gt '1'", false],
    ["level lt '9'", false],
    ['department gt 1', false],
    ['department lt 1', false],
    ['active gt false', false],
    ['active ge true', false],
    ['active le true', false],
    ['level gt true', false],
    ['hireDate gt 2026', false],
  ])('across types: %s → %s', (text, expected) => {
    expect(matches(text, person)).toBe(expected);
  });
});

describe('evaluateRule: case sensitivity', () => {
  const person: Attributes = { department: 'Sales', jobTitle: 'Senior Engineer', fruit: 'apple' };

  it.each([
    ["department eq 'sales'", true, false],
    ["department eq 'Sales'", true, true],
    ["department ne 'sales'", false, true],
    ["jobTitle co 'engineer'", true, false],
    ["jobTitle co 'Engineer'", true, true],
    ["jobTitle sw 'SENIOR'", true, false],
    ["jobTitle ew 'engineer'", true, false],
    ["department in ('sales', 'marketing')", true, false],
    ["department in ('Sales')", true, true],
    // 'a' sorts after 'B' by code unit, before it when case is ignored.
    ["fruit lt 'Banana'", true, false],
    ["fruit gt 'Banana'", false, true],
  ])('%s → %s by default, %s with caseSensitive', (text, insensitive, sensitive) => {
    expect(matches(text, person)).toBe(insensitive);
    expect(matches(text, person, { caseSensitive: false })).toBe(insensitive);
    expect(matches(text, person, { caseSensitive: true })).toBe(sensitive);
  });

  it('applies case sensitivity inside and, or and not', () => {
    const text = "not department eq 'sales' and jobTitle sw 'Senior'";
    expect(matches(text, person)).toBe(false);
    expect(matches(text, person, { caseSensitive: true })).toBe(true);
    expect(matches("department eq 'sales' or (jobTitle co 'x' or jobTitle sw 'senior')", person, { caseSensitive: true })).toBe(false);
  });
});

describe('parseRule: bounds', () => {
  it('refuses a rule longer than the limit before reading it', () => {
    const long = `department eq '${'x'.repeat(maxRuleLength)}'`;
    expect(syntaxError(long).message).toBe(`the rule is longer than ${maxRuleLength} characters at position ${maxRuleLength + 1}`);
  });

  it('refuses parentheses and "not" nested deeper than the bound instead of exhausting the stack', () => {
    const parens = (depth: number) => `${'('.repeat(depth)}a pr${')'.repeat(depth)}`;
    expect(parseRule(parens(maxRuleDepth))).toEqual({ kind: 'present', attribute: 'a' });
    expect(syntaxError(parens(maxRuleDepth + 1))).toMatchObject({ position: maxRuleDepth, message: `the rule nests deeper than ${maxRuleDepth} levels at position ${maxRuleDepth + 1}` });
    expect(matches(`${'not '.repeat(maxRuleDepth)}a pr`, { a: 'x' })).toBe(true);
    expect(syntaxError(`${'not '.repeat(maxRuleDepth + 1)}a pr`).message).toMatch(/nests deeper than 64 levels/);
    // The shapes that overflowed the stack: far past the length limit, or stopped at the depth bound.
    expect(syntaxError('('.repeat(20_000)).message).toMatch(/longer than/);
    expect(syntaxError('not '.repeat(50_000)).message).toMatch(/longer than/);
    expect(syntaxError('('.repeat(5_000)).message).toMatch(/nests deeper/);
  });

  it('evaluates a long flat chain of and/or without trouble', () => {
    const chain = Array.from({ length: 900 }, (_, i) => `a${i} pr`).join(' or ');
    expect(chain.length).toBeLessThan(maxRuleLength);
    expect(matches(chain, { a899: 'x' })).toBe(true);
  });
});
