import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import proto from '@temporalio/proto';
import { createApiKey } from '../api/api-keys';
import { saveCatalog, savePackage } from '../db/queries/access';
import { validatePackage } from '../domain/access-packages';
import { reconcileScheduleId } from '../worker/reconcile-schedule';
import { startLocalStack } from './local-stack';
import { startMailSink } from './mail-sink';
import { freePort } from './ports';

// Records real identity-workflow histories into test/replay/histories. The replay test runs
// today's workflow code against them, so a change that would break running workflows (a
// non-deterministic edit) fails in CI. Re-record only when such a break is intended and
// versioned: `npm run tenure:record-histories`.

const out = join(import.meta.dirname, '..', 'test', 'replay', 'histories');
const smtpPort = await freePort();
const mail = await startMailSink(smtpPort, () => {});
const stack = await startLocalStack({ env: { TENURE_PREHIRE_LEAD: 'PT2S', TENURE_LEAVER_RETENTION: 'PT3S', TENURE_SMTP_URL: `smtp://127.0.0.1:${smtpPort}` } });
const headers = { authorization: `Bearer ${stack.key}`, 'content-type': 'application/json' };
let stamp = Date.now();
const asOf = () => new Date(stamp++).toISOString();
const inMs = (ms: number) => new Date(Date.now() + ms).toISOString();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const base = { givenName: 'Replay', familyName: 'Person', employeeType: 'employee', department: 'Engineering', timeZone: 'Europe/Berlin' };

async function put(id: string, record: Record<string, unknown>) {
  const res = await fetch(`${stack.api}/v1/workers/${id}`, { method: 'PUT', headers, body: JSON.stringify({ asOf: asOf(), ...base, ...record }) });
  if (res.status !== 202) throw new Error(`${id}: ${res.status} ${await res.text()}`);
}
async function state(id: string): Promise<string | undefined> {
  const res = await fetch(`${stack.api}/v1/identities/${id}`, { headers });
  return res.ok ? ((await res.json()) as { state: string }).state : undefined;
}
async function until(id: string, wanted: string) {
  const deadline = Date.now() + 60_000;
  while ((await state(id)) !== wanted) {
    if (Date.now() > deadline) throw new Error(`${id} never became ${wanted}`);
    await sleep(200);
  }
}

try {
  // Lifecycle workflows: a welcome on day one (its group task fails and the run goes on) and a mover mail.
  for (const definition of [
    {
      id: 'replay-welcome',
      name: 'Replay welcome',
      category: 'joiner',
      trigger: { type: 'time', on: 'hireDate', offset: 'P0D' },
      scope: "department eq 'Engineering'",
      tasks: [{ type: 'send-welcome-email' }, { type: 'add-to-groups', continueOnError: true, args: { groups: ['no-such-group'] } }],
    },
    { id: 'replay-move', name: 'Replay move', category: 'mover', trigger: { type: 'attribute-change', attributes: ['jobTitle'] }, tasks: [{ type: 'notify-manager-of-move' }] },
  ]) {
    const res = await fetch(`${stack.api}/v1/lifecycle-workflows`, { method: 'POST', headers, body: JSON.stringify(definition) });
    if (res.status !== 201) throw new Error(`definition ${definition.id}: ${res.status} ${await res.text()}`);
  }

  // A hire, a move, a leave and the deletion after retention.
  await put('R-LIFE', { hireDate: '2024-01-08', jobTitle: 'Engineer' });
  await until('R-LIFE', 'active');
  await put('R-LIFE', { hireDate: '2024-01-08', jobTitle: 'Senior Engineer' });
  await put('R-LIFE', { hireDate: '2024-01-08', jobTitle: 'Senior Engineer', leaveDate: inMs(1500) });
  await until('R-LIFE', 'deleted');

  // Pre-hire inside the lead time, then the offer is rescinded.
  await put('R-CANCEL', { hireDate: inMs(1500) });
  await until('R-CANCEL', 'prehire');
  await fetch(`${stack.api}/v1/workers/R-CANCEL`, { method: 'DELETE', headers });
  await until('R-CANCEL', 'cancelled');

  // A report before the manager, a stale record, and a rehire within retention.
  await put('R-REPORT', { hireDate: '2024-01-08', managerEmployeeId: 'R-BOSS' });
  await until('R-REPORT', 'active');
  await put('R-BOSS', { givenName: 'Boss', hireDate: '2020-01-06' });
  await until('R-BOSS', 'active');
  await sleep(1000);
  await fetch(`${stack.api}/v1/workers/R-REPORT`, { method: 'PUT', headers, body: JSON.stringify({ asOf: '2000-01-01T00:00:00Z', ...base, hireDate: '2024-01-08' }) });
  await put('R-REPORT', { hireDate: '2024-01-08', managerEmployeeId: 'R-BOSS', leaveDate: inMs(1000) });
  await until('R-REPORT', 'terminated');
  await put('R-REPORT', { hireDate: inMs(2500), managerEmployeeId: 'R-BOSS' });
  await until('R-REPORT', 'active');

  const connection = await Connection.connect({ address: stack.temporalAddress });
  const client = new Client({ connection });

  // A person whose workflow continues as new every few dozen events, with a group change in flight.
  await client.workflow.start('identityWorkflow', { workflowId: 'identity-R-CAN', taskQueue: 'tenure-lifecycle', args: [{ employeeId: 'R-CAN', maxHistoryEvents: 30 }] });
  for (let i = 0; i < 8; i++) {
    await put('R-CAN', { hireDate: '2024-01-08', jobTitle: `Title ${i}` });
    await client.workflow.getHandle('identity-R-CAN').signal('groupMembershipChanged', { group: 'replay', change: 'added', key: `replay-${i}` });
    await sleep(300);
  }
  await until('R-CAN', 'active');

  // An access package granted by rule, and one by a request its manager approves.
  await saveCatalog(stack.db, { id: 'replay', name: 'Replay', owners: [] }, 'replay');
  for (const [id, policies] of [
    ['replay-auto', [{ id: 'eng', type: 'auto', rule: "department eq 'Engineering'" }]],
    ['replay-ask', [{ id: 'ask', type: 'request', justification: 'optional', stages: [{ approvers: [{ type: 'manager' }] }] }]],
  ] as const) {
    const parsed = validatePackage({ id, catalog: 'replay', name: id, resources: [{ target: 'ldap', group: `cn=replay,ou=groups,${stack.slapd.suffix}` }], policies }, { groupTargets: ['ldap'], extensions: [] });
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
    await savePackage(stack.db, parsed.accessPackage, { source: 'replay', actor: 'replay' });
  }
  await put('R-ASK', { hireDate: '2024-01-08', managerEmployeeId: 'R-BOSS' });
  await until('R-ASK', 'active');
  const asked = await fetch(`${stack.api}/v1/access-requests`, { method: 'POST', headers, body: JSON.stringify({ employeeId: 'R-ASK', packageId: 'replay-ask' }) });
  if (asked.status !== 202) throw new Error(`access request: ${asked.status} ${await asked.text()}`);
  const requestId = ((await asked.json()) as { id: string }).id;
  const { key: bossKey } = await createApiKey(stack.db, { name: 'replay-boss', scopes: ['self-service'], employeeId: 'R-BOSS' });
  for (let decided = false; !decided; await sleep(300)) {
    const res = await fetch(`${stack.api}/v1/access-requests/${requestId}/decision`, { method: 'POST', headers: { ...headers, authorization: `Bearer ${bossKey}` }, body: JSON.stringify({ decision: 'approve' }) });
    decided = res.status === 200;
  }
  await client.workflow.getHandle(`access-request-${requestId}`).result();
  await sleep(2000);

  // A drift sweep: everyone with accounts (R-BOSS, R-REPORT) gets the reconcile signal.
  await client.schedule.getHandle(reconcileScheduleId('tenure-lifecycle')).trigger();
  await sleep(3000);
  mkdirSync(out, { recursive: true });
  // Wait for the lifecycle runs (the welcome at the rehire, the mover mail) to finish.
  let runs: { runId: string; status: string }[] = [];
  for (const deadline = Date.now() + 60_000; Date.now() < deadline; await sleep(500)) {
    const res = await fetch(`${stack.api}/v1/lifecycle-runs`, { headers });
    runs = ((await res.json()) as { items: { runId: string; status: string }[] }).items;
    if (runs.length >= 2 && runs.every((r) => !['queued', 'in_progress'].includes(r.status))) break;
  }
  if (runs.length < 2) throw new Error(`expected two lifecycle runs, found ${runs.length}`);
  // The first run of R-CAN ends in continue-as-new; its current run starts from the carried state.
  let firstCanRun: string | undefined;
  for await (const execution of client.workflow.list({ query: `WorkflowId = 'identity-R-CAN' AND ExecutionStatus = 'ContinuedAsNew'` })) {
    firstCanRun ??= execution.runId;
  }
  if (!firstCanRun) throw new Error('identity-R-CAN never continued as new');
  const recorded: [string, string, string | undefined][] = [
    ...['R-LIFE', 'R-CANCEL', 'R-REPORT', 'R-BOSS', 'R-ASK', 'R-CAN'].map((id): [string, string, undefined] => [`identity-${id}`, `identity-${id}`, undefined]),
    ['identity-R-CAN', 'identity-R-CAN-first', firstCanRun],
    [`access-request-${requestId}`, 'access-request-R-ASK', undefined],
    // One run of each definition is enough to replay.
    ...[...new Map(runs.map((r) => [r.runId.replace(/-R-.*/, ''), r])).values()].map((r): [string, string, undefined] => [r.runId, r.runId, undefined]),
  ];
  for (const [workflowId, file, runId] of recorded) {
    const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    // Binary protobuf: the exact bytes the server keeps, with no JSON conversion in between.
    writeFileSync(join(out, `${file}.binpb`), proto.temporal.api.history.v1.History.encode(history).finish());
    const signals = (history.events ?? []).flatMap((e) => (e.workflowExecutionSignaledEventAttributes?.signalName ? [e.workflowExecutionSignaledEventAttributes.signalName] : []));
    console.log(`recorded ${file} (${history.events?.length} events; signals: ${[...new Set(signals)].join(', ') || 'none'})`);
  }
  await connection.close();
} finally {
  await stack.stop();
  await mail.stop();
}
