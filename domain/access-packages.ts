import { z } from 'zod';
import { formatIssues } from './field-errors';
import { personAttributes } from './lifecycle-workflows';
import { parseRule, RuleSyntaxError } from './rules';
import { parseExactDuration } from './time';

// Entitlement management as data: catalogs that group access packages and name their owners;
// packages that bundle groups on any target with groups; and any number of policies per
// package — automatic by rule, by request with 0–3 approval stages, or direct by an
// administrator — each with a lifetime. Validated here when saved (API or YAML).

const slug = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]*$/, { error: 'lowercase letters, digits and "-", e.g. github-admins' })
  .max(64);
export const catalogIdSchema = slug;
export const packageIdSchema = slug;
/** An assignment's id: a UUID, `request-{request id}` or `admin-{UUID}`. */
export const assignmentIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,100}$/, { error: 'an assignment id' });

const employeeId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, { error: 'an employee id' }).max(64);

const duration = z.string().superRefine((value, ctx) => {
  try {
    parseExactDuration(value);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: (error as Error).message });
  }
});

const rule = z.string().min(1).max(4000);

export const catalogSchema = z.strictObject({
  id: catalogIdSchema,
  name: z.string().min(1).max(200),
  description: z.string().max(2000).optional(),
  /** Employee ids of the catalog's owners (reviewers of its packages, approvers where a stage says so). */
  owners: z.array(employeeId).max(100).default([]),
});
export type Catalog = z.output<typeof catalogSchema>;

/** A group on a target that has groups: a DN on LDAP and AD, a displayName on SCIM. */
const resourceSchema = z.strictObject({ target: z.string().min(1).max(64), group: z.string().min(1).max(1000) });
export type PackageResource = z.output<typeof resourceSchema>;

export const approverSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('manager') }),
  z.strictObject({ type: z.literal('second-level-manager') }),
  z.strictObject({ type: z.literal('people'), employeeIds: z.array(employeeId).min(1).max(100) }),
  /** Everyone the rule matches may decide, e.g. department eq 'Security'. */
  z.strictObject({ type: z.literal('rule'), rule }),
  z.strictObject({ type: z.literal('catalog-owners') }),
  /** The internal sponsors of the guest's connected organisation (nobody for an employee). */
  z.strictObject({ type: z.literal('sponsors') }),
]);
export type Approver = z.output<typeof approverSchema>;

const stageSchema = z.strictObject({
  name: z.string().max(200).optional(),
  /** Any one of them decides the stage. */
  approvers: z.array(approverSchema).min(1).max(10),
  /** Who decides when the approvers above are missing (no manager, the manager left), or at the deadline on escalate. */
  fallback: z.array(approverSchema).max(10).default([]),
  deadline: duration.default('P7D'),
  /** At the deadline: hand the stage to the fallback approvers (with a deadline as long again), or deny with the reason. */
  onDeadline: z.enum(['escalate', 'deny']).default('deny'),
});
export type ApprovalStage = z.output<typeof stageSchema>;

/** How long an assignment lasts: for a duration, until a date, or without end. */
const lifetimeSchema = z.union([
  z.strictObject({ duration }),
  z.strictObject({ until: z.iso.datetime({ offset: true }).or(z.iso.date()) }),
  z.strictObject({ none: z.literal(true) }),
]);
export type Lifetime = z.output<typeof lifetimeSchema>;

const hookPoints = ['created', 'approved', 'denied'] as const;
const requestHookSchema = z.strictObject({
  on: z.enum(hookPoints),
  extension: z.string().min(1).max(64),
  mode: z.enum(['launch-and-continue', 'launch-and-wait']).default('launch-and-continue'),
  timeout: duration.default('PT1H'),
});

export const requestorsSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('everyone') }),
  z.strictObject({ type: z.literal('nobody') }),
  z.strictObject({ type: z.literal('rule'), rule }),
]);

/** Who from outside may request under a policy; see GuestAdmission. */
export const guestsSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('none') }),
  z.strictObject({ type: z.literal('organisations'), organisations: z.array(slug).min(1).max(100) }),
  z.strictObject({ type: z.literal('configured') }),
  z.strictObject({ type: z.literal('anyone') }),
]);

const policySchema = z.discriminatedUnion('type', [
  z.strictObject({
    id: slug,
    type: z.literal('auto'),
    /** Everyone the rule matches holds the package while they match. */
    rule,
    /** After the person stops matching, the package stays this long (a leaver loses it on the last day regardless). */
    gracePeriod: duration.optional(),
  }),
  z.strictObject({
    id: slug,
    type: z.literal('request'),
    requestors: requestorsSchema.default({ type: 'everyone' }),
    /** Guests (people of connected organisations) who may ask, besides the requestors; none by default. */
    guests: guestsSchema.default({ type: 'none' }),
    justification: z.enum(['required', 'optional']).default('required'),
    stages: z.array(stageSchema).max(3).default([]),
    lifetime: lifetimeSchema.default({ duration: 'P90D' }),
    hooks: z.array(requestHookSchema).max(10).default([]),
  }),
  z.strictObject({
    id: slug,
    type: z.literal('direct'),
    lifetime: lifetimeSchema.default({ none: true }),
  }),
]);
export type AccessPolicy = z.output<typeof policySchema>;
export type RequestPolicy = Extract<AccessPolicy, { type: 'request' }>;
export type AutoPolicy = Extract<AccessPolicy, { type: 'auto' }>;

const assignmentHookSchema = z.strictObject({
  /** `expiring` fires with each reminder before the end (14 and 1 days by default). */
  on: z.enum(['granted', 'removed', 'expiring']),
  extension: z.string().min(1).max(64),
});

export const packageSchema = z.strictObject({
  id: packageIdSchema,
  catalog: catalogIdSchema,
  name: z.string().min(1).max(200),
  description: z.string().max(2000).optional(),
  enabled: z.boolean().default(true),
  resources: z.array(resourceSchema).min(1).max(100),
  policies: z.array(policySchema).min(1).max(20),
  /** Packages nobody may hold together with this one (separation of duties). */
  incompatibleWith: z.array(packageIdSchema).max(50).default([]),
  /** Groups nobody may hold together with this package, however they came by them. */
  incompatibleGroups: z.array(resourceSchema).max(50).default([]),
  hooks: z.array(assignmentHookSchema).max(10).default([]),
});
export type AccessPackage = z.output<typeof packageSchema>;

export interface AccessPackageVersion extends AccessPackage {
  version: number;
}

export interface FieldProblem {
  path: string;
  message: string;
}

export interface AccessValidationContext {
  /** Targets that have groups, by name. */
  groupTargets: readonly string[];
  extensions: readonly string[];
}

const zodProblems = (error: z.ZodError): FieldProblem[] => formatIssues(error.issues);

function ruleProblem(text: string, path: string): FieldProblem | undefined {
  try {
    parseRule(text, { attributes: personAttributes });
    return undefined;
  } catch (error) {
    if (!(error instanceof RuleSyntaxError)) throw error;
    return { path, message: error.message };
  }
}

export function validateCatalog(input: unknown): { ok: true; catalog: Catalog } | { ok: false; errors: FieldProblem[] } {
  const parsed = catalogSchema.safeParse(input);
  return parsed.success ? { ok: true, catalog: parsed.data } : { ok: false, errors: zodProblems(parsed.error) };
}

/** Checks a package as an administrator wrote it, fills every default; every problem is reported with its path. */
export function validatePackage(input: unknown, context: AccessValidationContext): { ok: true; accessPackage: AccessPackage } | { ok: false; errors: FieldProblem[] } {
  const parsed = packageSchema.safeParse(input);
  if (!parsed.success) return { ok: false, errors: zodProblems(parsed.error) };
  const p = parsed.data;
  const errors: FieldProblem[] = [];
  const target = (name: string, path: string) => {
    if (!context.groupTargets.includes(name)) errors.push({ path, message: `no target "${name}" with groups is configured${context.groupTargets.length ? ` (configured: ${context.groupTargets.join(', ')})` : ''}` });
  };
  p.resources.forEach((r, i) => target(r.target, `resources.${i}.target`));
  p.incompatibleGroups.forEach((r, i) => target(r.target, `incompatibleGroups.${i}.target`));
  if (p.incompatibleWith.includes(p.id)) errors.push({ path: 'incompatibleWith', message: 'a package cannot be incompatible with itself' });
  const extension = (name: string, path: string) => {
    if (!context.extensions.includes(name)) errors.push({ path, message: `no custom extension "${name}" is configured` });
  };
  p.hooks.forEach((h, i) => extension(h.extension, `hooks.${i}.extension`));
  const ids = new Set<string>();
  p.policies.forEach((policy, i) => {
    if (ids.has(policy.id)) errors.push({ path: `policies.${i}.id`, message: `duplicate policy id "${policy.id}"` });
    ids.add(policy.id);
    const problem = (text: string, path: string) => {
      const found = ruleProblem(text, path);
      if (found) errors.push(found);
    };
    if (policy.type === 'auto') problem(policy.rule, `policies.${i}.rule`);
    if (policy.type === 'request') {
      if (policy.requestors.type === 'rule') problem(policy.requestors.rule, `policies.${i}.requestors.rule`);
      policy.stages.forEach((stage, s) => {
        for (const [list, name] of [
          [stage.approvers, 'approvers'],
          [stage.fallback, 'fallback'],
        ] as const) {
          list.forEach((approver, a) => {
            if (approver.type === 'rule') problem(approver.rule, `policies.${i}.stages.${s}.${name}.${a}.rule`);
          });
        }
        if (stage.onDeadline === 'escalate' && stage.fallback.length === 0) errors.push({ path: `policies.${i}.stages.${s}.fallback`, message: 'escalating at the deadline needs fallback approvers' });
      });
      policy.hooks.forEach((h, k) => extension(h.extension, `policies.${i}.hooks.${k}.extension`));
    }
    if (policy.type !== 'auto' && 'until' in policy.lifetime && Number.isNaN(Date.parse(policy.lifetime.until))) errors.push({ path: `policies.${i}.lifetime.until`, message: 'not a date' });
  });
  return errors.length > 0 ? { ok: false, errors } : { ok: true, accessPackage: p };
}

/** The end of an assignment that starts at `start` under this lifetime; `requested` may only shorten it. */
export function assignmentEnd(lifetime: Lifetime, start: number, requested?: number): { endsAt?: number; problem?: string } {
  const limit = 'duration' in lifetime ? start + parseExactDuration(lifetime.duration) : 'until' in lifetime ? Date.parse(lifetime.until) : undefined;
  if (requested === undefined) return { endsAt: limit };
  if (requested <= start) return { problem: 'the end must be in the future' };
  if (limit !== undefined && requested > limit) return { problem: `the policy allows access until ${new Date(limit).toISOString()} at most` };
  return { endsAt: requested };
}
