import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createApiKey } from '../../api/api-keys';
import { saveCatalog, savePackage } from '../../db/queries/access';
import { campaignItems, listCampaigns } from '../../db/queries/access-reviews';
import { auditEvents } from '../../db/schema';
import { validatePackage } from '../../domain/access-packages';
import { startTenureProcess, type TenureProcess } from '../../scripts/tenure-process';
import { campaignStateQuery } from '../../workflows/messages';
import { newEmployeeId, workerRecord } from '../helpers/builders';
import { ldapAdmin, processEnv, startTestEnvironment, waitFor, type TestEnvironment } from '../helpers/environment';
import { startSmtpSink } from '../helpers/smtp';

// A review campaign run by a worker process that is killed with SIGKILL twice: while the stage
// is open for decisions, and while the outcome is applied. No decision is lost, and every
// denied assignment is removed exactly once.

let env: TestEnvironment;
let smtp: Awaited<ReturnType<typeof startSmtpSink>>;
const workers: TenureProcess[] = [];
const reports = Array.from({ length: 20 }, () => newEmployeeId('R'));
const managerId = newEmployeeId('M');
const group = () => `cn=killed-review,ou=groups,${env.ldapBase}`;
const startWorker = () => {
  const worker = startTenureProcess('worker/main.ts', processEnv(env, { TENURE_SMTP_URL: smtp.url }));
  workers.push(worker);
  return worker;
};

beforeAll(async () => {
  smtp = await startSmtpSink();
  env = await startTestEnvironment({ worker: false, env: { TENURE_SMTP_URL: smtp.url } });
  startWorker();
  await env.admin.add(group(), { objectClass: ['top', 'groupOfNames'], cn: 'killed-review', member: 'cn=empty-membership-placeholder' });
  await saveCatalog(env.db, { id: 'kill', name: 'Kill', owners: [] }, 'test');
  const result = validatePackage({ id: 'killed-review', catalog: 'kill', name: 'Killed review', resources: [{ target: 'ldap', group: group() }], policies: [{ id: 'direct', type: 'direct' }] }, { groupTargets: ['ldap'], extensions: [] });
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  await savePackage(env.db, result.accessPackage, { source: 'test', actor: 'test' });
  await env.put(managerId, workerRecord({ givenName: 'Manager' }));
  for (const id of reports) await env.put(id, workerRecord({ managerEmployeeId: managerId }));
  for (const id of [managerId, ...reports]) await waitFor(async () => (await env.identity(id))?.accounts?.length > 0, { timeoutMs: 120_000, what: `${id} provisioned` });
  for (const id of reports) expect((await env.request('POST', '/v1/access-assignments', { employeeId: id, packageId: 'killed-review', reason: 'project' })).status).toBe(201);
  await waitFor(async () => (await members()).length === reports.length, { timeoutMs: 60_000, what: 'every report in the group' });
}, 300_000);
afterAll(async () => {
  await Promise.all(workers.map((w) => w.kill()));
  await env?.stop();
  await smtp?.stop();
});

async function members(): Promise<string[]> {
  const admin = await ldapAdmin();
  const { searchEntries } = await admin.search(group(), { scope: 'base', attributes: ['member'] });
  await admin.unbind();
  return [searchEntries[0]?.member ?? []].flat().map(String).filter((m) => m !== 'cn=empty-membership-placeholder');
}

it('a worker SIGKILLed mid-stage and mid-apply loses no decision and removes each denied assignment once', { timeout: 300_000 }, async () => {
  const managerKey = (await createApiKey(env.db, { name: 'kill-manager', scopes: ['self-service'], employeeId: managerId })).key;
  const as = (method: string, path: string, body?: unknown) => env.request(method, path, body, { authorization: `Bearer ${managerKey}` });
  expect((await env.request('POST', '/v1/access-reviews', { id: 'killed', name: 'Killed', scope: { type: 'packages', packages: ['killed-review'] }, stages: [{ reviewers: [{ type: 'manager' }] }], recurrence: { frequency: 'monthly', start: new Date(Date.now() + 86_400_000).toISOString(), duration: 'PT40S' } })).status).toBe(201);
  expect((await env.request('POST', '/v1/access-reviews/killed/start')).status).toBe(202);
  const campaign = await waitFor(async () => (await listCampaigns(env.db, 'killed'))[0], { timeoutMs: 30_000, what: 'the campaign' });
  const path = `/v1/me/reviews/${encodeURIComponent(campaign.id)}`;
  const items = await waitFor(async () => {
    const found = (await as('GET', `${path}/items`)).body.items as any[];
    return found.length === reports.length ? found : undefined;
  }, { timeoutMs: 60_000, what: 'the stage open' });
  const denied = items.slice(0, 10);
  for (const item of denied.slice(0, 5)) expect((await as('POST', `${path}/items/${item.id}/decision`, { decision: 'deny', justification: 'not on the project' })).status).toBe(200);

  await workers.at(-1)!.kill('SIGKILL');
  startWorker();
  // Decisions while the worker comes back wait for it (within their bound) and are taken.
  for (const item of denied.slice(5)) expect((await as('POST', `${path}/items/${item.id}/decision`, { decision: 'deny', justification: 'not on the project' })).status).toBe(200);
  expect((await as('POST', `${path}/bulk`, { mode: 'approve-rest' })).body).toEqual({ decided: 10 });

  // At the end of the stage the outcome is applied; the worker dies as soon as that begins.
  const handle = env.client.workflow.getHandle(campaign.id);
  await waitFor(async () => ['applying', 'applied'].includes((await handle.query(campaignStateQuery)).status), { timeoutMs: 90_000, intervalMs: 20, what: 'applying' });
  await workers.at(-1)!.kill('SIGKILL');
  startWorker();
  await waitFor(async () => (await env.request('GET', `/v1/access-review-campaigns/${encodeURIComponent(campaign.id)}`)).body.status === 'applied', { timeoutMs: 120_000, what: 'applied' });

  const rows = await campaignItems(env.db, campaign.id, { limit: 100 });
  expect(rows.filter((r) => r.decision === 'deny').map((r) => r.id).sort()).toEqual(denied.map((i) => i.id).sort());
  expect(rows.filter((r) => r.decision === 'approve')).toHaveLength(10);
  expect(rows.map((r) => r.effect).sort()).toEqual([...Array(10).fill('kept: approved'), ...Array(10).fill('removed')].sort());
  const removals = await env.db.select().from(auditEvents).where(and(eq(auditEvents.kind, 'assignment.removed'), eq(auditEvents.actor, `review:${campaign.id}`)));
  expect(removals.map((e) => e.employeeId).sort()).toEqual(denied.map((i) => i.employeeId).sort());
  await waitFor(async () => (await members()).length === 10, { timeoutMs: 60_000, what: 'the denied out of the group' });
});
