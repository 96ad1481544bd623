import { describe, expect, it } from 'vitest';
import { ConfigError, environmentOverrides, loadConfig } from '../../domain/config';
import { defaultUsernamePolicy } from '../../domain/username';

const DAY = 24 * 3600_000;
const configPath = '/etc/tenure/tenure.yaml';

type Env = Record<string, string | undefined>;

/** Loads with a configuration file holding `yaml`, plus any environment variables. */
function loadWithFile(yaml: string, env: Env = {}) {
  const reads: string[] = [];
  const config = loadConfig(
    { TENURE_CONFIG_FILE: configPath, ...env },
    {
      readFile: (path) => {
        reads.push(path);
        return yaml;
      },
    },
  );
  return { config, reads };
}

function problemsOf(load: () => unknown): string[] {
  try {
    load();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig: defaults', () => {
  const config = loadConfig({});

  it('runs in production mode against local services', () => {
    expect(config.mode).toBe('production');
    expect(config.database).toEqual({ url: 'postgres://postgres@127.0.0.1:5432/tenure', connectTimeout: 'PT2S', connectTimeoutMs: 2000 });
    expect(config.temporal).toEqual({ address: '127.0.0.1:7233', namespace: 'default', taskQueue: 'tenure-lifecycle' });
    expect(config.api).toEqual({
      host: '127.0.0.1',
      port: 3000,
      maxBodyBytes: 4 * 1024 * 1024,
      relayIntervalMs: 1000,
      publicUrl: 'http://127.0.0.1:3000',
      requestTimeout: 'PT4S',
      requestTimeoutMs: 4000,
    });
    expect(config.hrWriteback).toEqual({});
  });

  it('has lifecycle defaults and derives the policies from them', () => {
    expect(config.lifecycle).toEqual({ prehireLead: 'P7D', leaverRetention: 'P30D', hireLocalTime: '06:00', leaveLocalTime: '18:00', defaultTimeZone: 'UTC' });
    expect(config.lifecyclePolicy).toEqual({ prehireLeadMs: 7 * DAY, leaverRetentionMs: 30 * DAY });
    expect(config.datePolicy).toEqual({ defaultTimeZone: 'UTC', hireLocalTime: '06:00', leaveLocalTime: '18:00' });
  });

  it('limits failed authentications per address and wrong passes per person', () => {
    expect(config.rateLimitPolicy).toEqual({ authFailures: 20, authWindowMs: 5 * 60_000, passFailures: 5, passWindowMs: 15 * 60_000 });
    expect(config.log).toEqual({ level: 'info' });
  });

  it('uses the default username policy', () => {
    expect(config.identity).toEqual({ emailDomain: 'example.com', usernamePatterns: defaultUsernamePolicy.patterns, usernameMaxLength: 32 });
    expect(config.usernamePolicy).toEqual(defaultUsernamePolicy);
  });

  it('derives the people and groups DNs from the base DN', () => {
    expect(config.ldap).toEqual({
      url: 'ldap://127.0.0.1:3389',
      bindDn: 'cn=admin,dc=tenure,dc=test',
      bindPassword: '',
      baseDn: 'dc=tenure,dc=test',
      peopleDn: 'ou=people,dc=tenure,dc=test',
      groupsDn: 'ou=groups,dc=tenure,dc=test',
    });
  });

  it('gives each load its own username patterns, never the shared default list', () => {
    const a = loadConfig({});
    a.usernamePolicy.patterns.push('{family}');
    expect(defaultUsernamePolicy.patterns).toHaveLength(3);
    expect(loadConfig({}).usernamePolicy.patterns).toHaveLength(3);
  });

  it('ignores empty environment variables', () => {
    expect(loadConfig({ TENURE_PREHIRE_LEAD: '', TENURE_API_PORT: '' })).toEqual(loadConfig({}));
  });
});

describe('loadConfig: environment', () => {
  it('reads lifecycle settings and derives the millisecond policy', () => {
    const config = loadConfig({ TENURE_PREHIRE_LEAD: 'P14D', TENURE_LEAVER_RETENTION: 'PT36H', TENURE_HIRE_LOCAL_TIME: '08:30', TENURE_LEAVE_LOCAL_TIME: '17:00', TENURE_DEFAULT_TIME_ZONE: 'Europe/Berlin' });
    expect(config.lifecyclePolicy).toEqual({ prehireLeadMs: 14 * DAY, leaverRetentionMs: 36 * 3600_000 });
    expect(config.datePolicy).toEqual({ defaultTimeZone: 'Europe/Berlin', hireLocalTime: '08:30', leaveLocalTime: '17:00' });
  });

  it('accepts weeks and zero durations', () => {
    expect(loadConfig({ TENURE_PREHIRE_LEAD: 'P2W', TENURE_LEAVER_RETENTION: 'PT0S' }).lifecyclePolicy).toEqual({ prehireLeadMs: 14 * DAY, leaverRetentionMs: 0 });
  });

  it('coerces numbers', () => {
    const config = loadConfig({ TENURE_API_PORT: '8080', TENURE_MAX_BODY_BYTES: '1024', TENURE_RELAY_INTERVAL_MS: '250', TENURE_USERNAME_MAX_LENGTH: '20' });
    expect(config.api).toMatchObject({ port: 8080, maxBodyBytes: 1024, relayIntervalMs: 250 });
    expect(config.usernamePolicy.maxLength).toBe(20);
  });

  it('reads TENURE_USERNAME_PATTERNS as a comma list, trimming and dropping empty items', () => {
    const config = loadConfig({ TENURE_USERNAME_PATTERNS: ' {given}.{family} , {g}{family},,{family}{n} ,' });
    expect(config.identity.usernamePatterns).toEqual(['{given}.{family}', '{g}{family}', '{family}{n}']);
    expect(config.usernamePolicy.patterns).toEqual(['{given}.{family}', '{g}{family}', '{family}{n}']);
  });

  it('reads the connection settings', () => {
    const config = loadConfig({
      TENURE_MODE: 'development',
      TENURE_DATABASE_URL: 'postgres://db/tenure',
      TEMPORAL_ADDRESS: 'temporal:7233',
      TEMPORAL_NAMESPACE: 'hr',
      TENURE_TASK_QUEUE: 'q',
      TENURE_LDAP_URL: 'ldaps://ldap.example.com',
      TENURE_LDAP_BASE_DN: 'dc=acme,dc=org',
      TENURE_HR_WRITEBACK_URL: 'https://hr.example.com/hook',
    });
    expect(config.mode).toBe('development');
    expect(config.database.url).toBe('postgres://db/tenure');
    expect(config.temporal).toEqual({ address: 'temporal:7233', namespace: 'hr', taskQueue: 'q' });
    expect(config.ldap).toMatchObject({ url: 'ldaps://ldap.example.com', baseDn: 'dc=acme,dc=org', peopleDn: 'ou=people,dc=acme,dc=org', groupsDn: 'ou=groups,dc=acme,dc=org' });
    expect(config.hrWriteback.url).toBe('https://hr.example.com/hook');
  });

  it('refuses custom extensions that are not JSON, naming the variable', () => {
    expect(() => loadConfig({ TENURE_CUSTOM_EXTENSIONS: '{nope' })).toThrow(/customExtensions \(TENURE_CUSTOM_EXTENSIONS\): not valid JSON/);
    expect(() => loadConfig({ TENURE_CUSTOM_EXTENSIONS: '{"x":{"url":"https://x","secret":"short"}}' })).toThrow(/customExtensions\.x\.secret/);
  });

  it('keeps explicit people and groups DNs', () => {
    const config = loadConfig({ TENURE_LDAP_BASE_DN: 'dc=acme,dc=org', TENURE_LDAP_PEOPLE_DN: 'ou=staff,dc=acme,dc=org', TENURE_LDAP_GROUPS_DN: 'ou=teams,dc=acme,dc=org' });
    expect(config.ldap).toMatchObject({ peopleDn: 'ou=staff,dc=acme,dc=org', groupsDn: 'ou=teams,dc=acme,dc=org' });
  });

  it('sweeps for drift every 12 hours unless told otherwise, and "off" turns it off', () => {
    expect(loadConfig({}).reconciliation.every).toBe('PT12H');
    expect(loadConfig({ TENURE_RECONCILE_EVERY: 'off' }).reconciliation.every).toBe('off');
    expect(() => loadConfig({ TENURE_RECONCILE_EVERY: 'hourly' })).toThrow(/reconciliation\.every/);
  });

  it('rolls package changes out at 50 people per second unless told otherwise', () => {
    expect(loadConfig({}).access).toEqual({ rolloutPerSecond: 50, expiryReminders: ['P14D', 'P1D'] });
    expect(() => loadConfig({ TENURE_ACCESS_ROLLOUT_PER_SECOND: '0' })).toThrow(/access\.rolloutPerSecond \(TENURE_ACCESS_ROLLOUT_PER_SECOND\)/);
  });

  it('keeps a blocked guest for 30 days and mails codes that work for 10 minutes unless told otherwise', () => {
    expect(loadConfig({}).guestPolicy).toMatchObject({ deleteAfterMs: 30 * 86_400_000, codeLifetimeMs: 600_000, codeAttempts: 5, ticketLifetimeMs: 3_600_000 });
    expect(loadConfig({ TENURE_GUESTS_DELETE_AFTER: 'PT0S' }).guestPolicy.deleteAfterMs).toBe(0);
    expect(() => loadConfig({ TENURE_GUESTS_DELETE_AFTER: 'soon' })).toThrow(/guests\.deleteAfter \(TENURE_GUESTS_DELETE_AFTER\)/);
  });

  it('puts every documented variable at its setting', () => {
    const samples: Record<keyof typeof environmentOverrides, [string, unknown]> = {
      TENURE_MODE: ['development', 'development'],
      TENURE_DATABASE_URL: ['postgres://db/tenure', 'postgres://db/tenure'],
      TENURE_DATABASE_CONNECT_TIMEOUT: ['PT5S', 'PT5S'],
      TEMPORAL_ADDRESS: ['temporal:7233', 'temporal:7233'],
      TEMPORAL_NAMESPACE: ['hr', 'hr'],
      TENURE_TASK_QUEUE: ['q', 'q'],
      TENURE_WORKFLOW_CACHE_SIZE: ['500', 500],
      TENURE_API_HOST: ['0.0.0.0', '0.0.0.0'],
      TENURE_API_PORT: ['8080', 8080],
      TENURE_MAX_BODY_BYTES: ['1024', 1024],
      TENURE_RELAY_INTERVAL_MS: ['250', 250],
      TENURE_PUBLIC_URL: ['https://tenure.acme.org', 'https://tenure.acme.org'],
      TENURE_REQUEST_TIMEOUT: ['PT10S', 'PT10S'],
      TENURE_PREHIRE_LEAD: ['P3D', 'P3D'],
      TENURE_LEAVER_RETENTION: ['P90D', 'P90D'],
      TENURE_HIRE_LOCAL_TIME: ['08:30', '08:30'],
      TENURE_LEAVE_LOCAL_TIME: ['17:00', '17:00'],
      TENURE_DEFAULT_TIME_ZONE: ['Europe/Berlin', 'Europe/Berlin'],
      TENURE_EMAIL_DOMAIN: ['acme.org', 'acme.org'],
      TENURE_DEFAULT_DOMAIN: ['corp.acme.org', 'corp.acme.org'],
      TENURE_USERNAME_PATTERNS: ['{g}{family}', ['{g}{family}']],
      TENURE_USERNAME_MAX_LENGTH: ['20', 20],
      TENURE_LDAP_URL: ['ldaps://ldap.acme.org', 'ldaps://ldap.acme.org'],
      TENURE_LDAP_BIND_DN: ['cn=tenure,dc=acme,dc=org', 'cn=tenure,dc=acme,dc=org'],
      TENURE_LDAP_BIND_PASSWORD: ['s3cret', 's3cret'],
      TENURE_LDAP_BASE_DN: ['dc=acme,dc=org', 'dc=acme,dc=org'],
      TENURE_LDAP_PEOPLE_DN: ['ou=staff,dc=acme,dc=org', 'ou=staff,dc=acme,dc=org'],
      TENURE_LDAP_GROUPS_DN: ['ou=teams,dc=acme,dc=org', 'ou=teams,dc=acme,dc=org'],
      TENURE_RECONCILE_EVERY: ['PT4H', 'PT4H'],
      TENURE_ACCESS_EXPIRY_REMINDERS: ['P7D, PT1H', ['P7D', 'PT1H']],
      TENURE_HR_WRITEBACK_URL: ['https://hr.acme.org/hook', 'https://hr.acme.org/hook'],
      TENURE_HR_WRITEBACK_SECRET: ['hook-secret', 'hook-secret'],
      TENURE_LIFECYCLE_WORKFLOWS_DIR: ['/etc/tenure/workflows', '/etc/tenure/workflows'],
      TENURE_ACCESS_CATALOGS_DIR: ['/etc/tenure/catalogs', '/etc/tenure/catalogs'],
      TENURE_ACCESS_REVIEWS_DIR: ['/etc/tenure/reviews', '/etc/tenure/reviews'],
      TENURE_ACCESS_ROLLOUT_PER_SECOND: ['20', 20],
      TENURE_SMTP_URL: ['smtps://mail.acme.org:465', 'smtps://mail.acme.org:465'],
      TENURE_MAIL_FROM: ['Acme IT <it@acme.org>', 'Acme IT <it@acme.org>'],
      TENURE_ORGANIZATION_NAME: ['Acme', 'Acme'],
      TENURE_MAIL_LOCALE: ['de-DE', 'de-DE'],
      TENURE_CUSTOM_EXTENSIONS: [
        '{"itsm":{"url":"https://itsm.acme.org/hook","secret":"0123456789abcdef"}}',
        { itsm: { url: 'https://itsm.acme.org/hook', secret: '0123456789abcdef' } },
      ],
      TENURE_AUTH_FAILURE_LIMIT: ['50', 50],
      TENURE_AUTH_FAILURE_WINDOW: ['PT10M', 'PT10M'],
      TENURE_PASS_FAILURE_LIMIT: ['3', 3],
      TENURE_PASS_FAILURE_WINDOW: ['PT1H', 'PT1H'],
      TENURE_LOG_LEVEL: ['warn', 'warn'],
      TENURE_GUEST_ORGANISATIONS_FILE: ['/etc/tenure/organisations.yaml', '/etc/tenure/organisations.yaml'],
      TENURE_GUESTS_DELETE_AFTER: ['PT0S', 'PT0S'],
      TENURE_GUEST_CODE_LIFETIME: ['PT5M', 'PT5M'],
      TENURE_GUEST_CODE_ATTEMPTS: ['3', 3],
      TENURE_GUEST_TICKET_LIFETIME: ['PT30M', 'PT30M'],
      TENURE_GUEST_CODES_PER_ADDRESS: ['4', 4],
      TENURE_GUEST_CODES_PER_CLIENT: ['40', 40],
      TENURE_GUEST_CODE_WINDOW: ['PT30M', 'PT30M'],
      TENURE_PORTAL_ISSUER: ['https://idp.acme.org', 'https://idp.acme.org'],
      TENURE_PORTAL_CLIENT_ID: ['tenure', 'tenure'],
      TENURE_PORTAL_CLIENT_SECRET: ['client-secret', 'client-secret'],
      TENURE_PORTAL_REDIRECT_URL: ['https://tenure.acme.org/portal/callback', 'https://tenure.acme.org/portal/callback'],
      TENURE_PORTAL_MATCH_CLAIM: ['employee_id', 'employee_id'],
      TENURE_PORTAL_OPERATORS: ['E1, E2', ['E1', 'E2']],
      TENURE_PORTAL_ADMINISTRATORS: ['E3', ['E3']],
      TENURE_TEMPORAL_UI_URL: ['https://temporal.acme.org', 'https://temporal.acme.org'],
    };
    const env = Object.fromEntries(Object.entries(samples).map(([variable, [value]]) => [variable, value]));
    const config = loadConfig(env);
    for (const [variable, [, expected]] of Object.entries(samples)) {
      const path = environmentOverrides[variable as keyof typeof environmentOverrides];
      expect(config, variable).toHaveProperty(path.split('.'), expected);
    }
  });
});

describe('loadConfig: portal', () => {
  it('turns sign-in on with an issuer, a client id and a secret; the callback defaults to the public URL', () => {
    expect(loadConfig({}).portal.oidc).toBeUndefined();
    const config = loadConfig({ TENURE_PUBLIC_URL: 'https://tenure.acme.org/', TENURE_PORTAL_ISSUER: 'https://idp.acme.org', TENURE_PORTAL_CLIENT_ID: 'tenure', TENURE_PORTAL_CLIENT_SECRET: 's' });
    expect(config.portal.oidc).toEqual({ issuer: 'https://idp.acme.org', clientId: 'tenure', clientSecret: 's', redirectUrl: 'https://tenure.acme.org/portal/callback' });
    expect(config.portal).toMatchObject({ matchClaim: 'email', groupsClaim: 'groups', sessionLifetimeMs: 8 * 3600_000, idleTimeoutMs: 30 * 60_000 });
  });

  it('refuses an issuer without client credentials, naming the variables', () => {
    expect(() => loadConfig({ TENURE_PORTAL_ISSUER: 'https://idp.acme.org' })).toThrow(/TENURE_PORTAL_CLIENT_ID/);
    expect(() => loadConfig({ TENURE_PORTAL_MATCH_CLAIM: 'phone' })).toThrow(/portal\.matchClaim \(TENURE_PORTAL_MATCH_CLAIM\)/);
  });
});

describe('loadConfig: file', () => {
  it('reads the file named by TENURE_CONFIG_FILE', () => {
    const { config, reads } = loadWithFile('lifecycle:\n  prehireLead: P3D\n  defaultTimeZone: Europe/Berlin\n');
    expect(reads).toEqual([configPath]);
    expect(config.lifecyclePolicy.prehireLeadMs).toBe(3 * DAY);
    expect(config.datePolicy.defaultTimeZone).toBe('Europe/Berlin');
    expect(config.lifecyclePolicy.leaverRetentionMs).toBe(30 * DAY);
  });

  it('reads an unquoted local time as text, not sexagesimal', () => {
    expect(loadWithFile('lifecycle:\n  hireLocalTime: 07:30\n').config.datePolicy.hireLocalTime).toBe('07:30');
  });

  it('lets environment variables win over file values', () => {
    const yaml = ['lifecycle:', '  prehireLead: P14D', '  leaverRetention: P60D', 'api:', '  port: 4000', 'identity:', '  usernamePatterns: ["{family}.{given}"]'].join('\n');
    const { config } = loadWithFile(yaml, { TENURE_PREHIRE_LEAD: 'P1D', TENURE_API_PORT: '5000', TENURE_USERNAME_PATTERNS: '{g}{family}' });
    expect(config.lifecyclePolicy).toEqual({ prehireLeadMs: DAY, leaverRetentionMs: 60 * DAY });
    expect(config.api.port).toBe(5000);
    expect(config.identity.usernamePatterns).toEqual(['{g}{family}']);
  });

  it('treats an empty file as no settings', () => {
    expect(loadWithFile('').config).toEqual(loadConfig({}));
  });

  it('refuses unknown keys in a section, naming the section and the key', () => {
    const problems = problemsOf(() => loadWithFile('lifecycle:\n  prehireLeed: P7D\n'));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^lifecycle\b/);
    expect(problems[0]).toContain('prehireLeed');
  });

  it('refuses unknown top-level keys, naming the key', () => {
    const problems = problemsOf(() => loadWithFile('modee: development\n'));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('modee');
  });

  it('names the environment variable even when the bad value came from the file', () => {
    expect(problemsOf(() => loadWithFile('lifecycle:\n  prehireLead: P1M\n'))).toEqual([expect.stringMatching(/^lifecycle\.prehireLead \(TENURE_PREHIRE_LEAD\): /)]);
  });

  it('merges a variable into a file section without losing the section\'s other settings', () => {
    const { config } = loadWithFile('api:\n  port: 4000\n', { TENURE_API_HOST: '0.0.0.0' });
    expect(config.api).toMatchObject({ host: '0.0.0.0', port: 4000 });
  });

  it.each([
    ['a list', '- a\n- b\n'],
    ['a scalar', 'just text\n'],
  ])('refuses a file holding %s', (_, yaml) => {
    expect(problemsOf(() => loadWithFile(yaml))).toEqual(['the configuration file must hold a mapping of settings']);
  });

  it('refuses a file that is not YAML', () => {
    expect(problemsOf(() => loadWithFile('api: [\n'))).toEqual([expect.stringMatching(/^TENURE_CONFIG_FILE: \/etc\/tenure\/tenure\.yaml is not valid YAML: /)]);
  });

  it('reports a file it cannot read', () => {
    const load = () =>
      loadConfig(
        { TENURE_CONFIG_FILE: configPath },
        {
          readFile: () => {
            throw new Error('ENOENT: no such file');
          },
        },
      );
    expect(problemsOf(load)).toEqual([`TENURE_CONFIG_FILE: cannot read ${configPath}: ENOENT: no such file`]);
  });

  it('reports an entry point that cannot read files', () => {
    expect(problemsOf(() => loadConfig({ TENURE_CONFIG_FILE: configPath }))).toEqual(['TENURE_CONFIG_FILE is set but this entry point cannot read files']);
  });
});

describe('loadConfig: errors', () => {
  it('refuses months, naming the setting and the variable', () => {
    const problems = problemsOf(() => loadConfig({ TENURE_PREHIRE_LEAD: 'P1M' }));
    expect(problems).toEqual([expect.stringMatching(/^lifecycle\.prehireLead \(TENURE_PREHIRE_LEAD\): .*years or months/)]);
  });

  it.each([
    ['TENURE_LEAVER_RETENTION', 'P1Y', 'lifecycle.leaverRetention'],
    ['TENURE_LEAVER_RETENTION', '-P1D', 'lifecycle.leaverRetention'],
    ['TENURE_PREHIRE_LEAD', 'a week', 'lifecycle.prehireLead'],
    ['TENURE_HIRE_LOCAL_TIME', '6am', 'lifecycle.hireLocalTime'],
    ['TENURE_LEAVE_LOCAL_TIME', '24:00', 'lifecycle.leaveLocalTime'],
    ['TENURE_DEFAULT_TIME_ZONE', 'Mars/Olympus', 'lifecycle.defaultTimeZone'],
    ['TENURE_MODE', 'staging', 'mode'],
    ['TENURE_API_PORT', 'abc', 'api.port'],
    ['TENURE_API_PORT', '70000', 'api.port'],
    ['TENURE_MAX_BODY_BYTES', '0', 'api.maxBodyBytes'],
    ['TENURE_EMAIL_DOMAIN', 'localhost', 'identity.emailDomain'],
    ['TENURE_USERNAME_MAX_LENGTH', '2', 'identity.usernameMaxLength'],
    ['TENURE_USERNAME_PATTERNS', ' , ', 'identity.usernamePatterns'],
    ['TENURE_LDAP_URL', 'http://ldap', 'ldap.url'],
    ['TENURE_HR_WRITEBACK_URL', 'not a url', 'hrWriteback.url'],
  ])('%s=%j is refused as %s', (variable, value, path) => {
    const problems = problemsOf(() => loadConfig({ [variable]: value }));
    expect(problems).toHaveLength(1);
    expect(problems[0]!.startsWith(`${path} (${variable}): `)).toBe(true);
  });

  it('names the variable for a bad item in TENURE_USERNAME_PATTERNS', () => {
    const problems = problemsOf(() => loadConfig({ TENURE_USERNAME_PATTERNS: '{given}.{family},{nope}' }));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('identity.usernamePatterns');
    expect(problems[0]).toContain('(TENURE_USERNAME_PATTERNS)');
    expect(problems[0]).toContain('unknown token in "{nope}"');
  });

  it('reports every problem at once', () => {
    const problems = problemsOf(() => loadConfig({ TENURE_PREHIRE_LEAD: 'P1M', TENURE_API_PORT: 'abc', TENURE_DEFAULT_TIME_ZONE: 'Nowhere' }));
    expect(problems.map((p) => p.split(' ')[0]).sort()).toEqual(['api.port', 'lifecycle.defaultTimeZone', 'lifecycle.prehireLead']);
  });

  it('puts every problem into the error message', () => {
    try {
      loadConfig({ TENURE_PREHIRE_LEAD: 'P1M', TENURE_API_PORT: 'abc' });
      throw new Error('expected a ConfigError');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).name).toBe('ConfigError');
      expect((error as ConfigError).message).toMatch(/^invalid configuration:\n {2}- /);
      expect((error as ConfigError).message).toContain('TENURE_PREHIRE_LEAD');
      expect((error as ConfigError).message).toContain('TENURE_API_PORT');
    }
  });
});
