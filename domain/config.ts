import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import type { LifecyclePolicy } from './lifecycle';
import { durationSchema } from './lifecycle-workflows';
import { compileTargets, targetSchema, type CompiledTarget, type TargetConfig } from './targets';
import { isLocalTime, isValidTimeZone, parseExactDuration } from './time';
import { defaultUsernamePolicy, validatePattern, type UsernamePolicy } from './username';
import type { DatePolicy } from './worker-record';

// Configuration: an optional YAML file, then environment overrides, validated once at each
// entry point. Errors name the setting and the variable that sets it.

const duration = durationSchema;
const domainName = z.string().regex(/^[a-z0-9-]+(\.[a-z0-9-]+)+$/i, { error: 'expected a domain name like example.com' });

const configSchema = z.strictObject({
  mode: z.enum(['development', 'production']).default('production'),
  database: z
    .strictObject({
      url: z.string().min(1).default('postgres://postgres@127.0.0.1:5432/tenure'),
      /** How long opening a connection may take before the request that needed it is answered 503. */
      connectTimeout: duration.default('PT2S'),
    })
    .prefault({}),
  temporal: z
    .strictObject({
      address: z.string().min(1).default('127.0.0.1:7233'),
      namespace: z.string().min(1).default('default'),
      taskQueue: z.string().min(1).default('tenure-lifecycle'),
      /** Person workflows a worker keeps in memory between their tasks (each a few MB); by default the SDK's, from the heap size. */
      workflowCacheSize: z.coerce.number().int().min(0).optional(),
    })
    .prefault({}),
  api: z
    .strictObject({
      host: z.string().default('127.0.0.1'),
      port: z.coerce.number().int().min(0).max(65535).default(3000),
      maxBodyBytes: z.coerce.number().int().positive().default(4 * 1024 * 1024),
      relayIntervalMs: z.coerce.number().int().positive().default(1000),
      /** A request still waiting on the database or Temporal after this long is answered 503 with Retry-After. */
      requestTimeout: duration.default('PT4S'),
      /** Where outside systems reach this API (callbacks of custom extensions); default http://host:port. */
      publicUrl: z.url().optional(),
    })
    .prefault({}),
  lifecycle: z
    .strictObject({
      prehireLead: duration.default('P7D'),
      leaverRetention: duration.default('P30D'),
      hireLocalTime: z.string().refine(isLocalTime, { error: 'expected HH:mm' }).default('06:00'),
      leaveLocalTime: z.string().refine(isLocalTime, { error: 'expected HH:mm' }).default('18:00'),
      defaultTimeZone: z.string().refine(isValidTimeZone, { error: 'expected an IANA time zone' }).default('UTC'),
      /** YAML lifecycle workflow definitions loaded (and versioned) when the API starts. */
      workflowsDir: z.string().optional(),
    })
    .prefault({}),
  identity: z
    .strictObject({
      emailDomain: domainName.default('example.com'),
      /** What DefaultDomain() gives in target expressions; none unless set. */
      defaultDomain: domainName.optional(),
      usernamePatterns: z
        .array(z.string().superRefine((p, ctx) => {
          const problem = validatePattern(p);
          if (problem) ctx.addIssue({ code: 'custom', message: problem });
        }))
        .min(1)
        .default(defaultUsernamePolicy.patterns),
      usernameMaxLength: z.coerce.number().int().min(3).max(256).default(defaultUsernamePolicy.maxLength),
    })
    .prefault({}),
  ldap: z
    .strictObject({
      url: z.string().regex(/^ldaps?:\/\//, { error: 'expected ldap:// or ldaps://' }).default('ldap://127.0.0.1:3389'),
      bindDn: z.string().min(1).default('cn=admin,dc=tenure,dc=test'),
      bindPassword: z.string().default(''),
      baseDn: z.string().min(1).default('dc=tenure,dc=test'),
      peopleDn: z.string().optional(),
      groupsDn: z.string().optional(),
    })
    .prefault({}),
  hrWriteback: z
    .strictObject({
      url: z.url().optional(),
      secret: z.string().optional(),
    })
    .prefault({}),
  mail: z
    .strictObject({
      smtpUrl: z.string().regex(/^smtps?:\/\//, { error: 'expected smtp:// or smtps://' }).default('smtp://127.0.0.1:2525'),
      from: z.string().min(3).default('Tenure <tenure@example.com>'),
      organizationName: z.string().min(1).default('Example Corp'),
      defaultLocale: z.string().min(2).default('en-GB'),
    })
    .prefault({}),
  access: z
    .strictObject({
      /** YAML catalog files (a catalog and its access packages each) loaded (and versioned) when the API starts. */
      catalogsDir: z.string().optional(),
      /** YAML access review definitions (one review each) loaded (and versioned, their schedules set) when the API starts. */
      reviewsDir: z.string().optional(),
      /** How many people per second a rollout of a changed package asks to plan their access again, so live changes keep their share. */
      rolloutPerSecond: z.coerce.number().int().min(1).max(10_000).default(50),
      /** How long before an assignment ends the person and their manager are reminded (and `expiring` extensions called). */
      expiryReminders: z.array(duration).max(5).default(['P14D', 'P1D']),
    })
    .prefault({}),
  guests: z
    .strictObject({
      /** A YAML file of connected organisations (`organisations: [...]`) loaded when the API starts. */
      organisationsFile: z.string().optional(),
      /** How long a guest whose last assignment ended stays (blocked) before their identity is deleted; PT0S deletes at once. */
      deleteAfter: duration.default('P30D'),
      /** How long a mailed sign-in code works. */
      codeLifetime: duration.default('PT10M'),
      /** Wrong tries before a code is locked. */
      codeAttempts: z.coerce.number().int().min(1).max(20).default(5),
      /** How long the ticket a code buys works for the guest routes. */
      ticketLifetime: duration.default('PT1H'),
      /** Codes one address may ask for per window, and one client address (for any addresses). */
      codesPerAddress: z.coerce.number().int().min(1).default(5),
      codesPerClient: z.coerce.number().int().min(1).default(30),
      codeWindow: duration.default('PT15M'),
    })
    .prefault({}),
  reconciliation: z
    .strictObject({
      /**
       * How often every account is compared with its desired state and drift put right (an entry
       * unlocked by a password reset, an attribute edited by hand); "off" never sweeps.
       */
      every: z.union([z.literal('off'), duration]).default('PT12H'),
    })
    .prefault({}),
  rateLimits: z
    .strictObject({
      /** Failed authentications (bad API keys, bad callback signatures) one client address may make per window. */
      authFailures: z.coerce.number().int().min(1).default(20),
      authWindow: duration.default('PT5M'),
      /** Wrong temporary access passes per person per window; then the person's passes are locked. */
      passFailures: z.coerce.number().int().min(1).default(5),
      passWindow: duration.default('PT15M'),
    })
    .prefault({}),
  /** The people's portal: sign-in through the organisation's OpenID Connect provider. Off while no issuer is set. */
  portal: z
    .strictObject({
      issuer: z.url().optional(),
      clientId: z.string().min(1).optional(),
      clientSecret: z.string().min(1).optional(),
      /** Where the provider sends people back; default <api.publicUrl>/portal/callback. */
      redirectUrl: z.url().optional(),
      /** How a signed-in person is matched to an identity: the `email` claim against the work email, or the `employee_id` claim. */
      matchClaim: z.enum(['email', 'employee_id']).default('email'),
      /** The claim listing the person's groups at the provider. */
      groupsClaim: z.string().min(1).default('groups'),
      operatorGroups: z.array(z.string().min(1)).default([]),
      administratorGroups: z.array(z.string().min(1)).default([]),
      /** Employee ids who are operators (read every identity) or administrators, whatever their groups. */
      operators: z.array(z.string().min(1)).default([]),
      administrators: z.array(z.string().min(1)).default([]),
      sessionLifetime: duration.default('PT8H'),
      idleTimeout: duration.default('PT30M'),
      /** Temporal UI, for links from the person timeline; none unless set. */
      temporalUiUrl: z.url().optional(),
    })
    .prefault({}),
  log: z.strictObject({ level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info') }).prefault({}),
  /** Provisioning targets; without any, the `ldap` settings make the one OpenLDAP target. */
  targets: z.array(targetSchema).optional(),
  /** Endpoints lifecycle tasks may call, each with the secret that signs the calls both ways. */
  customExtensions: z.record(z.string().regex(/^[a-z0-9][a-z0-9-]*$/), z.strictObject({ url: z.url(), secret: z.string().min(16) })).default({}),
});

type RawConfig = z.output<typeof configSchema>;

/** How many failures a window allows, per client address (authentication) and per person (temporary access passes). */
export interface RateLimitPolicy {
  authFailures: number;
  authWindowMs: number;
  passFailures: number;
  passWindowMs: number;
}

export interface TenureConfig extends Omit<RawConfig, 'targets' | 'portal'> {
  /** Every provisioning target, with mappings parsed. */
  targets: CompiledTarget[];
  lifecyclePolicy: LifecyclePolicy;
  datePolicy: DatePolicy;
  usernamePolicy: UsernamePolicy;
  ldap: RawConfig['ldap'] & { peopleDn: string; groupsDn: string };
  api: RawConfig['api'] & { publicUrl: string; requestTimeoutMs: number };
  database: RawConfig['database'] & { connectTimeoutMs: number };
  rateLimitPolicy: RateLimitPolicy;
  guestPolicy: GuestPolicy;
  portal: PortalSettings;
}

/** Guests' sign-in and life, in milliseconds. */
export interface GuestPolicy {
  organisationsFile?: string;
  deleteAfterMs: number;
  codeLifetimeMs: number;
  codeAttempts: number;
  ticketLifetimeMs: number;
  codesPerAddress: number;
  codesPerClient: number;
  codeWindowMs: number;
}

/** The portal's sign-in, with durations in milliseconds; `oidc` is absent while sign-in is not configured. */
export interface PortalSettings extends RawPortal {
  oidc?: { issuer: string; clientId: string; clientSecret: string; redirectUrl: string };
  sessionLifetimeMs: number;
  idleTimeoutMs: number;
}

type RawPortal = RawConfig['portal'];

/** Environment variable → path in the configuration. */
export const environmentOverrides = {
  TENURE_MODE: 'mode',
  TENURE_DATABASE_URL: 'database.url',
  TENURE_DATABASE_CONNECT_TIMEOUT: 'database.connectTimeout',
  TEMPORAL_ADDRESS: 'temporal.address',
  TEMPORAL_NAMESPACE: 'temporal.namespace',
  TENURE_TASK_QUEUE: 'temporal.taskQueue',
  TENURE_WORKFLOW_CACHE_SIZE: 'temporal.workflowCacheSize',
  TENURE_API_HOST: 'api.host',
  TENURE_API_PORT: 'api.port',
  TENURE_MAX_BODY_BYTES: 'api.maxBodyBytes',
  TENURE_RELAY_INTERVAL_MS: 'api.relayIntervalMs',
  TENURE_PUBLIC_URL: 'api.publicUrl',
  TENURE_REQUEST_TIMEOUT: 'api.requestTimeout',
  TENURE_PREHIRE_LEAD: 'lifecycle.prehireLead',
  TENURE_LEAVER_RETENTION: 'lifecycle.leaverRetention',
  TENURE_HIRE_LOCAL_TIME: 'lifecycle.hireLocalTime',
  TENURE_LEAVE_LOCAL_TIME: 'lifecycle.leaveLocalTime',
  TENURE_DEFAULT_TIME_ZONE: 'lifecycle.defaultTimeZone',
  TENURE_EMAIL_DOMAIN: 'identity.emailDomain',
  TENURE_DEFAULT_DOMAIN: 'identity.defaultDomain',
  TENURE_USERNAME_PATTERNS: 'identity.usernamePatterns',
  TENURE_USERNAME_MAX_LENGTH: 'identity.usernameMaxLength',
  TENURE_LDAP_URL: 'ldap.url',
  TENURE_LDAP_BIND_DN: 'ldap.bindDn',
  TENURE_LDAP_BIND_PASSWORD: 'ldap.bindPassword',
  TENURE_LDAP_BASE_DN: 'ldap.baseDn',
  TENURE_LDAP_PEOPLE_DN: 'ldap.peopleDn',
  TENURE_LDAP_GROUPS_DN: 'ldap.groupsDn',
  TENURE_RECONCILE_EVERY: 'reconciliation.every',
  TENURE_ACCESS_EXPIRY_REMINDERS: 'access.expiryReminders',
  TENURE_HR_WRITEBACK_URL: 'hrWriteback.url',
  TENURE_HR_WRITEBACK_SECRET: 'hrWriteback.secret',
  TENURE_LIFECYCLE_WORKFLOWS_DIR: 'lifecycle.workflowsDir',
  TENURE_ACCESS_CATALOGS_DIR: 'access.catalogsDir',
  TENURE_ACCESS_REVIEWS_DIR: 'access.reviewsDir',
  TENURE_ACCESS_ROLLOUT_PER_SECOND: 'access.rolloutPerSecond',
  TENURE_SMTP_URL: 'mail.smtpUrl',
  TENURE_MAIL_FROM: 'mail.from',
  TENURE_ORGANIZATION_NAME: 'mail.organizationName',
  TENURE_MAIL_LOCALE: 'mail.defaultLocale',
  TENURE_CUSTOM_EXTENSIONS: 'customExtensions',
  TENURE_AUTH_FAILURE_LIMIT: 'rateLimits.authFailures',
  TENURE_AUTH_FAILURE_WINDOW: 'rateLimits.authWindow',
  TENURE_PASS_FAILURE_LIMIT: 'rateLimits.passFailures',
  TENURE_PASS_FAILURE_WINDOW: 'rateLimits.passWindow',
  TENURE_LOG_LEVEL: 'log.level',
  TENURE_GUEST_ORGANISATIONS_FILE: 'guests.organisationsFile',
  TENURE_GUESTS_DELETE_AFTER: 'guests.deleteAfter',
  TENURE_GUEST_CODE_LIFETIME: 'guests.codeLifetime',
  TENURE_GUEST_CODE_ATTEMPTS: 'guests.codeAttempts',
  TENURE_GUEST_TICKET_LIFETIME: 'guests.ticketLifetime',
  TENURE_GUEST_CODES_PER_ADDRESS: 'guests.codesPerAddress',
  TENURE_GUEST_CODES_PER_CLIENT: 'guests.codesPerClient',
  TENURE_GUEST_CODE_WINDOW: 'guests.codeWindow',
  TENURE_PORTAL_ISSUER: 'portal.issuer',
  TENURE_PORTAL_CLIENT_ID: 'portal.clientId',
  TENURE_PORTAL_CLIENT_SECRET: 'portal.clientSecret',
  TENURE_PORTAL_REDIRECT_URL: 'portal.redirectUrl',
  TENURE_PORTAL_MATCH_CLAIM: 'portal.matchClaim',
  TENURE_PORTAL_OPERATORS: 'portal.operators',
  TENURE_PORTAL_ADMINISTRATORS: 'portal.administrators',
  TENURE_TEMPORAL_UI_URL: 'portal.temporalUiUrl',
} as const;

const listSettings = new Set(['identity.usernamePatterns', 'access.expiryReminders', 'portal.operators', 'portal.administrators']);
/** Settings given as JSON in their variable. */
const jsonSettings = new Set(['customExtensions']);

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export interface ConfigSources {
  /** Reads the YAML file named by TENURE_CONFIG_FILE; entry points pass `readFileSync`. */
  readFile?: (path: string) => string;
}

function readConfigFile(env: Record<string, string | undefined>, sources: ConfigSources): unknown {
  const path = env.TENURE_CONFIG_FILE;
  if (!path) return {};
  if (!sources.readFile) throw new ConfigError([`TENURE_CONFIG_FILE is set but this entry point cannot read files`]);
  let text: string;
  try {
    text = sources.readFile(path);
  } catch (error) {
    throw new ConfigError([`TENURE_CONFIG_FILE: cannot read ${path}: ${(error as Error).message}`]);
  }
  try {
    return parseYaml(text) ?? {};
  } catch (error) {
    throw new ConfigError([`TENURE_CONFIG_FILE: ${path} is not valid YAML: ${(error as Error).message}`]);
  }
}

/** `${NAME}` in a configuration file value is the environment variable NAME: secrets stay out of files. */
function interpolate(value: unknown, env: Record<string, string | undefined>, path: string, problems: string[]): unknown {
  if (typeof value === 'string') {
    return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => {
      const found = env[name];
      if (found === undefined) problems.push(`${path}: the environment variable ${name} is not set`);
      return found ?? '';
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => interpolate(v, env, `${path}.${i}`, problems));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolate(v, env, path ? `${path}.${k}` : k, problems)]));
  }
  return value;
}

export function loadConfig(env: Record<string, string | undefined>, sources: ConfigSources = {}): TenureConfig {
  const file = readConfigFile(env, sources);
  if (typeof file !== 'object' || file === null || Array.isArray(file)) {
    throw new ConfigError(['the configuration file must hold a mapping of settings']);
  }
  const interpolationProblems: string[] = [];
  const merged = interpolate(structuredClone(file), env, '', interpolationProblems) as Record<string, unknown>;
  if (interpolationProblems.length > 0) throw new ConfigError(interpolationProblems);
  for (const [variable, path] of Object.entries(environmentOverrides)) {
    const value = env[variable];
    if (value === undefined || value === '') continue;
    if (jsonSettings.has(path)) {
      try {
        setPath(merged, path, JSON.parse(value));
      } catch {
        throw new ConfigError([`${path} (${variable}): not valid JSON`]);
      }
      continue;
    }
    setPath(merged, path, listSettings.has(path) ? value.split(',').map((s) => s.trim()).filter(Boolean) : value);
  }
  const parsed = configSchema.safeParse(merged);
  if (!parsed.success) {
    const byPath = Object.fromEntries(Object.entries(environmentOverrides).map(([k, v]) => [v, k]));
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        const path = issue.path.join('.');
        // A list item (identity.usernamePatterns.1) is set by the list's variable.
        const variable = byPath[issue.path.filter((part) => typeof part === 'string').join('.')];
        return `${path || '(configuration file)'}${variable ? ` (${variable})` : ''}: ${issue.message}`;
      }),
    );
  }
  const raw = parsed.data;
  const ldap = {
    ...raw.ldap,
    peopleDn: raw.ldap.peopleDn ?? `ou=people,${raw.ldap.baseDn}`,
    groupsDn: raw.ldap.groupsDn ?? `ou=groups,${raw.ldap.baseDn}`,
  };
  const { targets, problems } = compileTargets(raw.targets ?? [defaultLdapTarget(ldap)], {
    defaultDomain: { value: raw.identity.defaultDomain, setting: 'identity.defaultDomain (TENURE_DEFAULT_DOMAIN)' },
  });
  if (problems.length > 0) throw new ConfigError(problems.map((p) => `${p.path}: ${p.message}`));
  const publicUrl = (raw.api.publicUrl ?? `http://${raw.api.host === '0.0.0.0' ? '127.0.0.1' : raw.api.host}:${raw.api.port}`).replace(/\/$/, '');
  return {
    ...raw,
    targets,
    api: { ...raw.api, publicUrl, requestTimeoutMs: parseExactDuration(raw.api.requestTimeout) },
    portal: portalSettings(raw.portal, publicUrl),
    database: { ...raw.database, connectTimeoutMs: parseExactDuration(raw.database.connectTimeout) },
    rateLimitPolicy: {
      authFailures: raw.rateLimits.authFailures,
      authWindowMs: parseExactDuration(raw.rateLimits.authWindow),
      passFailures: raw.rateLimits.passFailures,
      passWindowMs: parseExactDuration(raw.rateLimits.passWindow),
    },
    guestPolicy: {
      organisationsFile: raw.guests.organisationsFile,
      deleteAfterMs: parseExactDuration(raw.guests.deleteAfter),
      codeLifetimeMs: parseExactDuration(raw.guests.codeLifetime),
      codeAttempts: raw.guests.codeAttempts,
      ticketLifetimeMs: parseExactDuration(raw.guests.ticketLifetime),
      codesPerAddress: raw.guests.codesPerAddress,
      codesPerClient: raw.guests.codesPerClient,
      codeWindowMs: parseExactDuration(raw.guests.codeWindow),
    },
    ldap,
    lifecyclePolicy: {
      prehireLeadMs: parseExactDuration(raw.lifecycle.prehireLead),
      leaverRetentionMs: parseExactDuration(raw.lifecycle.leaverRetention),
    },
    datePolicy: {
      defaultTimeZone: raw.lifecycle.defaultTimeZone,
      hireLocalTime: raw.lifecycle.hireLocalTime,
      leaveLocalTime: raw.lifecycle.leaveLocalTime,
    },
    usernamePolicy: {
      patterns: raw.identity.usernamePatterns,
      maxLength: raw.identity.usernameMaxLength,
      maxSuffix: defaultUsernamePolicy.maxSuffix,
    },
  };
}

function portalSettings(raw: RawConfig['portal'], publicUrl: string): PortalSettings {
  const { issuer, clientId, clientSecret, redirectUrl } = raw;
  if (issuer && (!clientId || !clientSecret)) {
    throw new ConfigError([`portal: an issuer needs portal.clientId (TENURE_PORTAL_CLIENT_ID) and portal.clientSecret (TENURE_PORTAL_CLIENT_SECRET)`]);
  }
  return {
    ...raw,
    oidc: issuer && clientId && clientSecret ? { issuer, clientId, clientSecret, redirectUrl: redirectUrl ?? `${publicUrl}/portal/callback` } : undefined,
    sessionLifetimeMs: parseExactDuration(raw.sessionLifetime),
    idleTimeoutMs: parseExactDuration(raw.idleTimeout),
    temporalUiUrl: raw.temporalUiUrl?.replace(/\/$/, ''),
  };
}

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let node = target;
  for (const key of keys.slice(0, -1)) {
    const child = node[key];
    if (typeof child !== 'object' || child === null) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[keys[keys.length - 1]!] = value;
}

/** The OpenLDAP target Tenure had before targets were configurable: inetOrgPerson under peopleDn. */
export function defaultLdapTarget(ldap: { url: string; bindDn: string; bindPassword: string; baseDn: string; peopleDn: string; groupsDn: string }): TargetConfig {
  // Through the schema, so every setting not named here takes the same default as in a file.
  return targetSchema.parse({
    type: 'ldap',
    name: 'ldap',
    url: ldap.url,
    bindDn: ldap.bindDn,
    bindPassword: ldap.bindPassword,
    baseDn: ldap.baseDn,
    peopleDn: ldap.peopleDn,
    groupsDn: ldap.groupsDn,
    mappings: [
      { target: 'uid', source: 'username', apply: 'create' },
      { target: 'cn', source: 'displayName' },
      { target: 'sn', source: 'familyName' },
      { target: 'givenName', expression: 'Coalesce([preferredName], [givenName])' },
      { target: 'displayName', source: 'displayName' },
      { target: 'mail', source: 'workEmail' },
      { target: 'employeeType', source: 'employeeType' },
      { target: 'title', source: 'jobTitle' },
      { target: 'departmentNumber', source: 'department' },
      { target: 'l', source: 'location' },
      { target: 'manager', source: 'manager' },
    ],
  });
}

/** What lifecycle workflow definitions may refer to on this installation. */
export function lifecycleValidationContext(config: Pick<TenureConfig, 'customExtensions' | 'targets'>): { extensions: string[]; groupTargets: string[] } {
  return {
    extensions: Object.keys(config.customExtensions),
    groupTargets: config.targets.filter((t) => t.config.type !== 'sql').map((t) => t.config.name),
  };
}
