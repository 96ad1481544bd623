import { z } from 'zod';
import {
  ExpressionSyntaxError,
  IGNORE_FLOW,
  evaluateExpression,
  parseExpression,
  uniqueValueCandidates,
  usesFunction,
  type Expression,
  type ExpressionValue,
} from './expressions';
import { defaultBreakerPolicy, type BreakerPolicy } from './breaker';
import { personAttributes } from './lifecycle-workflows';
import { evaluateRule, parseRule, RuleSyntaxError, type Rule } from './rules';
import { parseExactDuration } from './time';

// Provisioning targets: the systems a person's accounts live in, how each is reached, which
// identities it receives, and how its attributes are computed (Entra-style mappings).

/** Attributes mappings may read: a person's, and `manager`, the manager's account id in the same target. */
export const mappingSourceAttributes = [...personAttributes, 'manager'] as const;

const identifier = /^[A-Za-z_][A-Za-z0-9_]*$/;

const duration = z.string().superRefine((value, ctx) => {
  try {
    parseExactDuration(value);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: (error as Error).message });
  }
});

const mappingSchema = z
  .strictObject({
    /** Attribute (LDAP, AD), SCIM path or SQL column on the target. */
    target: z.string().min(1).max(200),
    source: z.string().optional(),
    constant: z.string().optional(),
    expression: z.string().optional(),
    apply: z.enum(['always', 'create']).default('always'),
    /** Used when the source or expression gives nothing. */
    default: z.string().optional(),
  })
  .refine((m) => [m.source, m.constant, m.expression].filter((v) => v !== undefined).length === 1, {
    error: 'give exactly one of source, constant or expression',
  });
export type Mapping = z.output<typeof mappingSchema>;

export const targetNameSchema = z.string().regex(/^[a-z0-9][a-z0-9-]*$/, { error: 'lowercase letters, digits and "-"' }).max(64);

const common = {
  name: targetNameSchema,
  /** Which identities this target receives (the lifecycle rule language); all when absent. */
  scope: z.string().optional(),
  /** What happens to the account of someone who leaves the scope or is deleted. */
  deprovision: z.enum(['delete', 'disable']).default('delete'),
  /** When an unreachable target stops being called, how it is probed, how fast people waiting for it catch up. */
  breaker: z
    .strictObject({
      openAfter: duration.default('PT10S'),
      minFailures: z.coerce.number().int().min(1).default(defaultBreakerPolicy.minFailures),
      firstProbe: duration.default('PT10S'),
      maxProbeInterval: duration.default('PT2M'),
      quarantineRetry: duration.default('PT1H'),
      drainPerSecond: z.coerce.number().positive().max(1000).default(defaultBreakerPolicy.drainPerSecond),
    })
    .prefault({}),
  mappings: z.array(mappingSchema).min(1),
  /**
   * Groups the account belongs in while its person matches the group's scope (everyone in the
   * target when absent): a DN on LDAP and AD, a displayName on SCIM. Tenure adds and removes
   * members of these groups only; memberships given by other means are left alone.
   */
  groups: z.array(z.strictObject({ group: z.string().min(1).max(1000), scope: z.string().optional() })).default([]),
};

const ldapConnection = {
  url: z.string().regex(/^ldaps?:\/\//, { error: 'expected ldap:// or ldaps://' }),
  bindDn: z.string().min(1),
  bindPassword: z.string(),
  baseDn: z.string().min(1),
  /** Accept a self-signed certificate (test and lab directories only). */
  tlsRejectUnauthorized: z.boolean().default(true),
};

export const targetSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('ldap'),
    ...common,
    ...ldapConnection,
    peopleDn: z.string().min(1),
    /** The naming attribute of entries, whose mapped value makes the RDN. */
    rdnAttribute: z.string().regex(identifier).default('uid'),
    anchorAttribute: z.string().regex(identifier).default('employeeNumber'),
    objectClasses: z.array(z.string()).default(['top', 'person', 'organizationalPerson', 'inetOrgPerson']),
    /** Where lifecycle group tasks look up groups given by name (cn); the base DN when absent. */
    groupsDn: z.string().min(1).optional(),
  }),
  z.strictObject({
    type: z.literal('active-directory'),
    ...common,
    ...ldapConnection,
    /** Expression that gives the OU (container DN) for a person, e.g. by department. */
    container: z.string().min(1),
    anchorAttribute: z.string().regex(identifier).default('employeeID'),
  }),
  z.strictObject({
    type: z.literal('scim'),
    ...common,
    baseUrl: z.url(),
    auth: z.discriminatedUnion('type', [
      z.strictObject({ type: z.literal('bearer'), token: z.string().min(1) }),
      z.strictObject({ type: z.literal('basic'), username: z.string().min(1), password: z.string() }),
    ]),
  }),
  z.strictObject({
    type: z.literal('sql'),
    ...common,
    dialect: z.enum(['postgres', 'mysql']),
    url: z.string().min(1),
    table: z.string().regex(identifier, { error: 'a plain table name (letters, digits, _)' }),
    keyColumn: z.string().regex(identifier),
    /** A boolean column for enabled; without it a disabled account is deleted or soft-deleted. */
    enabledColumn: z.string().regex(identifier).optional(),
    /** Soft delete: a deleted account's row is kept and this timestamp column marks it gone. */
    deletedColumn: z.string().regex(identifier).optional(),
  }),
]);
export type TargetConfig = z.output<typeof targetSchema>;
export type TargetType = TargetConfig['type'];

/** A target ready to use: mappings and rules parsed once, at start-up. */
export interface CompiledTarget {
  config: TargetConfig;
  mappings: (Mapping & { parsed?: Expression })[];
  container?: Expression;
  scope?: Rule;
  groups: { group: string; scope?: Rule }[];
  breaker: BreakerPolicy;
  /** What DefaultDomain() gives in this target's expressions. */
  defaultDomain?: string;
}

export interface CompileOptions {
  /** The configured default domain, and the setting that configures it (for the error when an expression needs it). */
  defaultDomain?: { value?: string; setting: string };
}

export interface TargetProblem {
  path: string;
  message: string;
}

/** Parses every expression and rule of the targets; problems name the target, mapping and position. */
export function compileTargets(targets: TargetConfig[], options: CompileOptions = {}): { targets: CompiledTarget[]; problems: TargetProblem[] } {
  const defaultDomain = options.defaultDomain?.value;
  const problems: TargetProblem[] = [];
  const names = new Set<string>();
  const compiled = targets.map((config, t) => {
    const at = (path: string) => `targets.${t} (${config.name}).${path}`;
    if (names.has(config.name)) problems.push({ path: at('name'), message: `duplicate target name "${config.name}"` });
    names.add(config.name);
    const rule = (text: string | undefined, path: string): Rule | undefined => {
      if (text === undefined) return undefined;
      try {
        return parseRule(text, { attributes: mappingSourceAttributes });
      } catch (error) {
        if (!(error instanceof RuleSyntaxError)) throw error;
        problems.push({ path: at(path), message: error.message });
        return undefined;
      }
    };
    const scope = rule(config.scope, 'scope');
    if (config.type === 'sql' && config.groups.length > 0) problems.push({ path: at('groups'), message: 'a SQL target has no groups' });
    const seenGroups = new Set<string>();
    const groups = config.groups.map(({ group, scope: groupScope }, g) => {
      if (seenGroups.has(group.toLowerCase())) problems.push({ path: at(`groups.${g} (${group})`), message: `group "${group}" is listed twice` });
      seenGroups.add(group.toLowerCase());
      return { group, scope: rule(groupScope, `groups.${g} (${group}).scope`) };
    });
    const parse = (text: string, path: string): Expression | undefined => {
      try {
        const parsed = parseExpression(text, { attributes: mappingSourceAttributes });
        if (defaultDomain === undefined && usesFunction(parsed, 'DefaultDomain')) {
          problems.push({ path: at(path), message: `DefaultDomain() needs ${options.defaultDomain?.setting ?? 'a default domain'}, which is not set` });
        }
        return parsed;
      } catch (error) {
        if (!(error instanceof ExpressionSyntaxError)) throw error;
        problems.push({ path: at(path), message: error.message });
        return undefined;
      }
    };
    const mappings = config.mappings.map((mapping, m) => {
      if (mapping.source !== undefined && !(mappingSourceAttributes as readonly string[]).includes(mapping.source)) {
        problems.push({ path: at(`mappings.${m} (${mapping.target}).source`), message: `unknown attribute "${mapping.source}" (known: ${mappingSourceAttributes.join(', ')})` });
      }
      if (config.type === 'sql' && !identifier.test(mapping.target)) {
        problems.push({ path: at(`mappings.${m} (${mapping.target}).target`), message: `"${mapping.target}" is not a plain column name (letters, digits, _)` });
      }
      if (mapping.expression !== undefined && /SelectUniqueValue\s*\(/i.test(mapping.expression) && mapping.apply !== 'create') {
        // Entra's rule: a unique value is chosen once, when the account is created.
        problems.push({ path: at(`mappings.${m} (${mapping.target}).apply`), message: 'SelectUniqueValue needs apply: create' });
      }
      return mapping.expression === undefined ? mapping : { ...mapping, parsed: parse(mapping.expression, `mappings.${m} (${mapping.target}).expression`) };
    });
    const container = config.type === 'active-directory' ? parse(config.container, 'container') : undefined;
    const { breaker } = config;
    const policy: BreakerPolicy = {
      openAfterMs: parseExactDuration(breaker.openAfter),
      minFailures: breaker.minFailures,
      firstProbeMs: parseExactDuration(breaker.firstProbe),
      maxProbeIntervalMs: parseExactDuration(breaker.maxProbeInterval),
      quarantineRetryMs: parseExactDuration(breaker.quarantineRetry),
      drainPerSecond: breaker.drainPerSecond,
    };
    return { config, mappings, container, scope, groups, breaker: policy, defaultDomain };
  });
  return { targets: compiled, problems };
}

export type AttributeValue = string | string[];

export interface MappingContext {
  attributes: Record<string, ExpressionValue | undefined>;
  now: Date;
  random: () => number;
  /** Answers whether a SelectUniqueValue candidate is free (checked against the target beforehand). */
  isUnique?: (value: string) => boolean;
}

/** A mapping context plus what the target's configuration gives its expressions. */
const expressionContext = (target: CompiledTarget, context: MappingContext) => ({ ...context, defaultDomain: target.defaultDomain });

function asAttribute(value: ExpressionValue | undefined): AttributeValue | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  if (Array.isArray(value)) return value.length === 0 ? undefined : value.map(String);
  return String(value);
}

/** Mappings whose result must be unique on the target, with their candidates in order. */
export function uniqueCandidates(target: CompiledTarget, context: MappingContext): { mapping: string; candidates: string[] }[] {
  return target.mappings.flatMap((mapping) =>
    mapping.parsed ? [{ mapping: mapping.target, candidates: uniqueValueCandidates(mapping.parsed, expressionContext(target, context)) }].filter((c) => c.candidates.length > 0) : [],
  );
}

/**
 * The attributes a person's account should have on a target. `forCreate` includes mappings
 * applied only when the account is created. A mapping that yields nothing (and has no default)
 * is absent; IgnoreFlowIfNullOrEmpty leaves the attribute out of the comparison altogether.
 */
export function desiredAttributes(
  target: CompiledTarget,
  context: MappingContext,
  options: { forCreate: boolean },
): { values: Record<string, AttributeValue | undefined>; ignored: string[] } {
  const values: Record<string, AttributeValue | undefined> = {};
  const ignored: string[] = [];
  for (const mapping of target.mappings) {
    if (mapping.apply === 'create' && !options.forCreate) continue;
    let value: AttributeValue | undefined;
    if (mapping.constant !== undefined) value = mapping.constant;
    else if (mapping.source !== undefined) value = asAttribute(context.attributes[mapping.source]);
    else if (mapping.parsed) {
      const result = evaluateExpression(mapping.parsed, expressionContext(target, context));
      if (result === IGNORE_FLOW) {
        ignored.push(mapping.target);
        continue;
      }
      value = asAttribute(result);
    }
    values[mapping.target] = value ?? mapping.default;
  }
  return { values, ignored };
}

type RuleAttributes = Parameters<typeof evaluateRule>[1];

/** Whether a person (by their mapping attributes) receives an account on the target. */
export function inTargetScope(target: CompiledTarget, attributes: MappingContext['attributes']): boolean {
  return !target.scope || evaluateRule(target.scope, attributes as RuleAttributes);
}

/** The target's managed groups the person belongs in, in configuration order. */
export function wantedGroups(target: CompiledTarget, attributes: MappingContext['attributes']): string[] {
  return target.groups.filter((g) => !g.scope || evaluateRule(g.scope, attributes as RuleAttributes)).map((g) => g.group);
}

/** The container (OU) a person belongs in, for targets that place entries by expression. */
export function containerFor(target: CompiledTarget, context: MappingContext): string | undefined {
  if (!target.container) return undefined;
  const result = evaluateExpression(target.container, expressionContext(target, context));
  return result === IGNORE_FLOW ? undefined : (asAttribute(result) as string | undefined);
}

/** Attributes whose values differ (order of multi-values ignored); `undefined` means remove. */
export function attributeChanges(
  current: Record<string, AttributeValue | undefined>,
  desired: Record<string, AttributeValue | undefined>,
  options: { caseInsensitive?: boolean } = {},
): Record<string, AttributeValue | undefined> {
  const norm = (v: AttributeValue | undefined) => {
    if (v === undefined) return '';
    const list = (Array.isArray(v) ? v : [v]).map((x) => (options.caseInsensitive ? x.toLowerCase() : x)).sort();
    return JSON.stringify(list);
  };
  const changes: Record<string, AttributeValue | undefined> = {};
  for (const [key, value] of Object.entries(desired)) {
    if (norm(current[key]) !== norm(value)) changes[key] = value;
  }
  return changes;
}
