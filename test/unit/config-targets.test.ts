import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../domain/config';
import { desiredAttributes } from '../../domain/targets';

const configPath = '/etc/tenure/tenure.yaml';

type Env = Record<string, string | undefined>;

/** Loads with a configuration file holding `yaml`, plus any environment variables. */
const loadWithFile = (yaml: string, env: Env = {}) => loadConfig({ TENURE_CONFIG_FILE: configPath, ...env }, { readFile: () => yaml });

function configError(load: () => unknown): ConfigError {
  try {
    load();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

const allTargetsYaml = `
targets:
  - name: ldap
    type: ldap
    url: ldaps://ldap.example.com
    bindDn: cn=tenure,ou=services,dc=example,dc=com
    bindPassword: \${LDAP_PASSWORD}
    baseDn: dc=example,dc=com
    peopleDn: ou=people,dc=example,dc=com
    scope: employeeType ne 'guest'
    mappings:
      - { target: uid, source: username, apply: create }
      - { target: givenName, expression: 'Coalesce([preferredName], [givenName])' }
  - name: ad
    type: active-directory
    url: ldaps://dc1.corp.example.com
    bindDn: CN=svc-tenure,DC=corp,DC=example,DC=com
    bindPassword: \${AD_PASSWORD}
    baseDn: DC=corp,DC=example,DC=com
    container: 'Switch([department], "OU=Staff,DC=corp,DC=example,DC=com", "Sales", "OU=Sales,DC=corp,DC=example,DC=com")'
    deprovision: disable
    mappings:
      - target: sAMAccountName
        apply: create
        expression: 'SelectUniqueValue(Left([username], 20), Join("", Left([givenName], 1), [familyName]))'
      - { target: department, source: department, default: Unassigned }
  - name: crm
    type: scim
    baseUrl: https://crm.example.net/scim/v2
    auth: { type: bearer, token: "\${CRM_SCIM_TOKEN}" }
    mappings:
      - { target: userName, source: workEmail }
      - { target: 'emails[type eq "work"].value', source: workEmail }
  - name: payroll
    type: sql
    dialect: postgres
    url: postgres://tenure:\${PAYROLL_DB_PASSWORD}@payroll-db.example.com:5432/payroll
    table: employees
    keyColumn: employee_id
    mappings:
      - { target: login, source: username }
      - { target: cost_center, expression: 'Switch([department], "CC-000", "Sales", "CC-200")' }
`;

const secrets: Env = { LDAP_PASSWORD: 'ldap-secret', AD_PASSWORD: 'ad-secret', CRM_SCIM_TOKEN: 'crm-token', PAYROLL_DB_PASSWORD: 'pay$&roll' };

describe('loadConfig: the default target', () => {
  it('is one OpenLDAP target named "ldap" when no targets are configured', () => {
    const { targets } = loadConfig({});
    expect(targets).toHaveLength(1);
    expect(targets[0]!.config).toMatchObject({
      type: 'ldap',
      name: 'ldap',
      url: 'ldap://127.0.0.1:3389',
      baseDn: 'dc=tenure,dc=test',
      peopleDn: 'ou=people,dc=tenure,dc=test',
      rdnAttribute: 'uid',
      anchorAttribute: 'employeeNumber',
      deprovision: 'delete',
    });
  });

  it('maps uid from the username on creation only, and the manager from the manager', () => {
    const [target] = loadConfig({}).targets;
    const mappings = target!.mappings;
    expect(mappings.find((m) => m.target === 'uid')).toMatchObject({ source: 'username', apply: 'create' });
    expect(mappings.find((m) => m.target === 'manager')).toMatchObject({ source: 'manager', apply: 'always' });
    expect(mappings.find((m) => m.target === 'mail')).toMatchObject({ source: 'workEmail', apply: 'always' });
    expect(mappings.find((m) => m.target === 'givenName')!.parsed).toMatchObject({ kind: 'call', name: 'Coalesce' });
  });

  it('gives a person the inetOrgPerson attributes', () => {
    const [target] = loadConfig({}).targets;
    const attributes = { username: 'ada.lovelace', displayName: 'Ada Lovelace', givenName: 'Ada', preferredName: 'Addy', familyName: 'Lovelace', workEmail: 'ada@example.com', manager: 'uid=charles,ou=people,dc=tenure,dc=test' };
    const context = { attributes, now: new Date('2024-03-01T09:00:00Z'), random: () => 0.5 };
    expect(desiredAttributes(target!, context, { forCreate: true }).values).toMatchObject({
      uid: 'ada.lovelace',
      cn: 'Ada Lovelace',
      sn: 'Lovelace',
      givenName: 'Addy',
      mail: 'ada@example.com',
      manager: 'uid=charles,ou=people,dc=tenure,dc=test',
    });
    expect(desiredAttributes(target!, context, { forCreate: false }).values).not.toHaveProperty('uid');
  });

  it('follows the ldap settings', () => {
    const [target] = loadConfig({ TENURE_LDAP_URL: 'ldaps://ldap.acme.org', TENURE_LDAP_BIND_PASSWORD: 's3cret', TENURE_LDAP_BASE_DN: 'dc=acme,dc=org', TENURE_LDAP_PEOPLE_DN: 'ou=staff,dc=acme,dc=org' }).targets;
    expect(target!.config).toMatchObject({ url: 'ldaps://ldap.acme.org', bindPassword: 's3cret', baseDn: 'dc=acme,dc=org', peopleDn: 'ou=staff,dc=acme,dc=org' });
  });
});

describe('loadConfig: targets from the file', () => {
  it('compiles targets of all four types, in order, with schema defaults', () => {
    const { targets } = loadWithFile(allTargetsYaml, secrets);
    expect(targets.map((t) => [t.config.name, t.config.type])).toEqual([
      ['ldap', 'ldap'],
      ['ad', 'active-directory'],
      ['crm', 'scim'],
      ['payroll', 'sql'],
    ]);
    expect(targets[0]!.config).toMatchObject({ deprovision: 'delete', breaker: { openAfter: 'PT10S', minFailures: 3, firstProbe: 'PT10S', maxProbeInterval: 'PT2M', quarantineRetry: 'PT1H', drainPerSecond: 25 }, rdnAttribute: 'uid', scope: "employeeType ne 'guest'" });
    expect(targets[1]!.config).toMatchObject({ deprovision: 'disable', anchorAttribute: 'employeeID' });
    expect(targets[1]!.container).toMatchObject({ kind: 'call', name: 'Switch' });
    expect(targets[1]!.mappings[0]!.parsed).toMatchObject({ kind: 'call', name: 'SelectUniqueValue' });
    expect(targets[3]!.mappings[1]!.parsed).toMatchObject({ kind: 'call', name: 'Switch' });
  });

  it('replaces ${NAME} with the environment value, literally and inside longer values', () => {
    const [ldap, ad, crm, payroll] = loadWithFile(allTargetsYaml, secrets).targets;
    expect(ldap!.config).toMatchObject({ bindPassword: 'ldap-secret' });
    expect(ad!.config).toMatchObject({ bindPassword: 'ad-secret' });
    expect(crm!.config).toMatchObject({ auth: { type: 'bearer', token: 'crm-token' } });
    expect(payroll!.config).toMatchObject({ url: 'postgres://tenure:pay$&roll@payroll-db.example.com:5432/payroll' });
  });

  it('does not add the default target when targets are configured', () => {
    const names = loadWithFile(allTargetsYaml, secrets).targets.map((t) => t.config.name);
    expect(names.filter((n) => n === 'ldap')).toHaveLength(1);
    expect(names).toHaveLength(4);
  });

  it('loads the example configuration shipped in examples/', () => {
    const yaml = readFileSync(new URL('../../examples/tenure.yaml', import.meta.url), 'utf8');
    const env = { ...secrets, TENURE_DATABASE_URL: 'postgres://db/tenure', PORTAL_CLIENT_SECRET: 'portal-secret' };
    expect(loadWithFile(yaml, env).targets.map((t) => t.config.type)).toEqual(['ldap', 'active-directory', 'scim', 'sql']);
  });
});

describe('loadConfig: target errors', () => {
  it('names the path and the variable of a missing environment variable', () => {
    const { problems } = configError(() => loadWithFile(allTargetsYaml, { ...secrets, AD_PASSWORD: undefined }));
    expect(problems).toEqual(['targets.1.bindPassword: the environment variable AD_PASSWORD is not set']);
  });

  it('reports every missing variable at once', () => {
    const { problems } = configError(() => loadWithFile(allTargetsYaml, { LDAP_PASSWORD: 'x', AD_PASSWORD: 'y' }));
    expect(problems).toEqual([
      'targets.2.auth.token: the environment variable CRM_SCIM_TOKEN is not set',
      'targets.3.url: the environment variable PAYROLL_DB_PASSWORD is not set',
    ]);
  });

  it('names the target, the mapping and the position of a bad expression', () => {
    const yaml = `
targets:
  - name: crm
    type: scim
    baseUrl: https://crm.example.net/scim/v2
    auth: { type: bearer, token: t }
    mappings:
      - { target: userName, source: workEmail }
      - { target: nickName, expression: 'Left([username], 20' }
`;
    const error = configError(() => loadWithFile(yaml));
    expect(error.problems).toEqual([expect.stringMatching(/^targets\.0 \(crm\)\.mappings\.1 \(nickName\)\.expression: .*at position 20$/)]);
    expect(error.message).toContain('targets.0 (crm).mappings.1 (nickName).expression');
    expect(error.message).toContain('at position 20');
  });

  it('refuses a target the schema does not accept, naming the setting', () => {
    const yaml = `
targets:
  - name: crm
    type: scim
    baseUrl: not a url
    auth: { type: bearer, token: t }
    mappings:
      - { target: userName, source: workEmail, constant: x }
`;
    const { problems } = configError(() => loadWithFile(yaml));
    expect(problems).toEqual(expect.arrayContaining([expect.stringMatching(/^targets\.0\.baseUrl: /), expect.stringMatching(/^targets\.0\.mappings\.0: .*exactly one of source, constant or expression/)]));
  });
});

describe('loadConfig: DefaultDomain()', () => {
  const yaml = `
targets:
  - name: crm
    type: scim
    baseUrl: https://crm.example.net/scim/v2
    auth: { type: bearer, token: t }
    mappings:
      - { target: userName, expression: 'Join("@", [username], DefaultDomain())' }
      - { target: nickName, expression: 'Left(IIF(IsPresent([username]), DefaultDomain(), "x"), 20)' }
`;

  it('refuses an expression that uses it when no default domain is configured, naming the setting and the mapping', () => {
    const { problems } = configError(() => loadWithFile(yaml));
    expect(problems).toEqual([
      'targets.0 (crm).mappings.0 (userName).expression: DefaultDomain() needs identity.defaultDomain (TENURE_DEFAULT_DOMAIN), which is not set',
      'targets.0 (crm).mappings.1 (nickName).expression: DefaultDomain() needs identity.defaultDomain (TENURE_DEFAULT_DOMAIN), which is not set',
    ]);
  });

  it('gives the configured domain to every expression of every target', () => {
    const [target] = loadWithFile(yaml, { TENURE_DEFAULT_DOMAIN: 'corp.example.com' }).targets;
    const context = { attributes: { username: 'ada.lovelace' }, now: new Date('2024-03-01T09:00:00Z'), random: () => 0.5 };
    expect(desiredAttributes(target!, context, { forCreate: true }).values).toEqual({ userName: 'ada.lovelace@corp.example.com', nickName: 'corp.example.com' });
  });

  it('refuses a default domain that is not a domain name', () => {
    expect(configError(() => loadConfig({ TENURE_DEFAULT_DOMAIN: 'not a domain' })).problems).toEqual([
      'identity.defaultDomain (TENURE_DEFAULT_DOMAIN): expected a domain name like example.com',
    ]);
  });
});
