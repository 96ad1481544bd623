import { Client as LdapClient } from 'ldapts';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { freePort } from '../../scripts/ports';
import { newEmployeeId, workerRecord } from '../helpers/builders';
import { startTenureProcess, type TenureProcess } from '../../scripts/tenure-process';
import { processEnv, startTestEnvironment, waitFor, type TestEnvironment } from '../helpers/environment';

// The shipped entry points as separate processes — two APIs and two workers at once — and a
// worker killed with SIGKILL in the middle of provisioning.

let env: TestEnvironment;
const processes: TenureProcess[] = [];
const apis: string[] = [];

beforeAll(async () => {
  env = await startTestEnvironment({ worker: false });
  for (let i = 0; i < 2; i++) {
    const port = await freePort();
    processes.push(startTenureProcess('api/server.ts', processEnv(env, { TENURE_API_PORT: String(port) })));
    apis.push(`http://127.0.0.1:${port}`);
  }
  for (const api of apis) await waitFor(async () => (await fetch(`${api}/healthz`).catch(() => undefined))?.ok, { timeoutMs: 30_000, what: `${api} up` });
});
afterAll(async () => {
  await Promise.all(processes.map((p) => p.kill()));
  await env?.stop();
});

const put = (api: string, id: string, body: unknown) =>
  fetch(`${api}/v1/workers/${id}`, { method: 'PUT', headers: { authorization: `Bearer ${env.key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });

async function entriesFor(id: string): Promise<number> {
  const { searchEntries } = await env.admin.search(env.peopleDn, { filter: `(employeeNumber=${id})` });
  return searchEntries.length;
}

it('two APIs and two workers share the work; each person ends with one entry', async () => {
  const workers = [startTenureProcess('worker/main.ts', processEnv(env)), startTenureProcess('worker/main.ts', processEnv(env))];
  processes.push(...workers);
  for (const api of apis) {
    const ready = await waitFor(async () => {
      const res = await fetch(`${api}/readyz`);
      return res.ok ? res.json() : undefined;
    }, { timeoutMs: 30_000 });
    expect(ready).toEqual({ status: 'ok', checks: { database: 'ok', temporal: 'ok' } });
  }
  const ids = Array.from({ length: 20 }, () => newEmployeeId());
  await Promise.all(ids.map((id, i) => put(apis[i % 2]!, id, workerRecord({ givenName: 'Pat', familyName: 'Lee' }))));
  for (const id of ids) await waitFor(async () => (await env.identity(id))?.state === 'active', { timeoutMs: 60_000, what: `${id} active` });
  const counts = await Promise.all(ids.map(entriesFor));
  expect(counts).toEqual(ids.map(() => 1));
  const usernames = new Set(await Promise.all(ids.map(async (id) => (await env.identity(id)).username)));
  expect(usernames.size).toBe(ids.length);
  await Promise.all(workers.map((w) => w.kill()));
});

it('a worker killed mid-provisioning leaves, after a restart, exactly one entry per person', async () => {
  const first = startTenureProcess('worker/main.ts', processEnv(env));
  processes.push(first);
  const ids = Array.from({ length: 60 }, () => newEmployeeId());
  const res = await fetch(`${apis[0]}/v1/workers/batch`, {
    method: 'POST',
    headers: { authorization: `Bearer ${env.key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ records: ids.map((employeeId) => ({ employeeId, ...workerRecord() })) }),
  });
  expect(((await res.json()) as any).accepted).toBe(60);

  // Kill it as soon as some, but not all, entries exist.
  const ldap = new LdapClient({ url: inject('ldap').url });
  await ldap.bind(inject('ldap').adminDn, inject('ldap').adminPassword);
  const countEntries = async () => (await ldap.search(env.peopleDn, { filter: '(employeeNumber=*)', attributes: ['employeeNumber'] })).searchEntries.filter((e) => ids.includes(String(e.employeeNumber))).length;
  const partial = await waitFor(async () => {
    const n = await countEntries();
    return n > 0 ? n : undefined;
  }, { timeoutMs: 60_000, intervalMs: 20, what: 'the first entries' });
  await first.kill('SIGKILL');
  const atKill = await countEntries();
  expect(partial).toBeLessThan(ids.length);

  const second = startTenureProcess('worker/main.ts', processEnv(env));
  processes.push(second);
  // Active with its account and nothing left to retry.
  const provisioned = async (id: string) => {
    const identity = await env.identity(id);
    return identity?.state === 'active' && !identity.lastError && identity.accounts.length === 1;
  };
  for (const id of ids) await waitFor(() => provisioned(id), { timeoutMs: 120_000, what: `${id} provisioned` });
  const counts = await Promise.all(ids.map(entriesFor));
  expect(counts).toEqual(ids.map(() => 1));
  const created = await Promise.all(ids.map(async (id) => (await env.events(id)).filter((e) => e.kind === 'account.created').length));
  expect(created).toEqual(ids.map(() => 1));
  console.log(`killed the worker with ${atKill} of ${ids.length} entries made; all ${ids.length} complete after restart`);
  await ldap.unbind();
  await second.kill();
});
