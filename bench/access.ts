import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { Attribute, Change, Client as LdapClient } from 'ldapts';
import { createApiKey } from '../api/api-keys';
import { findRequest, saveCatalog, savePackage } from '../db/queries/access';
import { grantAssignment } from '../db/queries/access-changes';
import { validatePackage } from '../domain/access-packages';
import { startLocalStack } from '../scripts/local-stack';
import { startMailSink } from '../scripts/mail-sink';
import { freePort } from '../scripts/ports';
import { accessChangedSignal, accessRequestStateQuery, accessRequestWorkflowId, identityStateQuery, identityWorkflowId } from '../workflows/messages';
import { benchIds, postHires, until, waitUntilActive } from './hire-load';

// Entitlement management on a real stack (Temporal dev server, slapd, PostgreSQL, API and
// worker processes): how many access requests per second are decided and provisioned (the
// group member in LDAP), and the worker's memory while many assignments wait on their expiry —
// each beside its floor, measured in the same run.
//   npm run bench:access -- --people 1000 --per-person 10 --requests 200 [--cache 200]

const { values } = parseArgs({
  options: {
    people: { type: 'string', default: '1000' },
    'per-person': { type: 'string', default: '10' },
    requests: { type: 'string', default: '200' },
    concurrency: { type: 'string', default: '16' },
    // The worker's workflow cache (TENURE_WORKFLOW_CACHE_SIZE); by default the SDK's.
    cache: { type: 'string' },
  },
});
const peopleCount = Number(values.people);
const perPerson = Number(values['per-person']);
const requestCount = Math.min(Number(values.requests), peopleCount);
const concurrency = Number(values.concurrency);

const rssMb = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
const seconds = (ms: number) => (ms / 1000).toFixed(1);
async function inParallel<T>(items: T[], work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    for (let i = next++; i < items.length; i = next++) await work(items[i]!);
  }));
}

/** Asks every workflow, a few at a time: with a small cache most are evicted, and each query replays one. */
async function everyoneSays<T>(workflowIds: string[], ask: (workflowId: string) => Promise<T>, says: (answer: T) => boolean): Promise<boolean> {
  let all = true;
  await inParallel(workflowIds, async (workflowId) => {
    if (!all) return;
    // A query that times out (the worker busy replaying) is a "not yet".
    const answered = await ask(workflowId).then((answer) => ({ answer }), () => undefined);
    if (!answered || !says(answered.answer)) all = false;
  });
  return all;
}
const personState = (id: string) => temporal.workflow.getHandle(identityWorkflowId(id)).query(identityStateQuery);

const smtpPort = await freePort();
const mail = await startMailSink(smtpPort, () => {});
const stack = await startLocalStack({ env: { TENURE_SMTP_URL: `smtp://127.0.0.1:${smtpPort}`, ...(values.cache ? { TENURE_WORKFLOW_CACHE_SIZE: values.cache } : {}) } });
const { api, key, db, slapd } = stack;
const [workerPid] = stack.workerPids();
const temporal = new Client({ connection: await Connection.connect({ address: stack.temporalAddress }) });
const ldap = new LdapClient({ url: slapd.url });
await ldap.bind(slapd.adminDn, slapd.password);
const group = (cn: string) => `cn=${cn},ou=groups,${slapd.suffix}`;
const members = async (cn: string) => [(await ldap.search(group(cn), { scope: 'base', attributes: ['member'] })).searchEntries[0]?.member ?? []].flat().filter((m) => !String(m).startsWith('cn=empty-membership-placeholder')).length;

const rssIdle = rssMb(workerPid!);

// People, a manager who approves, and the packages.
const ids = benchIds(peopleCount);
const managerId = 'BMANAGER';
await postHires({ api, key, ids: [managerId], concurrency: 1 });
await waitUntilActive(db, [managerId]);
await postHires({ api, key, ids, concurrency: 32 });
await waitUntilActive(db, ids);
for (const id of ids) {
  // Each person reports to the manager: the request's one stage goes to them.
  await fetch(`${api}/v1/workers/${id}`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ asOf: new Date().toISOString(), givenName: 'Bench', familyName: id, employeeType: 'employee', hireDate: '2026-01-05', managerEmployeeId: managerId }),
  });
}
const manager = (await createApiKey(db, { name: 'bench-manager', scopes: ['self-service'], employeeId: managerId })).key;
await saveCatalog(db, { id: 'bench', name: 'Bench', owners: [] }, 'bench');
const packageIds = ['bench-request', ...Array.from({ length: perPerson }, (_, i) => `bench-${i}`), 'bench-floor'];
for (const id of packageIds) {
  await ldap.add(group(id), { objectClass: ['top', 'groupOfNames'], cn: id, member: 'cn=empty-membership-placeholder' });
  const parsed = validatePackage(
    { id, catalog: 'bench', name: id, resources: [{ target: 'ldap', group: group(id) }], policies: [{ id: 'ask', type: 'request', justification: 'optional', stages: [{ approvers: [{ type: 'manager' }] }] }, { id: 'direct', type: 'direct' }] },
    { groupTargets: ['ldap'], extensions: [] },
  );
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  if (id !== 'bench-floor') await savePackage(db, parsed.accessPackage, { source: 'bench', actor: 'bench' });
}
await until(() => everyoneSays(ids, personState, (s) => s.record?.managerEmployeeId === managerId), 300_000, 'everyone reporting to the manager');
const rssPeople = rssMb(workerPid!);

// 1. Requests decided and provisioned: each approved by the manager, done when LDAP has the member.
const requested = ids.slice(0, requestCount);
const requestIds: string[] = [];
for (const employeeId of requested) {
  const res = await fetch(`${api}/v1/access-requests`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify({ employeeId, packageId: 'bench-request' }) });
  if (res.status !== 202) throw new Error(`request for ${employeeId}: ${res.status} ${await res.text()}`);
  requestIds.push(((await res.json()) as { id: string }).id);
}
await until(() => everyoneSays(requestIds, (id) => temporal.workflow.getHandle(accessRequestWorkflowId(id)).query(accessRequestStateQuery), (s) => s.stage === 1 && s.approvers.length > 0), 300_000, 'every request at its stage');
const decideStart = Date.now();
await inParallel(requestIds, async (id) => {
  const res = await fetch(`${api}/v1/access-requests/${id}/decision`, { method: 'POST', headers: { authorization: `Bearer ${manager}`, 'content-type': 'application/json' }, body: JSON.stringify({ decision: 'approve' }) });
  if (res.status !== 200) throw new Error(`decision on ${id}: ${res.status} ${await res.text()}`);
});
const decidedAt = Date.now();
await until(async () => (await members('bench-request')) >= requestCount, 300_000, 'every member in LDAP');
const provisionedAt = Date.now();
const approved = (await Promise.all(requestIds.map((id) => findRequest(db, id)))).filter((r) => r?.status === 'approved').length;

// Floors: the directory alone adding the same members, the engine alone answering the same workflows.
const dns = (await ldap.search(`ou=people,${slapd.suffix}`, { filter: '(employeeNumber=B0*)', attributes: ['dn'] })).searchEntries.map((e) => e.dn).slice(0, requestCount);
const directoryStart = Date.now();
await inParallel(dns, async (dn) => {
  await ldap.modify(group('bench-floor'), [new Change({ operation: 'add', modification: new Attribute({ type: 'member', values: [dn] }) })]);
});
const directoryMs = Date.now() - directoryStart;
const engineStart = Date.now();
await inParallel(requestIds, async (id) => {
  await temporal.workflow.getHandle(accessRequestWorkflowId(id)).describe();
});
const engineMs = Date.now() - engineStart;

// 2. Worker memory with assignments waiting on expiry: granted in a week, each person's workflow told.
const endsAt = new Date(Date.now() + 7 * 86_400_000);
const grantStart = Date.now();
await inParallel(ids, async (employeeId) => {
  for (let i = 0; i < perPerson; i++) {
    const granted = await grantAssignment(db, { id: `bench-${employeeId}-${i}`, employeeId, packageId: `bench-${i}`, source: 'admin', grantedBy: 'bench', reason: 'bench', endsAt }, { ruleGroups: [], now: new Date(), cause: { actor: 'bench', key: `bench-${employeeId}-${i}` } });
    if (!granted.ok) throw new Error(granted.conflict);
  }
  await temporal.workflow.getHandle(identityWorkflowId(employeeId)).signal(accessChangedSignal);
});
await until(async () => (await members(`bench-${perPerson - 1}`)) >= peopleCount, 30 * 60_000, 'every assignment in LDAP');
const grantedMs = Date.now() - grantStart;
await until(() => everyoneSays(ids, personState, (s) => s.access?.nextAt !== undefined), 300_000, 'every person waiting on expiry');
const rssBusy = rssMb(workerPid!);
await new Promise((resolve) => setTimeout(resolve, 30_000));
const rssWaiting = rssMb(workerPid!);

const perSecond = (count: number, ms: number) => (count / (ms / 1000)).toFixed(1);
console.log(`
access requests, one stage    ${requestCount} requests, ${approved} approved; ${concurrency} concurrent decisions by the manager
  decided                     ${perSecond(requestCount, decidedAt - decideStart)} requests/s (${seconds(decidedAt - decideStart)} s; each decision answers after its stage is settled)
  decided and provisioned     ${perSecond(requestCount, provisionedAt - decideStart)} requests/s (${seconds(provisionedAt - decideStart)} s to the last LDAP member)
  floor: the directory alone  ${perSecond(requestCount, directoryMs)} member adds/s (${seconds(directoryMs)} s, same ${concurrency} concurrent, same slapd)
  floor: the engine alone     ${perSecond(requestCount, engineMs)} workflow describes/s (${seconds(engineMs)} s)
assignments waiting on expiry ${peopleCount * perPerson} (${peopleCount} people × ${perPerson} packages, ending in 7 days), granted and in LDAP in ${seconds(grantedMs)} s
  worker RSS                  ${rssWaiting.toFixed(0)} MB waiting, workflow cache ${values.cache ?? 'the SDK default'} (${rssBusy.toFixed(0)} MB right after the wave)
  floor: no assignment        ${rssPeople.toFixed(0)} MB with the ${peopleCount} people and no assignment; ${rssIdle.toFixed(0)} MB idle before anyone
`);

await ldap.unbind();
await temporal.connection.close();
await stack.stop();
await mail.stop();
