import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, type Worker } from '@temporalio/worker';
import { Client as LdapClient, type Entry } from 'ldapts';
import { pino } from 'pino';
import { inject } from 'vitest';
import { escapeDnValue, escapeFilterValue } from '../../activities/connectors/ldap-escape';
import { createApiKey } from '../../api/api-keys';
import { createApp, type Logger } from '../../api/app';
import { createDb } from '../../db/client';
import { ensureDatabase, migrateDatabase } from '../../db/migrate';
import { loadConfig, type TenureConfig } from '../../domain/config';
import { loggerOptions } from '../../domain/logging';
import type { WorkerRecordInput } from '../../domain/worker-record';
import { createTenureWorker } from '../../worker/create-worker';
import { activityDeps } from '../../worker/deps';
import type { WebhookSettings } from '../../activities/connectors/signed-webhook';

// One test file's world: its own database, its own LDAP subtree and task queue, a worker
// running in-process against the shared Temporal dev server, and the real API app.

export interface TestEnvironmentOptions {
  /** Environment-style overrides, e.g. { TENURE_PREHIRE_LEAD: 'PT3S' }. */
  env?: Record<string, string>;
  hrWebhook?: WebhookSettings;
  /** Start no worker (tests that run their own worker processes). */
  worker?: boolean;
  /** Put people in an OU with this (unescaped) name instead of ou=people. */
  peopleOu?: string;
  /** YAML configuration file content (targets and the like); `${NAME}` reads the environment. */
  configFile?: (context: { ldapBase: string; peopleDn: string }) => string;
  /** The app's logger; by default errors go to stderr. */
  log?: Logger;
}

export type TestEnvironment = Awaited<ReturnType<typeof startTestEnvironment>>;

export async function databaseForTest(): Promise<{ url: string; drop: () => Promise<void> }> {
  const base = new URL(inject('postgresUrl'));
  const name = `tenure_t_${randomBytes(6).toString('hex')}`;
  base.pathname = `/${name}`;
  const url = base.toString();
  await ensureDatabase(url);
  await migrateDatabase(url);
  return {
    url,
    drop: async () => {
      const { db, close } = createDb(inject('postgresUrl'), { max: 1 });
      await db.execute(`drop database if exists "${name}" with (force)`);
      await close();
    },
  };
}

export async function ldapAdmin(): Promise<LdapClient> {
  const ldap = inject('ldap');
  const client = new LdapClient({ url: ldap.url, strictDN: false });
  await client.bind(ldap.adminDn, ldap.adminPassword);
  return client;
}

/** A private subtree (ou=people and ou=groups beneath it) so test files never see each other. */
export async function ldapSubtreeForTest(admin: LdapClient): Promise<string> {
  const base = `ou=t${randomBytes(5).toString('hex')},${inject('ldap').suffix}`;
  await admin.add(base, { objectClass: ['top', 'organizationalUnit'], ou: base.slice(3, base.indexOf(',')) });
  await admin.add(`ou=people,${base}`, { objectClass: ['top', 'organizationalUnit'], ou: 'people' });
  await admin.add(`ou=groups,${base}`, { objectClass: ['top', 'organizationalUnit'], ou: 'groups' });
  return base;
}

let runtimeInstalled = false;

export async function startTestEnvironment(options: TestEnvironmentOptions = {}) {
  if (!runtimeInstalled) {
    Runtime.install({ logger: new DefaultLogger('WARN') });
    runtimeInstalled = true;
  }
  const database = await databaseForTest();
  const admin = await ldapAdmin();
  const ldapBase = await ldapSubtreeForTest(admin);
  const peopleOverride: Record<string, string> = {};
  if (options.peopleOu) {
    const dn = `ou=${escapeDnValue(options.peopleOu)},${ldapBase}`;
    await admin.add(dn, { objectClass: ['top', 'organizationalUnit'], ou: options.peopleOu });
    peopleOverride.TENURE_LDAP_PEOPLE_DN = dn;
  }
  const ldap = inject('ldap');
  const taskQueue = `test-${randomBytes(5).toString('hex')}`;
  const configPath = options.configFile ? join(mkdtempSync(join(tmpdir(), 'tenure-config-')), 'tenure.yaml') : undefined;
  if (configPath && options.configFile) {
    writeFileSync(configPath, options.configFile({ ldapBase, peopleDn: peopleOverride.TENURE_LDAP_PEOPLE_DN ?? `ou=people,${ldapBase}` }));
  }
  const config: TenureConfig = loadConfig({
    ...(configPath ? { TENURE_CONFIG_FILE: configPath } : {}),
    TENURE_MODE: 'production',
    TENURE_DATABASE_URL: database.url,
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    TENURE_TASK_QUEUE: taskQueue,
    TENURE_LDAP_URL: ldap.url,
    TENURE_LDAP_BIND_DN: ldap.adminDn,
    TENURE_LDAP_BIND_PASSWORD: ldap.adminPassword,
    TENURE_LDAP_BASE_DN: ldapBase,
    TENURE_EMAIL_DOMAIN: 'tenure.test',
    ...peopleOverride,
    ...options.env,
  }, { readFile: (path) => readFileSync(path, 'utf8') });
  const { db, close } = createDb(config.database.url);
  const connection = await Connection.connect({ address: config.temporal.address });
  const client = new Client({ connection });
  const { deps, close: closeDeps } = activityDeps(config, db, client, { hrWebhook: options.hrWebhook });
  let stopWorker = async () => {};
  let worker: Worker | undefined;
  if (options.worker !== false) {
    const nativeConnection = await NativeConnection.connect({ address: config.temporal.address });
    worker = await createTenureWorker({
      connection: nativeConnection,
      namespace: config.temporal.namespace,
      taskQueue,
      deps,
      workflowBundle: { codePath: inject('workflowBundlePath') },
    });
    const running = worker.run();
    stopWorker = async () => {
      worker!.shutdown();
      await running;
      await nativeConnection.close();
    };
  }
  const app = createApp({
    db,
    temporal: { client, taskQueue, ping: () => connection.healthService.check({}) },
    config: { ...config, maxBodyBytes: config.api.maxBodyBytes },
    deliveryTimeoutMs: 5000,
    now: () => new Date(),
    // Only what went wrong reaches the test output: a 500 is logged with its error.
    log: options.log ?? pino(loggerOptions('api', 'error'), pino.destination(2)),
  });
  const { key } = await createApiKey(db, { name: 'test-hr', scopes: ['admin'] });

  async function request(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
    const response = await app.request(path, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : undefined) as any };
  }

  return {
    db,
    config,
    client,
    app,
    key,
    admin,
    /** The in-process worker, when the environment started one. */
    worker,
    ldapBase,
    peopleDn: config.ldap.peopleDn,
    taskQueue,
    request,
    put: (employeeId: string, record: WorkerRecordInput) => request('PUT', `/v1/workers/${employeeId}`, record),
    identity: async (employeeId: string) => {
      const { status, body } = await request('GET', `/v1/identities/${employeeId}`);
      return status === 200 ? body : undefined;
    },
    events: async (employeeId: string) => (await request('GET', `/v1/identities/${employeeId}/events?limit=500`)).body.items as { kind: string; summary: string; actor: string; system: string | null; details: any }[],
    /** The person's OpenLDAP entry (with its lock), found by the exact-case anchor. */
    entry: async (employeeId: string): Promise<Entry | undefined> => {
      const { searchEntries } = await admin.search(config.ldap.peopleDn, {
        scope: 'sub',
        filter: `(&(objectClass=inetOrgPerson)(employeeNumber=${escapeFilterValue(employeeId)}))`,
        attributes: ['*', 'pwdAccountLockedTime'],
      });
      return searchEntries.find((entry) => [entry.employeeNumber].flat().map(String).includes(employeeId));
    },
    async stop() {
      await stopWorker();
      await closeDeps();
      await connection.close();
      await admin.unbind();
      await close();
      await database.drop();
    },
  };
}

/** Polls until `probe` returns something truthy; fails with the last value after `timeoutMs`. */
export async function waitFor<T>(probe: () => Promise<T>, options: { timeoutMs?: number; intervalMs?: number; what?: string } = {}): Promise<NonNullable<T>> {
  const deadline = Date.now() + (options.timeoutMs ?? 20_000);
  let last: T | undefined;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      last = await probe();
      if (last) return last as NonNullable<T>;
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 100));
  }
  throw new Error(`timed out waiting for ${options.what ?? 'condition'}; last value ${JSON.stringify(last)}${lastError ? `, last error ${String(lastError)}` : ''}`);
}

export function isLocked(entry: Entry): boolean {
  const value = entry.pwdAccountLockedTime;
  return Array.isArray(value) ? value.length > 0 : value !== undefined && value !== '';
}

/** The environment variables that point a process at this test file's world. */
export function processEnv(env: TestEnvironment, extra: Record<string, string> = {}): Record<string, string> {
  const { config } = env;
  return {
    TENURE_MODE: 'production',
    TENURE_DATABASE_URL: config.database.url,
    TEMPORAL_ADDRESS: config.temporal.address,
    TENURE_TASK_QUEUE: config.temporal.taskQueue,
    TENURE_LDAP_URL: config.ldap.url,
    TENURE_LDAP_BIND_DN: config.ldap.bindDn,
    TENURE_LDAP_BIND_PASSWORD: config.ldap.bindPassword,
    TENURE_LDAP_BASE_DN: config.ldap.baseDn,
    TENURE_EMAIL_DOMAIN: config.identity.emailDomain,
    ...extra,
  };
}
