import { describe, expect, it } from 'vitest';
import {
  parseSignedDuration,
  templatePlaceholders,
  templateProblems,
  validateDefinition,
  type DefinitionResult,
  type FieldProblem,
  type LifecycleDefinition,
  type ValidationContext,
} from '../../domain/lifecycle-workflows';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const context: ValidationContext = { extensions: ['badge-printer', 'payroll-sync'] };

/** A valid joiner definition as an administrator would write it; overrides replace whole fields. */
function input(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: 'onboard-new-hire',
    name: 'Onboard new hire',
    category: 'joiner',
    trigger: { type: 'time', on: 'hireDate' },
    tasks: [{ type: 'send-welcome-email' }],
    ...overrides,
  };
}

/** The same definition with one task of the given type and arguments. */
const withTask = (task: Record<string, unknown>, overrides: Record<string, unknown> = {}) => input({ tasks: [task], ...overrides });

function valid(definition: unknown, ctx: ValidationContext = context): LifecycleDefinition {
  const result = validateDefinition(definition, ctx);
  if (!result.ok) throw new Error(`expected a valid definition, got ${JSON.stringify(result.errors)}`);
  return result.definition;
}

function errorsOf(result: DefinitionResult): FieldProblem[] {
  if (result.ok) throw new Error('expected the definition to be refused');
  return result.errors;
}

const problems = (definition: unknown, ctx: ValidationContext = context) => errorsOf(validateDefinition(definition, ctx));

/** The distinct offending paths, sorted. */
const paths = (definition: unknown, ctx: ValidationContext = context) => [...new Set(problems(definition, ctx).map((p) => p.path))].sort();

const tapPlaceholders = ['temporaryAccessPass', 'temporaryAccessPassExpiresAt'];

describe('validateDefinition: defaults', () => {
  it('fills every default of a minimal definition', () => {
    expect(valid(input())).toEqual({
      id: 'onboard-new-hire',
      name: 'Onboard new hire',
      category: 'joiner',
      enabled: true,
      trigger: { type: 'time', on: 'hireDate', offset: 'P0D' },
      caseSensitive: false,
      catchUp: 'P3D',
      tasks: [{ id: 'task-1', type: 'send-welcome-email', name: 'send-welcome-email', enabled: true, continueOnError: false, maxWait: 'PT12H', args: {} }],
    });
  });

  it('keeps the values an administrator gave', () => {
    const definition = valid(
      input({
        description: 'Everything a new hire needs on day one',
        enabled: false,
        trigger: { type: 'time', on: 'hireDate', offset: '-P7D', localTime: '09:00' },
        scope: "employeeType eq 'employee'",
        caseSensitive: true,
        catchUp: 'P1W',
      }),
    );
    expect(definition).toMatchObject({
      description: 'Everything a new hire needs on day one',
      enabled: false,
      trigger: { type: 'time', on: 'hireDate', offset: '-P7D', localTime: '09:00' },
      scope: "employeeType eq 'employee'",
      caseSensitive: true,
      catchUp: 'P1W',
    });
  });

  it('numbers task ids by position, keeps given ids, names and flags', () => {
    const definition = valid(
      input({
        tasks: [
          { type: 'enable-account' },
          { id: 'welcome', type: 'send-welcome-email', name: 'Say hello' },
          { type: 'disable-account', enabled: false, continueOnError: true },
        ],
      }),
    );
    expect(definition.tasks).toEqual([
      { id: 'task-1', type: 'enable-account', name: 'enable-account', enabled: true, continueOnError: false, maxWait: 'PT12H', args: {} },
      { id: 'welcome', type: 'send-welcome-email', name: 'Say hello', enabled: true, continueOnError: false, maxWait: 'PT12H', args: {} },
      { id: 'task-3', type: 'disable-account', name: 'disable-account', enabled: false, continueOnError: true, maxWait: 'PT12H', args: {} },
    ]);
  });

  it('gives a temporary access pass a one-time lifetime of one hour', () => {
    expect(valid(withTask({ type: 'generate-temporary-access-pass' })).tasks[0]!.args).toEqual({ lifetime: 'PT1H', oneTime: true });
  });

  it('keeps temporary access pass arguments that were given', () => {
    expect(valid(withTask({ type: 'generate-temporary-access-pass', args: { lifetime: 'PT8H', oneTime: false } })).tasks[0]!.args).toEqual({
      lifetime: 'PT8H',
      oneTime: false,
    });
  });

  it('launches a custom extension and continues, with a one-hour timeout', () => {
    expect(valid(withTask({ type: 'run-custom-extension', args: { extension: 'badge-printer' } })).tasks[0]!.args).toEqual({
      extension: 'badge-printer',
      mode: 'launch-and-continue',
      timeout: 'PT1H',
    });
  });

  it('keeps custom extension arguments that were given', () => {
    const args = { extension: 'payroll-sync', mode: 'launch-and-wait', timeout: 'PT30M' };
    expect(valid(withTask({ type: 'run-custom-extension', args })).tasks[0]!.args).toEqual(args);
  });

  it('keeps group lists and mail templates', () => {
    const template = { subject: 'Hi {{givenName}}', body: 'Welcome, {{ displayName }}.', locale: 'de-DE' };
    const definition = valid(
      input({
        tasks: [
          { type: 'add-to-groups', args: { groups: ['staff', 'vpn-users'] } },
          { type: 'send-welcome-email', args: { template } },
        ],
      }),
    );
    expect(definition.tasks.map((t) => t.args)).toEqual([{ groups: ['staff', 'vpn-users'] }, { template }]);
  });

  it('fills the offset of a time trigger and leaves other triggers as given', () => {
    expect(valid(input({ trigger: { type: 'time', on: 'created' } })).trigger).toEqual({ type: 'time', on: 'created', offset: 'P0D' });
    const change = { type: 'attribute-change', attributes: ['department'], from: { department: 'Sales' }, to: { department: 'Marketing' } };
    expect(valid(input({ category: 'mover', trigger: change })).trigger).toEqual(change);
    expect(valid(input({ trigger: { type: 'group-change', change: 'added', group: 'vpn-users' } })).trigger).toEqual({
      type: 'group-change',
      change: 'added',
      group: 'vpn-users',
    });
    expect(valid(input({ trigger: { type: 'on-demand' } })).trigger).toEqual({ type: 'on-demand' });
  });
});

describe('validateDefinition: unknown fields', () => {
  it.each([
    ['the definition', input({ owner: 'hr' }), ['owner']],
    ['the definition, two at once', input({ owner: 'hr', priority: 1 }), ['owner', 'priority']],
    ['a time trigger', input({ trigger: { type: 'time', on: 'hireDate', at: '09:00' } }), ['trigger.at']],
    ['a group trigger', input({ trigger: { type: 'on-demand', group: 'x' } }), ['trigger.group']],
    ['a task', withTask({ type: 'enable-account', when: 'now' }), ['tasks.0.when']],
    ['the second task', input({ tasks: [{ type: 'enable-account' }, { type: 'disable-account', colour: 'red' }] }), ['tasks.1.colour']],
    ['task arguments', withTask({ type: 'enable-account', args: { force: true } }), ['tasks.0.args.force']],
    ['extension arguments', withTask({ type: 'run-custom-extension', args: { extension: 'badge-printer', retries: 3 } }), ['tasks.0.args.retries']],
    ['a template', withTask({ type: 'send-welcome-email', args: { template: { subject: 's', body: 'b', cc: 'x' } } }), ['tasks.0.args.template.cc']],
    [
      'an attribute-change bound',
      input({ category: 'mover', trigger: { type: 'attribute-change', attributes: ['department'], to: { salary: '1' } } }),
      ['trigger.to.salary'],
    ],
  ])('reports an unknown field of %s at its own path', (_where, definition, expected) => {
    const found = problems(definition);
    expect(found.map((p) => p.path).sort()).toEqual(expected);
    for (const problem of found) expect(problem.message).toBe('unknown field');
  });
});

describe('validateDefinition: field problems', () => {
  it.each([
    ['not an object', null, ['(definition)']],
    ['an array', [], ['(definition)']],
    ['no name', input({ name: undefined }), ['name']],
    ['an empty name', input({ name: '' }), ['name']],
    ['an id with capitals and spaces', input({ id: 'Onboard New Hire' }), ['id']],
    ['an unknown category', input({ category: 'rehire' }), ['category']],
    ['no tasks', input({ tasks: [] }), ['tasks']],
    ['an unknown task type', withTask({ type: 'send-fax' }), ['tasks.0.type']],
    ['a task id with capitals', withTask({ id: 'Welcome', type: 'send-welcome-email' }), ['tasks.0.id']],
    ['an unknown trigger type', input({ trigger: { type: 'cron' } }), ['trigger.type']],
    ['a time trigger on an unknown date', input({ trigger: { type: 'time', on: 'birthday' } }), ['trigger.on']],
    ['a local time of 25:00', input({ trigger: { type: 'time', on: 'hireDate', localTime: '25:00' } }), ['trigger.localTime']],
    ['a local time of 9am', input({ trigger: { type: 'time', on: 'hireDate', localTime: '9am' } }), ['trigger.localTime']],
    ['a garbage offset', input({ trigger: { type: 'time', on: 'hireDate', offset: '7 days' } }), ['trigger.offset']],
    ['a garbage catch-up', input({ catchUp: 'three days' }), ['catchUp']],
    ['a negative catch-up', input({ catchUp: '-P1D' }), ['catchUp']],
    ['an attribute-change trigger without attributes', input({ category: 'mover', trigger: { type: 'attribute-change', attributes: [] } }), ['trigger.attributes']],
    [
      'an attribute-change trigger on an unknown attribute',
      input({ category: 'mover', trigger: { type: 'attribute-change', attributes: ['department', 'salary'] } }),
      ['trigger.attributes.1'],
    ],
    ['a group change that is neither added nor removed', input({ trigger: { type: 'group-change', change: 'renamed', group: 'x' } }), ['trigger.change']],
    ['a group change without a group', input({ trigger: { type: 'group-change', change: 'added', group: '' } }), ['trigger.group']],
    ['a group task without groups', withTask({ type: 'add-to-groups' }), ['tasks.0.args.groups']],
    ['a group task with an empty list', withTask({ type: 'remove-from-groups', args: { groups: [] } }), ['tasks.0.args.groups']],
    ['a custom extension task without an extension', withTask({ type: 'run-custom-extension' }), ['tasks.0.args.extension']],
    ['an unknown extension mode', withTask({ type: 'run-custom-extension', args: { extension: 'badge-printer', mode: 'fire-and-forget' } }), ['tasks.0.args.mode']],
    ['a template without a body', withTask({ type: 'send-welcome-email', args: { template: { subject: 'Hello' } } }), ['tasks.0.args.template.body']],
  ])('refuses %s', (_what, definition, expected) => {
    expect(paths(definition)).toEqual(expected);
  });

  it('gives every problem a message', () => {
    for (const problem of problems(input({ id: 'Bad Id', name: '', tasks: [] }))) expect(problem.message).not.toBe('');
  });

  it('reports the problems of every task, not only the first', () => {
    const definition = input({
      tasks: [{ type: 'add-to-groups' }, { type: 'enable-account' }, { type: 'generate-temporary-access-pass', args: { oneTime: 'yes' } }],
    });
    expect(paths(definition)).toEqual(['tasks.0.args.groups', 'tasks.2.args.oneTime']);
  });

  it('reports scope, trigger, task id, template and extension problems together, each at its own path', () => {
    const definition = input({
      trigger: { type: 'attribute-change', attributes: ['department'] },
      scope: "department eq 'Sales' and",
      tasks: [
        { id: 'mail', type: 'send-welcome-email', args: { template: { subject: 'Hi {{firstName}}', body: 'Hello', locale: 'en_GB' } } },
        { id: 'mail', type: 'run-custom-extension', args: { extension: 'coffee-machine' } },
      ],
    });
    expect(paths(definition)).toEqual([
      'scope',
      'tasks.0.args.template.locale',
      'tasks.0.args.template.subject',
      'tasks.1.args.extension',
      'tasks.1.id',
      'trigger.type',
    ]);
  });
});

describe('validateDefinition: scope', () => {
  it('reports a syntax error in the scope with its position', () => {
    const found = problems(input({ scope: "department eq 'Sales' and" }));
    expect(found).toEqual([{ path: 'scope', message: expect.stringMatching(/expected an attribute name but found the end of the rule at position 26$/) }]);
  });

  it('reports an unknown attribute in the scope with its position', () => {
    const found = problems(input({ scope: "department eq 'Sales' or salary gt 5" }));
    expect(found).toEqual([{ path: 'scope', message: expect.stringMatching(/^unknown attribute "salary" .* at position 26$/) }]);
  });

  it('reports an unterminated string in the scope', () => {
    expect(problems(input({ scope: "jobTitle co 'Intern" }))).toEqual([{ path: 'scope', message: 'unterminated string at position 13' }]);
  });

  it('accepts person attributes in any case', () => {
    expect(valid(input({ scope: "DEPARTMENT eq 'Sales' and not JobTitle co 'intern' and hiredate gt '2026'" })).scope).toBeDefined();
  });

  it('accepts every person attribute', () => {
    const scope = ['employeeId', 'givenName', 'department', 'managerEmployeeId', 'timeZone', 'username', 'state', 'hireDate', 'leaveDate']
      .map((attribute) => `${attribute} pr`)
      .join(' or ');
    expect(valid(input({ scope })).scope).toBe(scope);
  });
});

describe('validateDefinition: triggers by category', () => {
  const triggers = {
    time: { type: 'time', on: 'hireDate' },
    'attribute-change': { type: 'attribute-change', attributes: ['department'] },
    'group-change': { type: 'group-change', change: 'added', group: 'vpn-users' },
    'on-demand': { type: 'on-demand' },
  } as const;

  it.each([
    ['joiner', 'time', true],
    ['joiner', 'on-demand', true],
    ['joiner', 'group-change', true],
    ['joiner', 'attribute-change', false],
    ['mover', 'time', true],
    ['mover', 'on-demand', true],
    ['mover', 'group-change', true],
    ['mover', 'attribute-change', true],
    ['leaver', 'time', true],
    ['leaver', 'on-demand', true],
    ['leaver', 'group-change', true],
    ['leaver', 'attribute-change', true],
  ] as const)('a %s workflow with a %s trigger: accepted %s', (category, type, accepted) => {
    const result = validateDefinition(input({ category, trigger: triggers[type] }), context);
    if (accepted) {
      expect(result.ok).toBe(true);
    } else {
      expect(errorsOf(result)).toEqual([{ path: 'trigger.type', message: expect.stringMatching(/joiner.*attribute-change/) }]);
    }
  });
});

describe('validateDefinition: task ids', () => {
  it('refuses a duplicate id at the later task', () => {
    const found = problems(input({ tasks: [{ id: 'welcome', type: 'send-welcome-email' }, { id: 'welcome', type: 'enable-account' }] }));
    expect(found).toEqual([{ path: 'tasks.1.id', message: 'duplicate task id "welcome"' }]);
  });

  it('refuses a given id that clashes with a generated one', () => {
    const found = problems(input({ tasks: [{ id: 'task-2', type: 'send-welcome-email' }, { type: 'enable-account' }] }));
    expect(found).toEqual([{ path: 'tasks.1.id', message: 'duplicate task id "task-2"' }]);
  });

  it('reports each repetition', () => {
    const tasks = [{ id: 'x', type: 'enable-account' }, { id: 'x', type: 'enable-account' }, { id: 'x', type: 'enable-account' }];
    expect(paths(input({ tasks }))).toEqual(['tasks.1.id', 'tasks.2.id']);
  });
});

describe('validateDefinition: mail templates', () => {
  const mail = (template: Record<string, unknown>, type = 'send-welcome-email') => withTask({ type, args: { template } });

  it('refuses an unknown placeholder in the subject', () => {
    expect(problems(mail({ subject: 'Hello {{firstName}}', body: 'Hello' }))).toEqual([
      { path: 'tasks.0.args.template.subject', message: expect.stringMatching(/^unknown placeholder \{\{firstName\}\} \(known: employeeId, /) },
    ]);
  });

  it('refuses each unknown placeholder in the body', () => {
    const found = problems(mail({ subject: 'Hello', body: '{{salary}} and {{ bonus }} for {{givenName}}' }));
    expect(found.map((p) => p.path)).toEqual(['tasks.0.args.template.body', 'tasks.0.args.template.body']);
    expect(found[0]!.message).toMatch(/\{\{salary\}\}/);
    expect(found[1]!.message).toMatch(/\{\{bonus\}\}/);
  });

  it('refuses stray braces', () => {
    expect(problems(mail({ subject: 'Hello {{givenName}', body: 'x' }))).toEqual([
      { path: 'tasks.0.args.template.subject', message: 'a "{{" or "}}" that is not a placeholder' },
    ]);
  });

  it('accepts every known placeholder, with or without spaces inside the braces', () => {
    const body = templatePlaceholders.map((p, i) => (i % 2 ? `{{${p}}}` : `{{ ${p} }}`)).join(' ');
    expect(valid(mail({ subject: '{{displayName}}', body })).tasks[0]!.args).toEqual({ template: { subject: '{{displayName}}', body } });
  });

  it('refuses the temporary access pass outside a temporary access pass task', () => {
    expect(paths(mail({ subject: 'Hi', body: 'Your pass: {{temporaryAccessPass}}' }))).toEqual(['tasks.0.args.template.body']);
    expect(paths(mail({ subject: 'Until {{temporaryAccessPassExpiresAt}}', body: 'x' }, 'notify-manager-of-move'))).toEqual([
      'tasks.0.args.template.subject',
    ]);
  });

  it('accepts a temporary access pass template that shows the pass', () => {
    const template = { subject: 'Pass for {{displayName}}', body: 'Pass: {{ temporaryAccessPass }}, valid until {{temporaryAccessPassExpiresAt}}' };
    expect(valid(mail(template, 'generate-temporary-access-pass')).tasks[0]!.args).toEqual({ lifetime: 'PT1H', oneTime: true, template });
  });

  it('refuses a temporary access pass template whose body lacks the pass', () => {
    expect(problems(mail({ subject: 'Pass for {{displayName}}', body: 'Ask IT.' }, 'generate-temporary-access-pass'))).toEqual([
      { path: 'tasks.0.args.template.body', message: 'must include {{temporaryAccessPass}}' },
    ]);
  });

  it('refuses a temporary access pass template that shows the pass only in the subject', () => {
    expect(problems(mail({ subject: 'Pass {{temporaryAccessPass}}', body: 'See subject.' }, 'generate-temporary-access-pass'))).toEqual([
      { path: 'tasks.0.args.template.body', message: 'must include {{temporaryAccessPass}}' },
    ]);
  });

  it.each(['en-GB', 'de-DE', 'fr', 'pt-BR', 'sr-Latn-RS'])('accepts the locale %s', (locale) => {
    expect(validateDefinition(mail({ subject: 's', body: 'b', locale }), context).ok).toBe(true);
  });

  it.each(['en_GB', 'english!', '12'])('refuses the malformed locale %s', (locale) => {
    expect(problems(mail({ subject: 's', body: 'b', locale }))).toEqual([{ path: 'tasks.0.args.template.locale', message: `unknown locale "${locale}"` }]);
  });

  it.each(['xx-XX', 'dk'])('refuses the well-formed but unknown locale %s, which would silently format dates in another language', (locale) => {
    expect(problems(mail({ subject: 's', body: 'b', locale }))).toEqual([{ path: 'tasks.0.args.template.locale', message: `unknown locale "${locale}"` }]);
  });
});

describe('validateDefinition: custom extensions', () => {
  it('accepts a configured extension', () => {
    expect(validateDefinition(withTask({ type: 'run-custom-extension', args: { extension: 'payroll-sync' } }), context).ok).toBe(true);
  });

  it('refuses an extension that is not configured and lists those that are', () => {
    expect(problems(withTask({ type: 'run-custom-extension', args: { extension: 'badge-print' } }))).toEqual([
      { path: 'tasks.0.args.extension', message: 'no custom extension "badge-print" is configured (configured: badge-printer, payroll-sync)' },
    ]);
  });

  it('refuses any extension when none is configured', () => {
    expect(problems(withTask({ type: 'run-custom-extension', args: { extension: 'badge-printer' } }), { extensions: [] })).toEqual([
      { path: 'tasks.0.args.extension', message: 'no custom extension "badge-printer" is configured' },
    ]);
  });

  it('matches extension names exactly', () => {
    expect(paths(withTask({ type: 'run-custom-extension', args: { extension: 'Badge-Printer' } }))).toEqual(['tasks.0.args.extension']);
  });
});

describe('validateDefinition: group task targets', () => {
  const withTargets: ValidationContext = { ...context, groupTargets: ['ldap', 'ad', 'crm'] };

  it('accepts group tasks on a target with groups, and without a target', () => {
    const definition = valid(
      input({
        tasks: [
          { type: 'add-to-groups', args: { groups: ['CN=VPN Users,OU=Groups,DC=corp,DC=example,DC=com'], target: 'ad' } },
          { type: 'remove-from-groups', args: { groups: ['Sales Team'], target: 'crm' } },
          { type: 'remove-from-all-groups', args: { target: 'ad' } },
          { type: 'add-to-groups', args: { groups: ['all-staff'] } },
        ],
      }),
      withTargets,
    );
    expect(definition.tasks.map((t) => t.args.target)).toEqual(['ad', 'crm', 'ad', undefined]);
  });

  it('refuses a target that is not configured or has no groups, and lists those that do', () => {
    expect(problems(withTask({ type: 'add-to-groups', args: { groups: ['x'], target: 'payroll' } }), withTargets)).toEqual([
      { path: 'tasks.0.args.target', message: 'no target "payroll" with groups is configured (configured: ldap, ad, crm)' },
    ]);
    expect(paths(withTask({ type: 'remove-from-all-groups', args: { target: 'AD' } }), withTargets)).toEqual(['tasks.0.args.target']);
  });
});

describe('validateDefinition: durations', () => {
  it.each([
    ['catch-up P1M', input({ catchUp: 'P1M' }), 'catchUp'],
    ['catch-up P1Y', input({ catchUp: 'P1Y' }), 'catchUp'],
    ['offset P1M', input({ trigger: { type: 'time', on: 'hireDate', offset: 'P1M' } }), 'trigger.offset'],
    ['offset -P1Y', input({ trigger: { type: 'time', on: 'leaveDate', offset: '-P1Y' } }), 'trigger.offset'],
    ['offset -P1M2D', input({ trigger: { type: 'time', on: 'leaveDate', offset: '-P1M2D' } }), 'trigger.offset'],
    ['pass lifetime P1M', withTask({ type: 'generate-temporary-access-pass', args: { lifetime: 'P1M' } }), 'tasks.0.args.lifetime'],
    ['extension timeout P1Y', withTask({ type: 'run-custom-extension', args: { extension: 'badge-printer', timeout: 'P1Y' } }), 'tasks.0.args.timeout'],
  ])('refuses years and months: %s', (_what, definition, path) => {
    expect(problems(definition)).toEqual([{ path, message: expect.stringMatching(/years or months/) }]);
  });

  it.each(['-P7D', '-PT12H', '-P1W', '+P1D', 'P30D', 'PT0S', '-P1DT6H'])('accepts the offset %s as written', (offset) => {
    expect(valid(input({ trigger: { type: 'time', on: 'hireDate', offset } })).trigger).toEqual({ type: 'time', on: 'hireDate', offset });
  });

  it.each(['P-7D', '--P7D', '-', '7D'])('refuses the offset %s', (offset) => {
    expect(paths(input({ trigger: { type: 'time', on: 'hireDate', offset } }))).toEqual(['trigger.offset']);
  });
});

describe('templateProblems', () => {
  const allowed = ['givenName', 'displayName'];

  it.each(['', 'Plain text', 'Hello {{givenName}}', 'Hello {{ givenName }} / {{displayName}}', '{{\tgivenName\n}}', 'a {single} brace'])(
    'finds nothing wrong with %j',
    (text) => {
      expect(templateProblems(text, allowed)).toEqual([]);
    },
  );

  it('names an unknown placeholder and the known ones', () => {
    expect(templateProblems('Hello {{ surname }}', allowed)).toEqual(['unknown placeholder {{surname}} (known: givenName, displayName)']);
  });

  it('matches placeholder names case-sensitively', () => {
    expect(templateProblems('{{GivenName}}', allowed)).toEqual(['unknown placeholder {{GivenName}} (known: givenName, displayName)']);
  });

  it.each(['Hello {{givenName}', 'Hello givenName}}', '{{}}', '{{ }}', '{{given-name}}', '{{given name}}', '{{1}}'])('finds stray braces in %j', (text) => {
    expect(templateProblems(text, allowed)).toContain('a "{{" or "}}" that is not a placeholder');
  });

  it.each(['{{#givenName}}x{{/givenName}}', '{{^givenName}}none{{/givenName}}', '{{#givenName}}{{#displayName}}{{displayName}}{{/displayName}}{{/givenName}}'])('accepts the sections in %j', (text) => {
    expect(templateProblems(text, allowed)).toEqual([]);
  });

  it.each([
    ['{{#givenName}}x', 'the section {{#givenName}} is never closed'],
    ['x{{/givenName}}', '{{/givenName}} closes no open {{#givenName}} section'],
    ['{{#givenName}}{{/displayName}}', '{{/displayName}} closes no open {{#displayName}} section'],
  ])('names the broken section in %j', (text, message) => {
    expect(templateProblems(text, allowed)).toEqual([message]);
  });

  it('refuses sections nested without end, before the stack is in danger', () => {
    expect(templateProblems('{{#givenName}}'.repeat(10_000), allowed)).toEqual(['sections nest deeper than 8']);
  });

  it('names an unknown value in a section tag', () => {
    expect(templateProblems('{{#surname}}x{{/surname}}', allowed)).toEqual(['unknown placeholder {{surname}} (known: givenName, displayName)']);
  });

  it('allows the temporary access pass only when asked to', () => {
    expect(templateProblems('{{temporaryAccessPass}}', templatePlaceholders)).toHaveLength(1);
    expect(templateProblems('{{temporaryAccessPass}}', [...templatePlaceholders, ...tapPlaceholders])).toEqual([]);
  });
});

describe('parseSignedDuration', () => {
  it.each([
    ['P7D', 7 * DAY],
    ['+P7D', 7 * DAY],
    ['-P7D', -7 * DAY],
    ['-PT12H', -12 * HOUR],
    ['PT30M', 30 * MINUTE],
    ['-P1W', -7 * DAY],
    ['-P1DT6H', -(DAY + 6 * HOUR)],
    ['P0D', 0],
  ])('%s is %d ms', (value, ms) => {
    expect(parseSignedDuration(value)).toBe(ms);
  });

  it.each(['P1M', '-P1M', 'P1Y', '-P1Y2D'])('refuses %s because years and months have no fixed length', (value) => {
    expect(() => parseSignedDuration(value)).toThrow(/years or months/);
  });

  it.each(['', '-', '+', '7D', '--P1D', '+-P1D', 'P-1D', 'garbage'])('refuses %j', (value) => {
    expect(() => parseSignedDuration(value)).toThrow(RangeError);
  });
});

describe('validateDefinition: hostile sizes and extremes', () => {
  it('refuses a scope over 4,000 characters by its length, without parsing it', () => {
    for (const scope of ['('.repeat(20_000), 'not '.repeat(50_000)]) {
      expect(problems(input({ scope }))).toEqual([{ path: 'scope', message: expect.stringMatching(/4000/) }]);
    }
  });

  it('refuses a scope nested deeper than the parser allows, at its position', () => {
    const scope = `${'('.repeat(65)}department pr${')'.repeat(65)}`;
    expect(problems(input({ scope }))).toEqual([{ path: 'scope', message: 'the rule nests deeper than 64 levels at position 65' }]);
  });

  it('refuses NUL and broken UTF-16 anywhere, which jsonb cannot store', () => {
    const template = { subject: 'Hi', body: 'Welcome\ud800' };
    expect(problems(withTask({ type: 'send-welcome-email', args: { template } }, { name: 'On\u0000board' }))).toEqual([
      { path: 'name', message: 'must not contain NUL or broken UTF-16' },
      { path: 'tasks.0.args.template.body', message: 'must not contain NUL or broken UTF-16' },
    ]);
  });

  it('refuses offsets, lifetimes, timeouts and catch-up windows no date library can carry', () => {
    expect(problems(input({ trigger: { type: 'time', on: 'hireDate', offset: '-P9999999999D' } }))).toEqual([
      { path: 'trigger.offset', message: '"P9999999999D" is longer than 1,000 years' },
    ]);
    expect(paths(input({ catchUp: 'P9999999999D' }))).toEqual(['catchUp']);
    expect(paths(withTask({ type: 'generate-temporary-access-pass', args: { lifetime: 'PT99999999999999999999999S' } }))).toEqual(['tasks.0.args.lifetime']);
    expect(paths(withTask({ type: 'run-custom-extension', args: { extension: 'badge-printer', mode: 'launch-and-wait', timeout: 'P400000D' } }))).toEqual(['tasks.0.args.timeout']);
    expect(valid(input({ trigger: { type: 'time', on: 'hireDate', offset: '-P3650D' } })).trigger).toMatchObject({ offset: '-P3650D' });
  });
});

describe('validateDefinition: task types', () => {
  it.each(['__proto__', 'constructor', 'toString', 'hasOwnProperty'])('refuses the task type %s (a property of every object, not a task type)', (type) => {
    expect(paths(input({ tasks: [{ type }] }))).toEqual(['tasks.0.type']);
  });
});
