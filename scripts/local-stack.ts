import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApiKey } from '../api/api-keys';
import { createDb } from '../db/client';
import { ensureDatabase, migrateDatabase } from '../db/migrate';
import { freePort } from './ports';
import { startSlapd } from './slapd';
import { startTemporalDevServer } from './temporal-dev-server';
import { startTenureProcess, type TenureProcess } from './tenure-process';

// A throw-away Tenure on this machine — Temporal dev server, slapd, a fresh database, the API
// and worker processes — for benchmarks and recording tools. Everything goes on stop().

export interface LocalStackOptions {
  workers?: number;
  /** Extra TENURE_* settings for the API and workers. */
  env?: Record<string, string>;
  workerNodeArgs?: string[];
}

async function until(probe: () => Promise<boolean>, what: string, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

export async function startLocalStack(options: LocalStackOptions = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'tenure-stack-'));
  const temporal = await startTemporalDevServer({ port: await freePort() });
  const ldapPassword = 'local-stack';
  const slapd = await startSlapd({ dir: join(dir, 'slapd'), port: await freePort(), adminPassword: ldapPassword });
  const databaseName = `tenure_stack_${Date.now()}`;
  const databaseUrl = `postgres://postgres@127.0.0.1:5432/${databaseName}`;
  await ensureDatabase(databaseUrl);
  await migrateDatabase(databaseUrl);
  const { db, close } = createDb(databaseUrl);
  const { key } = await createApiKey(db, { name: 'local-stack', scopes: ['admin'] });

  const apiPort = await freePort();
  const env = {
    TENURE_DATABASE_URL: databaseUrl,
    TEMPORAL_ADDRESS: temporal.address,
    TENURE_LDAP_URL: slapd.url,
    TENURE_LDAP_BIND_DN: slapd.adminDn,
    TENURE_LDAP_BIND_PASSWORD: ldapPassword,
    TENURE_LDAP_BASE_DN: slapd.suffix,
    TENURE_API_PORT: String(apiPort),
    ...options.env,
  };
  const processes: TenureProcess[] = [
    startTenureProcess('api/server.ts', env),
    ...Array.from({ length: options.workers ?? 1 }, () => startTenureProcess('worker/main.ts', env, { nodeArgs: options.workerNodeArgs })),
  ];
  let stopping = false;
  for (const p of processes) {
    p.child.once('exit', (code) => {
      if (stopping) return;
      console.error(`a Tenure process exited early (${code}):\n${p.output()}`);
      process.exit(1);
    });
  }
  const api = `http://127.0.0.1:${apiPort}`;
  const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
  await until(async () => (await fetch(`${api}/readyz`).catch(() => undefined))?.ok === true, 'the API to be ready');
  // One hire end to end, so workers have bundled their workflows and poll before anyone measures.
  const warmUp = { asOf: new Date().toISOString(), givenName: 'Warm', familyName: 'Up', employeeType: 'system', hireDate: '2020-01-01' };
  await fetch(`${api}/v1/workers/WARMUP`, { method: 'PUT', headers, body: JSON.stringify(warmUp) });
  await until(async () => {
    const res = await fetch(`${api}/v1/identities/WARMUP`, { headers });
    return res.ok && ((await res.json()) as { state: string }).state === 'active';
  }, 'the warm-up hire');

  return {
    api,
    key,
    db,
    temporalAddress: temporal.address,
    slapd: { url: slapd.url, adminDn: slapd.adminDn, password: ldapPassword, suffix: slapd.suffix },
    output: () => processes.map((p) => p.output()).join('\n---\n'),
    /** Process ids of the worker processes (for memory figures). */
    workerPids: () => processes.slice(1).map((p) => p.child.pid!),
    async stop() {
      stopping = true;
      await Promise.all(processes.map((p) => p.kill()));
      await close();
      const admin = createDb('postgres://postgres@127.0.0.1:5432/postgres', { max: 1 });
      await admin.db.execute(`drop database if exists "${databaseName}" with (force)`);
      await admin.close();
      await Promise.all([temporal.stop(), slapd.stop()]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
