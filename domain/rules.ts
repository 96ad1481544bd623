// The scope rule language of lifecycle workflows, e.g.
//   department eq 'Sales' and not (jobTitle co 'Intern')
//
// Grammar (recursive descent; keywords and attribute names are case-insensitive):
//   rule       := or
//   or         := and ( "or" and )*
//   and        := unary ( "and" unary )*
//   unary      := "not" unary | primary
//   primary    := "(" or ")" | comparison
//   comparison := attribute "pr"
//               | attribute ( "eq" | "ne" | "co" | "sw" | "ew" | "gt" | "ge" | "lt" | "le" ) value
//               | attribute "in" "(" value ( "," value )* ")"
//   value      := string ('…' or "…", doubled quote escapes itself) | number | "true" | "false" | "null"
//   attribute  := letter ( letter | digit | "_" )*
// String comparisons ignore case unless the rule is parsed with { caseSensitive: true }.
// A rule is at most 10,000 characters and nests "(" and "not" at most 64 deep, checked before
// and while parsing, so no input can exhaust the stack.

export type Operator = 'eq' | 'ne' | 'co' | 'sw' | 'ew' | 'gt' | 'ge' | 'lt' | 'le';
export type Literal = string | number | boolean | null;

export type Rule =
  | { kind: 'and' | 'or'; left: Rule; right: Rule }
  | { kind: 'not'; rule: Rule }
  | { kind: 'compare'; attribute: string; op: Operator; value: Literal }
  | { kind: 'in'; attribute: string; values: Literal[] }
  | { kind: 'present'; attribute: string };

export class RuleSyntaxError extends Error {
  constructor(
    message: string,
    /** Zero-based character offset in the rule text. */
    readonly position: number,
  ) {
    super(`${message} at position ${position + 1}`);
    this.name = 'RuleSyntaxError';
  }
}

type Token =
  | { type: 'word'; value: string; position: number }
  | { type: 'string'; value: string; position: number }
  | { type: 'number'; value: number; position: number }
  | { type: '(' | ')' | ','; position: number }
  | { type: 'end'; position: number };

const operators = new Set<string>(['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le']);

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
    } else if (ch === "'" || ch === '"') {
      const start = i;
      let value = '';
      i++;
      for (;;) {
        if (i >= text.length) throw new RuleSyntaxError('unterminated string', start);
        if (text[i] === ch) {
          if (text[i + 1] === ch) {
            value += ch;
            i += 2;
            continue;
          }
          i++;
          break;
        }
        value += text[i];
        i++;
      }
      tokens.push({ type: 'string', value, position: start });
    } else if (/[-\d]/.test(ch)) {
      const match = /^-?\d+(\.\d+)?/.exec(text.slice(i));
      if (!match) throw new RuleSyntaxError(`unexpected "${ch}"`, i);
      tokens.push({ type: 'number', value: Number(match[0]), position: i });
      i += match[0].length;
    } else if (/[A-Za-z]/.test(ch)) {
      const match = /^[A-Za-z][A-Za-z0-9_]*/.exec(text.slice(i))!;
      tokens.push({ type: 'word', value: match[0], position: i });
      i += match[0].length;
    } else {
      throw new RuleSyntaxError(`unexpected "${ch}"`, i);
    }
  }
  tokens.push({ type: 'end', position: text.length });
  return tokens;
}

export interface ParseOptions {
  /** Attribute names the rule may use; others are an error at their position. */
  attributes?: readonly string[];
}

export const maxRuleLength = 10_000;
export const maxRuleDepth = 64;

export function parseRule(text: string, options: ParseOptions = {}): Rule {
  if (text.length > maxRuleLength) throw new RuleSyntaxError(`the rule is longer than ${maxRuleLength} characters`, maxRuleLength);
  const tokens = tokenize(text);
  let depth = 0;
  /** Parentheses and "not" nest; each level is a stack frame here and in evaluateRule. */
  function nested<T>(token: Token, parse: () => T): T {
    if (++depth > maxRuleDepth) throw new RuleSyntaxError(`the rule nests deeper than ${maxRuleDepth} levels`, token.position);
    const result = parse();
    depth--;
    return result;
  }
  let index = 0;
  const peek = () => tokens[index]!;
  const next = () => tokens[index++]!;
  const isWord = (token: Token, word: string) => token.type === 'word' && token.value.toLowerCase() === word;
  const describe = (token: Token) =>
    token.type === 'end' ? 'the end of the rule' : token.type === 'word' || token.type === 'string' ? `"${token.value}"` : token.type === 'number' ? String(token.value) : `"${token.type}"`;
  const known = options.attributes ? new Map(options.attributes.map((a) => [a.toLowerCase(), a])) : undefined;

  function expect(type: '(' | ')' | ',', what: string): void {
    const token = next();
    if (token.type !== type) throw new RuleSyntaxError(`expected ${what} but found ${describe(token)}`, token.position);
  }

  function value(): Literal {
    const token = next();
    if (token.type === 'string' || token.type === 'number') return token.value;
    if (isWord(token, 'true')) return true;
    if (isWord(token, 'false')) return false;
    if (isWord(token, 'null')) return null;
    throw new RuleSyntaxError(`expected a value ('text', a number, true, false or null) but found ${describe(token)}`, token.position);
  }

  function comparison(): Rule {
    const token = next();
    if (token.type !== 'word' || ['and', 'or', 'not'].includes(token.value.toLowerCase())) {
      throw new RuleSyntaxError(`expected an attribute name but found ${describe(token)}`, token.position);
    }
    let attribute = token.value;
    if (known) {
      const canonical = known.get(attribute.toLowerCase());
      if (!canonical) throw new RuleSyntaxError(`unknown attribute "${attribute}" (known: ${[...known.values()].join(', ')})`, token.position);
      attribute = canonical;
    }
    const opToken = next();
    const op = opToken.type === 'word' ? opToken.value.toLowerCase() : '';
    if (op === 'pr') return { kind: 'present', attribute };
    if (op === 'in') {
      expect('(', '"(" after in');
      const values = [value()];
      while (peek().type === ',') {
        next();
        values.push(value());
      }
      expect(')', '"," or ")"');
      return { kind: 'in', attribute, values };
    }
    if (!operators.has(op)) {
      throw new RuleSyntaxError(`expected an operator (eq ne co sw ew in gt ge lt le pr) but found ${describe(opToken)}`, opToken.position);
    }
    return { kind: 'compare', attribute, op: op as Operator, value: value() };
  }

  function primary(): Rule {
    if (peek().type === '(') {
      return nested(next(), () => {
        const rule = or();
        expect(')', '")"');
        return rule;
      });
    }
    return comparison();
  }

  function unary(): Rule {
    if (isWord(peek(), 'not')) {
      return nested(next(), () => ({ kind: 'not', rule: unary() }));
    }
    return primary();
  }

  function and(): Rule {
    let left = unary();
    while (isWord(peek(), 'and')) {
      next();
      left = { kind: 'and', left, right: unary() };
    }
    return left;
  }

  function or(): Rule {
    let left = and();
    while (isWord(peek(), 'or')) {
      next();
      left = { kind: 'or', left, right: and() };
    }
    return left;
  }

  if (peek().type === 'end') throw new RuleSyntaxError('the rule is empty', 0);
  const rule = or();
  const rest = peek();
  if (rest.type !== 'end') throw new RuleSyntaxError(`expected and, or or the end of the rule but found ${describe(rest)}`, rest.position);
  return rule;
}

export type Attributes = Record<string, Literal | undefined>;

export interface EvaluateOptions {
  caseSensitive?: boolean;
}

function normalise(value: Literal | undefined, caseSensitive: boolean): Literal | undefined {
  return typeof value === 'string' && !caseSensitive ? value.toLowerCase() : value;
}

function compare(have: Literal | undefined, op: Operator, want: Literal, caseSensitive: boolean): boolean {
  const a = normalise(have, caseSensitive);
  const b = normalise(want, caseSensitive);
  switch (op) {
    case 'eq':
      return (a ?? null) === b;
    case 'ne':
      return (a ?? null) !== b;
    case 'co':
      return typeof a === 'string' && typeof b === 'string' && a.includes(b);
    case 'sw':
      return typeof a === 'string' && typeof b === 'string' && a.startsWith(b);
    case 'ew':
      return typeof a === 'string' && typeof b === 'string' && a.endsWith(b);
    default: {
      // Ordering compares numbers with numbers and text with text (ISO dates order as text).
      if (a === undefined || a === null || b === undefined || b === null || typeof a !== typeof b || typeof a === 'boolean') return false;
      const order = a < b ? -1 : a > b ? 1 : 0;
      return op === 'gt' ? order > 0 : op === 'ge' ? order >= 0 : op === 'lt' ? order < 0 : order <= 0;
    }
  }
}

export function evaluateRule(rule: Rule, attributes: Attributes, options: EvaluateOptions = {}): boolean {
  const caseSensitive = options.caseSensitive ?? false;
  switch (rule.kind) {
    case 'and':
      return evaluateRule(rule.left, attributes, options) && evaluateRule(rule.right, attributes, options);
    case 'or':
      return evaluateRule(rule.left, attributes, options) || evaluateRule(rule.right, attributes, options);
    case 'not':
      return !evaluateRule(rule.rule, attributes, options);
    case 'present': {
      const value = attributes[rule.attribute];
      return value !== undefined && value !== null && value !== '';
    }
    case 'in':
      return rule.values.some((v) => compare(attributes[rule.attribute], 'eq', v, caseSensitive));
    case 'compare':
      return compare(attributes[rule.attribute], rule.op, rule.value, caseSensitive);
  }
}

/** The attributes a rule reads, each once: what an explanation of a match shows. */
export function ruleAttributes(rule: Rule): string[] {
  const names = new Set<string>();
  const walk = (r: Rule): void => {
    switch (r.kind) {
      case 'and':
      case 'or':
        walk(r.left);
        walk(r.right);
        return;
      case 'not':
        walk(r.rule);
        return;
      default:
        names.add(r.attribute);
    }
  };
  walk(rule);
  return [...names];
}
