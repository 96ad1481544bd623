import { z } from 'zod';
import { formatIssues } from './field-errors';
import { parseRule, RuleSyntaxError } from './rules';
import { defaultMaxWait } from './task-waits';
import { parseTemplateText, TemplateSyntaxError, templateNames } from './template-text';
import { storableTextMessage, unstorableStrings } from './text';
import { isLocalTime, parseExactDuration } from './time';

// Lifecycle workflow definitions: data that says which tasks run for whom and when. Validated
// here when saved (API or YAML), so a run never meets a definition it cannot carry out.

export const lifecycleCategories = ['joiner', 'mover', 'leaver'] as const;

export const runStatuses = ['queued', 'in_progress', 'completed', 'completed_with_errors', 'failed', 'cancelled'] as const;
export type RunStatus = (typeof runStatuses)[number];
export const taskStatuses = ['queued', 'in_progress', 'waiting', 'completed', 'failed', 'skipped', 'cancelled'] as const;
export type TaskStatus = (typeof taskStatuses)[number];
export type LifecycleCategory = (typeof lifecycleCategories)[number];

/** Attributes a scope rule and an attribute-change trigger may name. */
export const personAttributes = [
  'employeeId',
  'givenName',
  'familyName',
  'preferredName',
  'displayName',
  'employeeType',
  'department',
  'jobTitle',
  'managerEmployeeId',
  'location',
  'timeZone',
  'workEmail',
  'personalEmail',
  'username',
  'state',
  'hireDate',
  'leaveDate',
] as const;
export type PersonAttribute = (typeof personAttributes)[number];

/** Placeholders a mail template may use. */
export const templatePlaceholders = [
  'employeeId',
  'displayName',
  'givenName',
  'familyName',
  'preferredName',
  'username',
  'workEmail',
  'personalEmail',
  'jobTitle',
  'department',
  'location',
  'hireDate',
  'leaveDate',
  'managerDisplayName',
  'managerGivenName',
  'managerEmail',
  'previousDepartment',
  'previousJobTitle',
  'previousManagerDisplayName',
  'organizationName',
] as const;
const tapPlaceholders = ['temporaryAccessPass', 'temporaryAccessPassExpiresAt'] as const;

/** What is wrong with a template text: syntax, and placeholders or sections naming unknown values. */
export function templateProblems(text: string, allowed: readonly string[]): string[] {
  let nodes;
  try {
    nodes = parseTemplateText(text);
  } catch (error) {
    if (!(error instanceof TemplateSyntaxError)) throw error;
    return [error.message];
  }
  const unknown = [...new Set(templateNames(nodes).filter((name) => !allowed.includes(name)))];
  return unknown.map((name) => `unknown placeholder {{${name}}} (known: ${allowed.join(', ')})`);
}

/** An ISO 8601 duration, negative with a leading "-" (before the instant). */
export const signedDurationSchema = z.string().superRefine((value, ctx) => {
  try {
    parseSignedDuration(value);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: (error as Error).message });
  }
});

export function parseSignedDuration(value: string): number {
  return value.startsWith('-') ? -parseExactDuration(value.slice(1)) : parseExactDuration(value.replace(/^\+/, ''));
}

/** An exact ISO 8601 duration (weeks, days, hours, minutes, seconds), up to 1,000 years. */
export const durationSchema = z.string().superRefine((value, ctx) => {
  try {
    parseExactDuration(value);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: (error as Error).message });
  }
});

const triggerSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('time'),
    on: z.enum(['hireDate', 'leaveDate', 'created']),
    offset: signedDurationSchema.default('P0D'),
    /** Run at this local time on the day the offset lands on, in the person's time zone. */
    localTime: z.string().refine(isLocalTime, { error: 'expected HH:mm or HH:mm:ss' }).optional(),
  }),
  z.strictObject({
    type: z.literal('attribute-change'),
    attributes: z.array(z.enum(personAttributes)).min(1),
    from: z.partialRecord(z.enum(personAttributes), z.string()).optional(),
    to: z.partialRecord(z.enum(personAttributes), z.string()).optional(),
  }),
  z.strictObject({
    type: z.literal('group-change'),
    change: z.enum(['added', 'removed']),
    group: z.string().min(1),
  }),
  z.strictObject({ type: z.literal('on-demand') }),
]);
export type Trigger = z.output<typeof triggerSchema>;

const templateSchema = z.strictObject({
  subject: z.string().min(1).max(500),
  body: z.string().min(1).max(50_000),
  /** BCP 47 locale for dates in the message, e.g. en-GB or de-DE. */
  locale: z.string().min(2).max(35).optional(),
});
export type MailTemplate = z.output<typeof templateSchema>;

const emailArgs = z.strictObject({ template: templateSchema.optional() }).prefault({});
/** `target` names the provisioning target whose groups change; the first OpenLDAP target when absent. */
const groupTarget = z.string().min(1).optional();
const groupArgs = z.strictObject({ groups: z.array(z.string().min(1)).min(1), target: groupTarget });

export const taskTypes = {
  'send-welcome-email': emailArgs,
  'send-onboarding-reminder': emailArgs,
  'notify-manager-of-move': emailArgs,
  'email-manager-before-last-day': emailArgs,
  'email-manager-on-last-day': emailArgs,
  'email-manager-after-last-day': emailArgs,
  'generate-temporary-access-pass': z
    .strictObject({
      lifetime: durationSchema.default('PT1H'),
      oneTime: z.boolean().default(true),
      template: templateSchema.optional(),
    })
    .prefault({}),
  'enable-account': z.strictObject({}).prefault({}),
  'disable-account': z.strictObject({}).prefault({}),
  'delete-account': z.strictObject({}).prefault({}),
  'add-to-groups': groupArgs,
  'remove-from-groups': groupArgs,
  'remove-from-all-groups': z.strictObject({ target: groupTarget }).prefault({}),
  'run-custom-extension': z.strictObject({
    extension: z.string().min(1),
    mode: z.enum(['launch-and-continue', 'launch-and-wait']).default('launch-and-continue'),
    timeout: durationSchema.default('PT1H'),
  }),
} as const;
export type TaskType = keyof typeof taskTypes;
export const taskTypeNames = Object.keys(taskTypes) as TaskType[];

/** Who receives each built-in mail. */
export const mailRecipients: Partial<Record<TaskType, 'person' | 'manager'>> = {
  'send-welcome-email': 'person',
  'send-onboarding-reminder': 'manager',
  'notify-manager-of-move': 'manager',
  'email-manager-before-last-day': 'manager',
  'email-manager-on-last-day': 'manager',
  'email-manager-after-last-day': 'manager',
  'generate-temporary-access-pass': 'manager',
};

/**
 * Placeholders whose values time brings (the username and work email once provisioning has run,
 * the manager's once they are known): a mail that needs one waits for it; any other missing
 * value fails the task, naming it.
 */
export const placeholdersWorthWaitingFor: readonly string[] = ['username', 'workEmail', 'managerDisplayName', 'managerGivenName', 'managerEmail'];
/** A task's id within its definition. */
export const taskIdSchema = z.string().regex(/^[a-z0-9][a-z0-9-]*$/, { error: 'lowercase letters, digits and "-"' }).max(64);

/** A lifecycle run's id (its Temporal workflow id): visible ASCII made of the definition, the person and the trigger. */
export const runIdSchema = z
  .string()
  .min(1)
  .max(300)
  .regex(/^[\x21-\x7e]+$/, { error: 'a lifecycle run id is visible ASCII (letters, digits, punctuation), without spaces or control characters' });

const taskEntrySchema = z.strictObject({
  id: taskIdSchema.optional(),
  type: z.enum(taskTypeNames as [TaskType, ...TaskType[]]),
  name: z.string().max(200).optional(),
  enabled: z.boolean().default(true),
  continueOnError: z.boolean().default(false),
  /** Up to how long the task waits for what it needs before it fails (ISO 8601). */
  maxWait: durationSchema.default(defaultMaxWait),
  args: z.unknown().optional(),
});

export interface LifecycleTask {
  id: string;
  type: TaskType;
  name: string;
  enabled: boolean;
  continueOnError: boolean;
  /** Absent in definitions saved before tasks could wait: the default applies. */
  maxWait?: string;
  args: Record<string, unknown>;
}

const maxScopeLength = 4000;

export const definitionIdSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]*$/, { error: 'lowercase letters, digits and "-", e.g. onboard-new-hire' })
  .max(64);

/** A definition as an administrator writes it (before defaults and the checks across fields). */
export const definitionInputSchema = z.strictObject({
  id: definitionIdSchema,
  name: z.string().min(1).max(200),
  description: z.string().max(2000).optional(),
  category: z.enum(lifecycleCategories),
  enabled: z.boolean().default(true),
  trigger: triggerSchema,
  scope: z.string().max(maxScopeLength).optional(),
  caseSensitive: z.boolean().default(false),
  catchUp: durationSchema.default('P3D'),
  tasks: z.array(taskEntrySchema).min(1).max(500),
});
export type DefinitionInput = z.input<typeof definitionInputSchema>;

/** A saved definition: every default filled in, task arguments parsed. */
export interface LifecycleDefinition {
  id: string;
  name: string;
  description?: string;
  category: LifecycleCategory;
  enabled: boolean;
  trigger: Trigger;
  scope?: string;
  caseSensitive: boolean;
  catchUp: string;
  tasks: LifecycleTask[];
}

export interface DefinitionVersion extends LifecycleDefinition {
  version: number;
}

export interface FieldProblem {
  path: string;
  message: string;
}

export interface ValidationContext {
  /** Custom extensions configured on this installation. */
  extensions: readonly string[];
  /** Targets with groups (not SQL) that group tasks may name; unchecked when absent. */
  groupTargets?: readonly string[];
}

export type DefinitionResult = { ok: true; definition: LifecycleDefinition } | { ok: false; errors: FieldProblem[] };

const issues = (error: z.ZodError, prefix: PropertyKey[] = []): FieldProblem[] => formatIssues(error.issues, prefix.map(String).join('.'), '(definition)');

/** A locale the runtime can format dates in (well-formed is not enough: "xx-XX" would fall back silently). */
function supportedLocale(locale: string): boolean {
  try {
    return Intl.DateTimeFormat.supportedLocalesOf(locale).length > 0;
  } catch {
    return false;
  }
}

/** A rule's syntax problem, if any; a rule over the length limit is reported by the schema and never parsed. */
function scopeProblem(scope: unknown): FieldProblem | undefined {
  if (typeof scope !== 'string' || scope.length > maxScopeLength) return undefined;
  try {
    parseRule(scope, { attributes: personAttributes });
    return undefined;
  } catch (error) {
    if (!(error instanceof RuleSyntaxError)) throw error;
    return { path: 'scope', message: error.message };
  }
}

/** Checks one task's arguments (and templates) against its type; answers the parsed arguments. */
function checkTask(task: { type: TaskType; args?: unknown }, index: number, context: ValidationContext, errors: FieldProblem[]): Record<string, unknown> | undefined {
  const args = taskTypes[task.type].safeParse(task.args ?? {});
  if (!args.success) {
    errors.push(...issues(args.error, ['tasks', index, 'args']));
    return undefined;
  }
  const data = args.data as Record<string, unknown>;
  const template = data.template as MailTemplate | undefined;
  if (template) {
    const allowed = task.type === 'generate-temporary-access-pass' ? [...templatePlaceholders, ...tapPlaceholders] : templatePlaceholders;
    for (const field of ['subject', 'body'] as const) {
      for (const message of templateProblems(template[field], allowed)) errors.push({ path: `tasks.${index}.args.template.${field}`, message });
    }
    if (task.type === 'generate-temporary-access-pass' && !/\{\{\s*temporaryAccessPass\s*\}\}/.test(template.body)) {
      errors.push({ path: `tasks.${index}.args.template.body`, message: 'must include {{temporaryAccessPass}}' });
    }
    if (template.locale && !supportedLocale(template.locale)) {
      errors.push({ path: `tasks.${index}.args.template.locale`, message: `unknown locale "${template.locale}"` });
    }
  }
  const target = data.target as string | undefined;
  if (target !== undefined && context.groupTargets && !context.groupTargets.includes(target)) {
    errors.push({
      path: `tasks.${index}.args.target`,
      message: `no target "${target}" with groups is configured${context.groupTargets.length ? ` (configured: ${context.groupTargets.join(', ')})` : ''}`,
    });
  }
  if (task.type === 'run-custom-extension' && !context.extensions.includes(data.extension as string)) {
    errors.push({
      path: `tasks.${index}.args.extension`,
      message: `no custom extension "${String(data.extension)}" is configured${context.extensions.length ? ` (configured: ${context.extensions.join(', ')})` : ''}`,
    });
  }
  return data;
}

/** Checks a definition as an administrator wrote it, and fills in every default; every problem is reported. */
export function validateDefinition(input: unknown, context: ValidationContext): DefinitionResult {
  const parsed = definitionInputSchema.safeParse(input);
  // Definitions are stored as jsonb, which refuses NUL and broken UTF-16 anywhere in them.
  const errors: FieldProblem[] = unstorableStrings(input).map((path) => ({ path, message: storableTextMessage }));
  const raw = (typeof input === 'object' && input !== null ? input : {}) as { scope?: unknown; tasks?: unknown };
  const scope = scopeProblem(raw.scope);
  if (scope) errors.push(scope);

  if (!parsed.success) {
    errors.push(...issues(parsed.error));
    // The parts that did parse are still checked, so one pass shows everything to fix.
    if (Array.isArray(raw.tasks)) {
      raw.tasks.forEach((task: unknown, index) => {
        const type = (task as { type?: unknown } | null)?.type;
        if (typeof type === 'string' && Object.hasOwn(taskTypes, type)) checkTask({ type: type as TaskType, args: (task as { args?: unknown }).args }, index, context, errors);
      });
    }
    const seen = new Set<string>();
    return { ok: false, errors: errors.filter((e) => !seen.has(`${e.path}|${e.message}`) && seen.add(`${e.path}|${e.message}`)) };
  }
  const definition = parsed.data;
  const categoryTriggers: Record<LifecycleCategory, Trigger['type'][]> = {
    joiner: ['time', 'on-demand', 'group-change'],
    mover: ['attribute-change', 'group-change', 'on-demand', 'time'],
    leaver: ['time', 'on-demand', 'group-change', 'attribute-change'],
  };
  if (!categoryTriggers[definition.category].includes(definition.trigger.type)) {
    errors.push({ path: 'trigger.type', message: `a ${definition.category} workflow cannot use a ${definition.trigger.type} trigger` });
  }

  const tasks: LifecycleTask[] = [];
  const ids = new Set<string>();
  definition.tasks.forEach((task, index) => {
    const id = task.id ?? `task-${index + 1}`;
    if (ids.has(id)) errors.push({ path: `tasks.${index}.id`, message: `duplicate task id "${id}"` });
    ids.add(id);
    const args = checkTask(task, index, context, errors);
    if (args) tasks.push({ id, type: task.type, name: task.name ?? task.type, enabled: task.enabled, continueOnError: task.continueOnError, maxWait: task.maxWait, args });
  });
  if (errors.length > 0) return { ok: false, errors };
  const { tasks: _tasks, ...rest } = definition;
  return { ok: true, definition: { ...rest, tasks } };
}
