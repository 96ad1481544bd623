import { Client as LdapClient } from 'ldapts';
import { createApiKey } from '../../api/api-keys';
import { findRequest, saveCatalog, savePackage } from '../../db/queries/access';
import { auditEvents } from '../../db/schema';
import { validatePackage } from '../../domain/access-packages';
import { startSmtpSink } from '../helpers/smtp';
import { and, eq, like } from 'drizzle-orm';
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

it('a worker killed while access requests wait in their stages: every request completes once', { timeout: 420_000 }, async () => {
  const started = Date.now();
  const phase = (what: string) => console.log(`[${Math.round((Date.now() - started) / 1000)} s] ${what}`);
  const smtp = await startSmtpSink();
  const workerEnv = processEnv(env, { TENURE_SMTP_URL: smtp.url });
  const first = startTenureProcess('worker/main.ts', workerEnv);
  processes.push(first);
  const managerId = newEmployeeId('M');
  const manager = { id: managerId, key: (await createApiKey(env.db, { name: `key-${managerId}`, scopes: ['self-service'], employeeId: managerId })).key };
  await put(apis[0]!, managerId, workerRecord({ givenName: 'Mona' }));
  const reports = Array.from({ length: 8 }, () => newEmployeeId());
  for (const id of reports) await put(apis[0]!, id, workerRecord({ givenName: 'Rhea', managerEmployeeId: managerId }));
  for (const id of [managerId, ...reports]) await waitFor(async () => (await env.identity(id))?.state === 'active', { timeoutMs: 60_000, what: `${id} active` });
  phase('the team is active');
  await saveCatalog(env.db, { id: 'e2e', name: 'E2E', owners: [] }, 'test');
  await env.admin.add(`cn=e2e-project,ou=groups,${env.ldapBase}`, { objectClass: ['top', 'groupOfNames'], cn: 'e2e-project', member: 'cn=empty-membership-placeholder' });
  const accessPackage = validatePackage({ id: 'e2e-project', catalog: 'e2e', name: 'E2E project', resources: [{ target: 'ldap', group: `cn=e2e-project,ou=groups,${env.ldapBase}` }], policies: [{ id: 'ask', type: 'request', justification: 'optional', stages: [{ approvers: [{ type: 'manager' }] }] }] }, { groupTargets: ['ldap'], extensions: [] });
  if (!accessPackage.ok) throw new Error(JSON.stringify(accessPackage.errors));
  await savePackage(env.db, accessPackage.accessPackage, { source: 'test', actor: 'test' });

  const requestIds: string[] = [];
  for (const id of reports) {
    const res = await fetch(`${apis[0]}/v1/access-requests`, { method: 'POST', headers: { authorization: `Bearer ${env.key}`, 'content-type': 'application/json' }, body: JSON.stringify({ employeeId: id, packageId: 'e2e-project' }) });
    expect(res.status).toBe(202);
    requestIds.push(((await res.json()) as { id: string }).id);
  }
  for (const id of requestIds) await waitFor(async () => (await findRequest(env.db, id))?.stage === 1, { timeoutMs: 60_000, what: `${id} at its stage` });
  phase('every request waits at its stage; killing the worker');
  await first.kill('SIGKILL');

  const second = startTenureProcess('worker/main.ts', workerEnv);
  processes.push(second);
  // Decisions go to whichever API; the new worker takes them.
  await Promise.all(
    requestIds.map(async (id, i) => {
      await waitFor(async () => {
        // A decision whose answer was lost on the way is not taken twice: a decided request is done.
        if ((await findRequest(env.db, id))?.status !== 'pending') return true;
        const r = await fetch(`${apis[i % 2]}/v1/access-requests/${id}/decision`, { method: 'POST', headers: { authorization: `Bearer ${manager.key}`, 'content-type': 'application/json' }, body: JSON.stringify({ decision: 'approve' }) });
        return r.status === 200;
      }, { timeoutMs: 240_000, intervalMs: 1000, what: `${id} decided` });
    }),
  );
  phase('every decision answered');
  for (const id of requestIds) await waitFor(async () => (await findRequest(env.db, id))?.status === 'approved', { timeoutMs: 60_000, what: `${id} approved` });
  phase('every request approved');
  for (const id of requestIds) {
    const granted = await env.db.select().from(auditEvents).where(and(eq(auditEvents.kind, 'assignment.granted'), like(auditEvents.summary, '%E2E project%'), eq(auditEvents.workflowId, `access-request-${id}`)));
    const approved = await env.db.select().from(auditEvents).where(and(eq(auditEvents.kind, 'request.approved'), eq(auditEvents.workflowId, `access-request-${id}`)));
    expect([id, granted.length, approved.length]).toEqual([id, 1, 1]);
  }
  // Each report hears once that their request was approved.
  for (const id of reports) {
    const address = (await env.identity(id)).workEmail;
    await waitFor(async () => smtp.to(address).some((m) => m.subject.endsWith('was approved')), { what: `${id} told` });
    expect(smtp.to(address).filter((m) => m.subject.endsWith('was approved'))).toHaveLength(1);
  }
  await second.kill();
  await smtp.stop();
});
