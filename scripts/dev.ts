import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createApiKey } from '../api/api-keys';
import { createDb } from '../db/client';
import { ensureDatabase, migrateDatabase } from '../db/migrate';
import { readCatalogFiles } from '../api/access-catalog-files';
import { checkCatalogFiles } from '../domain/access-admin';
import type { AccessValidationContext } from '../domain/access-packages';
import { ConfigError, lifecycleValidationContext, loadConfig } from '../domain/config';
import { Client as LdapClient } from 'ldapts';
import { startMailSink } from './mail-sink';
import { startOidcProvider, type DemoPerson, type RunningOidcProvider } from './oidc-provider';
import { isPortOpen } from './ports';
import { startSlapd, type RunningSlapd } from './slapd';
import { startTenureProcess, type TenureProcess } from './tenure-process';
import { startTemporalDevServer, type RunningDevServer } from './temporal-dev-server';

// `npm run dev`: everything Tenure needs on this machine, with local defaults — a Temporal
// dev server with UI (state kept in .tenure/), a private slapd, the database, a worker and
// the API — and the addresses and a development API key printed at the end.

const root = join(import.meta.dirname, '..');
const stateDir = join(root, '.tenure');
const devLdapPassword = 'tenure-dev-only';

// Short lifecycle durations so a demo shows pre-hire, day one and deletion in minutes.
const devDefaults: Record<string, string> = {
  TENURE_MODE: 'development',
  TENURE_DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/tenure',
  TEMPORAL_ADDRESS: '127.0.0.1:7233',
  TENURE_LDAP_URL: 'ldap://127.0.0.1:3389',
  TENURE_LDAP_BIND_DN: 'cn=admin,dc=tenure,dc=test',
  TENURE_LDAP_BIND_PASSWORD: devLdapPassword,
  TENURE_LDAP_BASE_DN: 'dc=tenure,dc=test',
  TENURE_PREHIRE_LEAD: 'PT2M',
  TENURE_LEAVER_RETENTION: 'PT5M',
  TENURE_API_PORT: '3000',
  TENURE_SMTP_URL: 'smtp://127.0.0.1:2525',
  TENURE_ORGANIZATION_NAME: 'Tenure Dev',
  TENURE_LIFECYCLE_WORKFLOWS_DIR: join(root, 'examples', 'lifecycle-workflows'),
  TENURE_ACCESS_CATALOGS_DIR: join(root, 'examples', 'access-catalogs'),
  TENURE_ACCESS_REVIEWS_DIR: join(root, 'examples', 'access-reviews'),
  TENURE_GUEST_ORGANISATIONS_FILE: join(root, 'examples', 'connected-organisations.yaml'),
  // The portal signs in at an OpenID provider started here, with the people of `npm run demo`.
  TENURE_PORTAL_ISSUER: 'http://127.0.0.1:3001',
  TENURE_PORTAL_CLIENT_ID: 'tenure-dev',
  TENURE_PORTAL_CLIENT_SECRET: 'tenure-dev-portal-secret',
  TENURE_PORTAL_MATCH_CLAIM: 'employee_id',
  TENURE_PORTAL_OPERATORS: 'E1001',
  TENURE_PORTAL_ADMINISTRATORS: 'E1000',
  TENURE_TEMPORAL_UI_URL: 'http://127.0.0.1:8233',
};

/** Who can sign in to the dev portal (any password): the people `npm run demo` hires. */
const demoPeople: DemoPerson[] = [
  { login: 'zoe', name: 'Zoë Ångström-Øster', email: 'zoe@example.com', employeeId: 'E1002' },
  { login: 'priya', name: 'Priya Raman', email: 'priya@example.com', employeeId: 'E1005' },
  { login: 'ingrid', name: 'Ingrid Ødegård', email: 'ingrid@example.com', employeeId: 'E1001', groups: ['engineering-leads'] },
  { login: 'amara', name: 'Amara Okafor', email: 'amara@example.com', employeeId: 'E1000' },
];

const env: Record<string, string | undefined> = { ...devDefaults, ...process.env };
let config;
try {
  config = loadConfig(env);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(error.message);
  process.exit(1);
}

const log = (message: string) => console.log(`[dev] ${message}`);
const processes: TenureProcess[] = [];
let temporal: RunningDevServer | undefined;
let slapd: RunningSlapd | undefined;
let mailSink: { stop(): Promise<void> } | undefined;
let oidcProvider: RunningOidcProvider | undefined;
let stopping = false;

async function stopAll(code: number): Promise<never> {
  stopping = true;
  await Promise.all(processes.map((p) => p.kill()));
  await Promise.all([temporal?.stop(), slapd?.stop(), mailSink?.stop(), oidcProvider?.stop()]);
  process.exit(code);
}

function startProcess(name: string, entry: 'worker/main.ts' | 'api/server.ts'): void {
  const prefix = (chunk: string) =>
    chunk
      .split('\n')
      .filter(Boolean)
      .map((line) => `[${name}] ${line}`)
      .join('\n');
  const tenure = startTenureProcess(entry, env, {
    onOutput: (chunk, stream) => (stream === 'stdout' ? console.log(prefix(chunk)) : console.error(prefix(chunk))),
  });
  tenure.child.once('exit', (code, signal) => {
    if (!stopping) {
      log(`${name} exited (${code ?? signal}); stopping`);
      void stopAll(1);
    }
  });
  processes.push(tenure);
}

process.once('SIGINT', () => void stopAll(0));
process.once('SIGTERM', () => void stopAll(0));

mkdirSync(stateDir, { recursive: true });
const [temporalHost, temporalPort] = config.temporal.address.split(':');
if (await isPortOpen(Number(temporalPort), temporalHost)) {
  log(`using the Temporal server already at ${config.temporal.address}`);
} else {
  log('starting the Temporal dev server …');
  temporal = await startTemporalDevServer({ port: Number(temporalPort), uiPort: Number(temporalPort) + 1000, dbFile: join(stateDir, 'temporal.db'), log });
}

const ldapPort = Number(new URL(config.ldap.url).port);
if (await isPortOpen(ldapPort)) {
  log(`using the LDAP server already at ${config.ldap.url}`);
} else {
  log('starting OpenLDAP (slapd) …');
  slapd = await startSlapd({ dir: join(stateDir, 'slapd'), port: ldapPort, adminPassword: config.ldap.bindPassword });
}

/** The groups the catalogs name on the dev OpenLDAP target, as plain cns under its groups DN (the API reports anything else when it loads them). */
function catalogGroups(dir: string | undefined, groupsDn: string, context: AccessValidationContext): string[] {
  if (!dir) return [];
  const checked = checkCatalogFiles(readCatalogFiles(dir), context, []);
  if (!checked.ok) return [];
  const suffix = `,${groupsDn}`.toLowerCase();
  const resources = checked.files.flatMap((f) => f.packages.flatMap((p) => [...p.resources, ...p.incompatibleGroups]));
  return resources
    .filter((r) => r.target === 'ldap' && r.group.toLowerCase().endsWith(suffix))
    .map((r) => /^cn=([a-z0-9-]+)$/i.exec(r.group.slice(0, -suffix.length))?.[1])
    .filter((cn) => cn !== undefined);
}

// The groups the example lifecycle workflows and access catalogs use.
const ldap = new LdapClient({ url: config.ldap.url });
await ldap.bind(config.ldap.bindDn, config.ldap.bindPassword);
for (const cn of new Set(['all-staff', 'engineering', 'sales', ...catalogGroups(config.access.catalogsDir, config.ldap.groupsDn, lifecycleValidationContext(config))])) {
  await ldap.add(`cn=${cn},${config.ldap.groupsDn}`, { objectClass: ['top', 'groupOfNames'], cn, member: 'cn=empty-membership-placeholder' }).catch((error: { code?: number }) => {
    if (error.code !== 68) throw error;
  });
}
await ldap.unbind();

const smtpPort = Number(new URL(config.mail.smtpUrl).port);
if (await isPortOpen(smtpPort)) {
  log(`using the SMTP server already at ${config.mail.smtpUrl}`);
} else {
  mailSink = await startMailSink(smtpPort, (mail) => {
    const text = `To: ${mail.to.join(', ')}\nSubject: ${mail.subject}\n\n${mail.text.trim()}\n`;
    console.log(text.split('\n').map((line) => `[mail] ${line}`).join('\n'));
  });
}

const oidc = config.portal.oidc;
const oidcUrl = oidc ? new URL(oidc.issuer) : undefined;
if (oidc && oidcUrl && env.TENURE_PORTAL_ISSUER === devDefaults.TENURE_PORTAL_ISSUER) {
  if (await isPortOpen(Number(oidcUrl.port), oidcUrl.hostname)) {
    log(`using the OpenID provider already at ${oidc.issuer}`);
  } else {
    oidcProvider = await startOidcProvider({ port: Number(oidcUrl.port), host: oidcUrl.hostname, client: { id: oidc.clientId, secret: oidc.clientSecret, redirectUri: oidc.redirectUrl }, people: demoPeople });
  }
}

await ensureDatabase(config.database.url);
await migrateDatabase(config.database.url);
const { db, close } = createDb(config.database.url, { max: 1 });
const { key } = await createApiKey(db, { name: 'development', scopes: ['admin'], development: true, replace: true });
await close();

startProcess('worker', 'worker/main.ts');
startProcess('api', 'api/server.ts');

const api = `http://${config.api.host}:${config.api.port}`;
console.log(`
Tenure is running (development mode).
  API              ${api}   (reference: ${api}/docs, OpenAPI: ${api}/openapi.json)
  Temporal UI      http://127.0.0.1:${Number(temporalPort) + 1000}   (search: EmployeeId="E1001")
  Temporal         ${config.temporal.address}, task queue ${config.temporal.taskQueue}
  OpenLDAP         ${config.ldap.url}   bind ${config.ldap.bindDn} / ${devLdapPassword}
  PostgreSQL       ${config.database.url.replace(/\/\/[^@]*@/, '//…@')}
  Lifecycle        pre-hire lead ${config.lifecycle.prehireLead}, leaver retention ${config.lifecycle.leaverRetention}
                   workflows from ${config.lifecycle.workflowsDir}
  Access           catalogs from ${config.access.catalogsDir}, rollouts at ${config.access.rolloutPerSecond} people/s
                   reviews from ${config.access.reviewsDir}
  Mail             ${config.mail.smtpUrl} (messages are printed here, prefixed [mail])
  Portal           ${api}/portal   (after \`npm run demo\`, sign in at ${oidc?.issuer ?? 'the configured provider'} as
                   zoe or priya (employees), ingrid (manager, operator) or amara (administrator);
                   any password)
  Dev API key      ${key}
                   (valid only while TENURE_MODE=development)

Try:  npm run demo
Stop: Ctrl-C
`);
