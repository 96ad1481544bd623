import { describe, expect, it } from 'vitest';
import type { ExpressionValue } from '../../domain/expressions';
import {
  attributeChanges,
  compileTargets,
  containerFor,
  desiredAttributes,
  inTargetScope,
  targetSchema,
  uniqueCandidates,
  wantedGroups,
  type CompiledTarget,
  type MappingContext,
  type TargetConfig,
} from '../../domain/targets';

// Target configs go through the zod schema, as they do when loaded, so defaults are filled.

type Input = Record<string, unknown>;

const ldapTarget = (overrides: Input = {}): TargetConfig =>
  targetSchema.parse({
    type: 'ldap',
    name: 'ldap',
    url: 'ldap://ldap.example.com',
    bindDn: 'cn=tenure,dc=example,dc=com',
    bindPassword: 'secret',
    baseDn: 'dc=example,dc=com',
    peopleDn: 'ou=people,dc=example,dc=com',
    mappings: [{ target: 'uid', source: 'username', apply: 'create' }],
    ...overrides,
  });

const adContainer =
  'Switch([department], "OU=Staff,DC=corp,DC=example,DC=com", "Engineering", "OU=Engineering,DC=corp,DC=example,DC=com", "Sales", "OU=Sales,DC=corp,DC=example,DC=com")';

const adTarget = (overrides: Input = {}): TargetConfig =>
  targetSchema.parse({
    type: 'active-directory',
    name: 'ad',
    url: 'ldaps://dc1.corp.example.com',
    bindDn: 'CN=svc-tenure,DC=corp,DC=example,DC=com',
    bindPassword: 'secret',
    baseDn: 'DC=corp,DC=example,DC=com',
    container: adContainer,
    mappings: [{ target: 'cn', source: 'displayName' }],
    ...overrides,
  });

const scimTarget = (overrides: Input = {}): TargetConfig =>
  targetSchema.parse({
    type: 'scim',
    name: 'crm',
    baseUrl: 'https://crm.example.net/scim/v2',
    auth: { type: 'bearer', token: 'token' },
    mappings: [{ target: 'userName', source: 'workEmail' }],
    ...overrides,
  });

const sqlTarget = (overrides: Input = {}): TargetConfig =>
  targetSchema.parse({
    type: 'sql',
    name: 'payroll',
    dialect: 'postgres',
    url: 'postgres://payroll-db/payroll',
    table: 'employees',
    keyColumn: 'employee_id',
    mappings: [{ target: 'login', source: 'username' }],
    ...overrides,
  });

/** Compiles one target that must be valid. */
function compile(config: TargetConfig): CompiledTarget {
  const { targets, problems } = compileTargets([config]);
  expect(problems).toEqual([]);
  return targets[0]!;
}

const problemsOf = (...configs: TargetConfig[]) => compileTargets(configs).problems;

type Person = Record<string, ExpressionValue | undefined>;

const person = (overrides: Person = {}): Person => ({
  employeeId: 'E1001',
  givenName: 'Ada',
  familyName: 'Lovelace',
  displayName: 'Ada Lovelace',
  department: 'Engineering',
  jobTitle: 'Engineer',
  workEmail: 'ada.lovelace@example.com',
  username: 'ada.lovelace',
  ...overrides,
});

const now = new Date('2024-03-01T09:00:00Z');

const context = (attributes: Person = person(), overrides: Partial<MappingContext> = {}): MappingContext => ({
  attributes,
  now,
  random: () => 0.5,
  ...overrides,
});

describe('compileTargets: problems', () => {
  it('names the target, the mapping and the position of an expression missing its ")"', () => {
    const problems = problemsOf(scimTarget({ mappings: [{ target: 'userName', source: 'workEmail' }, { target: 'nickName', expression: 'Left([username], 20' }] }));
    expect(problems).toEqual([{ path: 'targets.0 (crm).mappings.1 (nickName).expression', message: expect.stringMatching(/at position 20$/) }]);
  });

  it('names an unknown function and where it starts', () => {
    const problems = problemsOf(ldapTarget({ mappings: [{ target: 'cn', expression: 'Join(".", Frobnicate([givenName]))' }] }));
    expect(problems).toEqual([{ path: 'targets.0 (ldap).mappings.0 (cn).expression', message: expect.stringMatching(/unknown function "Frobnicate".* at position 11$/) }]);
  });

  it('names an unknown attribute in an expression and where it is', () => {
    const problems = problemsOf(ldapTarget({ mappings: [{ target: 'cn', expression: 'ToLower([nickname])' }] }));
    expect(problems).toHaveLength(1);
    expect(problems[0]!.path).toBe('targets.0 (ldap).mappings.0 (cn).expression');
    expect(problems[0]!.message).toMatch(/^unknown attribute \[nickname\]/);
    expect(problems[0]!.message).toMatch(/at position 9$/);
  });

  it('names an unknown source attribute and lists the known ones', () => {
    const problems = problemsOf(scimTarget({ mappings: [{ target: 'nickName', source: 'nickname' }] }));
    expect(problems).toHaveLength(1);
    expect(problems[0]!.path).toBe('targets.0 (crm).mappings.0 (nickName).source');
    expect(problems[0]!.message).toContain('unknown attribute "nickname"');
    expect(problems[0]!.message).toContain('givenName');
  });

  it.each([
    ["department eq 'Sales' and", /at position 26$/],
    ["nickname eq 'Ada'", /nickname/],
  ])('reports the bad scope rule %j at the scope', (scope, message) => {
    expect(problemsOf(scimTarget({ scope }))).toEqual([{ path: 'targets.0 (crm).scope', message: expect.stringMatching(message) }]);
  });

  it('reports a duplicate target name at the second target', () => {
    const problems = problemsOf(scimTarget({ name: 'apps' }), ldapTarget(), scimTarget({ name: 'apps' }));
    expect(problems).toEqual([{ path: 'targets.2 (apps).name', message: 'duplicate target name "apps"' }]);
  });

  it('reports a bad container expression of an Active Directory target', () => {
    const problems = problemsOf(adTarget({ container: 'Switch([department], "OU=Staff", "Sales", "OU=Sales"' }));
    expect(problems).toEqual([{ path: 'targets.0 (ad).container', message: expect.stringMatching(/at position 53$/) }]);
  });

  it('reports SQL column targets that are not plain identifiers', () => {
    const problems = problemsOf(sqlTarget({ mappings: [{ target: 'login', source: 'username' }, { target: 'full name', source: 'displayName' }, { target: 'emails.value', source: 'workEmail' }] }));
    expect(problems).toHaveLength(2);
    expect(problems.map((p) => p.path)).toEqual([expect.stringMatching(/^targets\.0 \(payroll\)\.mappings\.1\b/), expect.stringMatching(/^targets\.0 \(payroll\)\.mappings\.2\b/)]);
    for (const problem of problems) expect(problem.message).toContain('plain column name');
  });

  it('names the mapping of a bad SQL column as mappings.<j> (<column>), like every other mapping problem', () => {
    const problems = problemsOf(sqlTarget({ mappings: [{ target: 'login', source: 'username' }, { target: 'full name', source: 'displayName' }] }));
    expect(problems.map((p) => p.path)).toEqual(['targets.0 (payroll).mappings.1 (full name).target']);
  });

  it('allows SCIM paths and LDAP attribute names that are not SQL identifiers', () => {
    expect(problemsOf(scimTarget({ mappings: [{ target: 'name.givenName', source: 'givenName' }, { target: 'emails[type eq "work"].value', source: 'workEmail' }] }))).toEqual([]);
    expect(problemsOf(ldapTarget({ mappings: [{ target: 'msDS-cloudExtensionAttribute1', source: 'employeeId' }] }))).toEqual([]);
  });

  it('refuses groups on a SQL target', () => {
    expect(problemsOf(sqlTarget({ groups: [{ group: 'admins' }] }))).toEqual([{ path: 'targets.0 (payroll).groups', message: 'a SQL target has no groups' }]);
  });

  it('names the group whose scope rule is bad, and where', () => {
    const problems = problemsOf(adTarget({ groups: [{ group: 'CN=All,DC=corp' }, { group: 'CN=Sales,DC=corp', scope: "department eq 'Sales' or" }] }));
    expect(problems).toEqual([{ path: 'targets.0 (ad).groups.1 (CN=Sales,DC=corp).scope', message: expect.stringMatching(/at position 25$/) }]);
  });

  it('reports a group listed twice, ignoring the case of its name', () => {
    const problems = problemsOf(scimTarget({ groups: [{ group: 'Engineering' }, { group: 'engineering', scope: "department eq 'x'" }] }));
    expect(problems).toEqual([{ path: 'targets.0 (crm).groups.1 (engineering)', message: 'group "engineering" is listed twice' }]);
  });

  it('reports every problem of every target at once', () => {
    const problems = problemsOf(
      ldapTarget({ scope: 'department eq', mappings: [{ target: 'cn', expression: 'Nope()' }] }),
      sqlTarget({ mappings: [{ target: 'login', source: 'nickname' }] }),
    );
    expect(problems.map((p) => p.path)).toEqual(['targets.0 (ldap).scope', 'targets.0 (ldap).mappings.0 (cn).expression', 'targets.1 (payroll).mappings.0 (login).source']);
  });
});

describe('compileTargets: a valid configuration', () => {
  const configs = [
    ldapTarget({ scope: "employeeType ne 'guest'", mappings: [{ target: 'uid', source: 'username', apply: 'create' }, { target: 'givenName', expression: 'Coalesce([preferredName], [givenName])' }] }),
    adTarget({ mappings: [{ target: 'sAMAccountName', apply: 'create', expression: 'SelectUniqueValue(Left([username], 20), ToLower(Join("", Left([givenName], 1), [familyName])))' }, { target: 'company', constant: 'Example Corp' }] }),
    scimTarget({ scope: "department eq 'Sales' or department eq 'Support'" }),
    sqlTarget({ mappings: [{ target: 'cost_center', expression: 'Switch([department], "CC-000", "Engineering", "CC-100")' }] }),
  ];

  it('compiles with no problems, keeping the targets in order', () => {
    const { targets, problems } = compileTargets(configs);
    expect(problems).toEqual([]);
    expect(targets.map((t) => t.config)).toEqual(configs);
  });

  it('parses expressions and the container once, leaving other mappings as they are', () => {
    const [ldap, ad] = compileTargets(configs).targets;
    expect(ldap!.mappings[0]).toEqual({ target: 'uid', source: 'username', apply: 'create' });
    expect(ldap!.mappings[1]!.parsed).toMatchObject({ kind: 'call', name: 'Coalesce' });
    expect(ldap!.container).toBeUndefined();
    expect(ad!.container).toMatchObject({ kind: 'call', name: 'Switch' });
  });

  it('fills schema defaults', () => {
    expect(configs[0]).toMatchObject({ deprovision: 'delete', breaker: expect.objectContaining({ openAfter: 'PT10S' }), rdnAttribute: 'uid', anchorAttribute: 'employeeNumber', tlsRejectUnauthorized: true });
    expect(configs[1]).toMatchObject({ anchorAttribute: 'employeeID' });
    expect(configs[0]!.mappings[1]!.apply).toBe('always');
  });
});

describe('desiredAttributes', () => {
  const target = compile(
    ldapTarget({
      mappings: [
        { target: 'uid', source: 'username', apply: 'create' },
        { target: 'cn', source: 'displayName' },
        { target: 'o', constant: 'Example Corp' },
        { target: 'givenName', expression: 'Coalesce([preferredName], [givenName])' },
        { target: 'mail', expression: 'ToLower([workEmail])' },
      ],
    }),
  );

  it('takes sources, constants and expressions', () => {
    const { values, ignored } = desiredAttributes(target, context(person({ preferredName: 'Addy', workEmail: 'Ada.Lovelace@Example.com' })), { forCreate: false });
    expect(values).toEqual({ cn: 'Ada Lovelace', o: 'Example Corp', givenName: 'Addy', mail: 'ada.lovelace@example.com' });
    expect(ignored).toEqual([]);
  });

  it('includes `apply: create` mappings only when creating', () => {
    expect(desiredAttributes(target, context(), { forCreate: true }).values).toMatchObject({ uid: 'ada.lovelace' });
    expect(Object.keys(desiredAttributes(target, context(), { forCreate: false }).values)).not.toContain('uid');
  });

  it('uses the default when the source or the expression gives nothing', () => {
    const withDefaults = compile(
      scimTarget({
        mappings: [
          { target: 'title', source: 'jobTitle', default: 'Employee' },
          { target: 'nickName', expression: 'Coalesce([preferredName], [location])', default: 'none' },
          { target: 'displayName', source: 'displayName', default: 'unused' },
        ],
      }),
    );
    const { values } = desiredAttributes(withDefaults, context(person({ jobTitle: '' })), { forCreate: false });
    expect(values).toEqual({ title: 'Employee', nickName: 'none', displayName: 'Ada Lovelace' });
  });

  it('keeps a mapping that gives nothing as undefined, so the attribute is cleared on the target', () => {
    const { values } = desiredAttributes(target, context(person({ displayName: undefined })), { forCreate: false });
    expect(values).toHaveProperty('cn', undefined);
    expect(attributeChanges({ cn: 'Ada Lovelace', o: 'Example Corp', givenName: 'Ada', mail: 'ada.lovelace@example.com' }, values)).toEqual({ cn: undefined });
  });

  it('leaves out an IgnoreFlowIfNullOrEmpty attribute and lists it as ignored', () => {
    const ignoring = compile(
      scimTarget({
        mappings: [
          { target: 'userName', source: 'workEmail' },
          { target: 'nickName', expression: 'IgnoreFlowIfNullOrEmpty([preferredName])', default: 'never used' },
        ],
      }),
    );
    const without = desiredAttributes(ignoring, context(), { forCreate: false });
    expect(without.ignored).toEqual(['nickName']);
    expect(Object.keys(without.values)).toEqual(['userName']);
    const withValue = desiredAttributes(ignoring, context(person({ preferredName: 'Addy' })), { forCreate: false });
    expect(withValue).toEqual({ values: { userName: 'ada.lovelace@example.com', nickName: 'Addy' }, ignored: [] });
  });

  it('gives multi-valued results as lists of strings', () => {
    const multi = compile(
      ldapTarget({
        mappings: [
          { target: 'ou', expression: 'Split([department], ",")' },
          { target: 'l', source: 'location' },
        ],
      }),
    );
    const { values } = desiredAttributes(multi, context(person({ department: 'Engineering, Research', location: ['Berlin', 'Paris'] })), { forCreate: false });
    expect(values).toEqual({ ou: ['Engineering', 'Research'], l: ['Berlin', 'Paris'] });
  });

  it('treats an empty list as nothing, so the default applies', () => {
    const multi = compile(ldapTarget({ mappings: [{ target: 'l', source: 'location', default: 'Remote' }] }));
    expect(desiredAttributes(multi, context(person({ location: [] })), { forCreate: false }).values).toEqual({ l: 'Remote' });
  });

  describe('SelectUniqueValue', () => {
    const unique = compile(
      adTarget({
        mappings: [
          { target: 'sAMAccountName', apply: 'create', expression: 'SelectUniqueValue(Join(".", [givenName], [familyName]), Join("", Left([givenName], 1), [familyName]), Join("", [givenName], [employeeId]))' },
        ],
      }),
    );

    it('takes the first candidate when nothing refuses it', () => {
      expect(desiredAttributes(unique, context(), { forCreate: true }).values).toEqual({ sAMAccountName: 'Ada.Lovelace' });
    });

    it('takes the second candidate when isUnique refuses the first', () => {
      const asked: string[] = [];
      const isUnique = (value: string) => {
        asked.push(value);
        return value !== 'Ada.Lovelace';
      };
      expect(desiredAttributes(unique, context(person(), { isUnique }), { forCreate: true }).values).toEqual({ sAMAccountName: 'ALovelace' });
      expect(asked).toEqual(['Ada.Lovelace', 'ALovelace']);
    });
  });
});

describe('uniqueCandidates', () => {
  it('lists the candidates of SelectUniqueValue mappings only, in order', () => {
    const target = compile(
      adTarget({
        mappings: [
          { target: 'cn', source: 'displayName' },
          { target: 'sAMAccountName', apply: 'create', expression: 'SelectUniqueValue(Left([username], 20), ToLower(Join("", Left([givenName], 1), [familyName])))' },
          { target: 'mail', expression: 'ToLower([workEmail])' },
          { target: 'company', constant: 'Example Corp' },
          { target: 'userPrincipalName', apply: 'create', expression: 'SelectUniqueValue(Join("@", [username], "corp.example.com"), Join("@", [employeeId], "corp.example.com"))' },
        ],
      }),
    );
    expect(uniqueCandidates(target, context())).toEqual([
      { mapping: 'sAMAccountName', candidates: ['ada.lovelace', 'alovelace'] },
      { mapping: 'userPrincipalName', candidates: ['ada.lovelace@corp.example.com', 'E1001@corp.example.com'] },
    ]);
  });

  it('is empty for a target without SelectUniqueValue', () => {
    const target = compile(scimTarget({ mappings: [{ target: 'userName', expression: 'ToLower([workEmail])' }, { target: 'title', source: 'jobTitle' }] }));
    expect(uniqueCandidates(target, context())).toEqual([]);
  });

  it('asks nothing of isUnique', () => {
    const target = compile(adTarget({ mappings: [{ target: 'sAMAccountName', apply: 'create', expression: 'SelectUniqueValue([username], [employeeId])' }] }));
    const isUnique = () => {
      throw new Error('uniqueCandidates must not check candidates');
    };
    expect(uniqueCandidates(target, context(person(), { isUnique }))).toEqual([{ mapping: 'sAMAccountName', candidates: ['ada.lovelace', 'E1001'] }]);
  });
});

describe('inTargetScope and wantedGroups', () => {
  const target = compile(
    adTarget({
      scope: "employeeType ne 'guest'",
      groups: [
        { group: 'CN=Everyone,DC=corp,DC=example,DC=com' },
        { group: 'CN=Engineering,DC=corp,DC=example,DC=com', scope: "department eq 'Engineering'" },
        { group: 'CN=Leads,DC=corp,DC=example,DC=com', scope: "jobTitle co 'lead' and department in ('Engineering', 'Sales')" },
      ],
    }),
  );

  it('keeps a target without a scope open to everyone and applies the scope rule otherwise', () => {
    expect(inTargetScope(compile(ldapTarget()), person({ employeeType: 'guest' }))).toBe(true);
    expect(inTargetScope(target, person({ employeeType: 'employee' }))).toBe(true);
    expect(inTargetScope(target, person({ employeeType: 'guest' }))).toBe(false);
  });

  it('gives every group without a scope, and those whose scope the person matches, in configuration order', () => {
    expect(wantedGroups(target, person())).toEqual(['CN=Everyone,DC=corp,DC=example,DC=com', 'CN=Engineering,DC=corp,DC=example,DC=com']);
    expect(wantedGroups(target, person({ department: 'Sales', jobTitle: 'Team Lead' }))).toEqual(['CN=Everyone,DC=corp,DC=example,DC=com', 'CN=Leads,DC=corp,DC=example,DC=com']);
    expect(wantedGroups(target, person({ department: 'Support', jobTitle: 'Lead' }))).toEqual(['CN=Everyone,DC=corp,DC=example,DC=com']);
  });

  it('gives no groups when none are configured', () => {
    expect(wantedGroups(compile(scimTarget()), person())).toEqual([]);
  });
});

describe('containerFor', () => {
  const ad = compile(adTarget());

  it.each([
    ['Engineering', 'OU=Engineering,DC=corp,DC=example,DC=com'],
    ['Sales', 'OU=Sales,DC=corp,DC=example,DC=com'],
    ['Marketing', 'OU=Staff,DC=corp,DC=example,DC=com'],
    [undefined, 'OU=Staff,DC=corp,DC=example,DC=com'],
  ])('places someone in department %j in %s', (department, container) => {
    expect(containerFor(ad, context(person({ department })))).toBe(container);
  });

  it('gives nothing for targets without a container expression', () => {
    expect(containerFor(compile(ldapTarget()), context())).toBeUndefined();
    expect(containerFor(compile(scimTarget()), context())).toBeUndefined();
  });

  it('gives nothing when the container expression asks to be ignored', () => {
    const target = compile(adTarget({ container: 'IgnoreFlowIfNullOrEmpty([location])' }));
    expect(containerFor(target, context())).toBeUndefined();
    expect(containerFor(target, context(person({ location: 'OU=Berlin,DC=corp,DC=example,DC=com' })))).toBe('OU=Berlin,DC=corp,DC=example,DC=com');
  });
});

describe('attributeChanges', () => {
  it('gives no change for equal values', () => {
    expect(attributeChanges({ cn: 'Ada Lovelace', mail: 'ada@example.com' }, { cn: 'Ada Lovelace', mail: 'ada@example.com' })).toEqual({});
    expect(attributeChanges({}, { title: undefined })).toEqual({});
  });

  it('gives a changed value', () => {
    expect(attributeChanges({ cn: 'Ada Lovelace', title: 'Engineer' }, { cn: 'Ada Lovelace', title: 'Principal Engineer' })).toEqual({ title: 'Principal Engineer' });
  });

  it('gives a value the target does not have yet', () => {
    expect(attributeChanges({}, { mail: 'ada@example.com' })).toEqual({ mail: 'ada@example.com' });
  });

  it('gives a removal as an undefined value', () => {
    const changes = attributeChanges({ title: 'Engineer', cn: 'Ada' }, { title: undefined, cn: 'Ada' });
    expect(Object.keys(changes)).toEqual(['title']);
    expect(changes.title).toBeUndefined();
  });

  it('leaves attributes that are not desired alone', () => {
    expect(attributeChanges({ description: 'set by hand', cn: 'Ada' }, { cn: 'Ada' })).toEqual({});
  });

  it('ignores the order of multiple values but not their members', () => {
    expect(attributeChanges({ ou: ['Research', 'Engineering'] }, { ou: ['Engineering', 'Research'] })).toEqual({});
    expect(attributeChanges({ ou: ['Research', 'Engineering'] }, { ou: ['Engineering', 'Sales'] })).toEqual({ ou: ['Engineering', 'Sales'] });
    expect(attributeChanges({ ou: ['Engineering'] }, { ou: ['Engineering', 'Research'] })).toEqual({ ou: ['Engineering', 'Research'] });
  });

  it('treats a single value and a list of that one value as equal', () => {
    expect(attributeChanges({ cn: ['Ada'] }, { cn: 'Ada' })).toEqual({});
  });

  it('compares case-sensitively unless asked not to', () => {
    const current = { mail: 'Ada.Lovelace@Example.com', ou: ['research', 'ENGINEERING'] };
    const desired = { mail: 'ada.lovelace@example.com', ou: ['Engineering', 'Research'] };
    expect(attributeChanges(current, desired)).toEqual(desired);
    expect(attributeChanges(current, desired, { caseInsensitive: true })).toEqual({});
    expect(attributeChanges(current, { mail: 'grace@example.com' }, { caseInsensitive: true })).toEqual({ mail: 'grace@example.com' });
  });
});
