import { Attribute, Change } from 'ldapts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { identityWorkflow } from '../../workflows/identity';
import { groupMembershipChangedSignal, identityWorkflowId, reconcileSignal, runLifecycleWorkflowSignal } from '../../workflows/messages';
import { newEmployeeId, nextAsOf, workerRecord } from '../helpers/builders';
import { startTestEnvironment, waitFor, type TestEnvironment } from '../helpers/environment';

// The person's workflow continues as new every few dozen events here, while updates and signals
// keep arriving: every provision-now is answered, and no record, sweep, group change or
// on-demand request that lands while a run is closing is lost.

let env: TestEnvironment;

beforeAll(async () => {
  env = await startTestEnvironment();
  for (const definition of [
    { id: 'on-group', name: 'On group change', category: 'mover', trigger: { type: 'group-change', change: 'added', group: 'storm' }, tasks: [{ type: 'enable-account' }] },
    { id: 'on-demand', name: 'On demand', category: 'mover', trigger: { type: 'on-demand' }, tasks: [{ type: 'enable-account' }] },
  ]) {
    expect((await env.request('POST', '/v1/lifecycle-workflows', definition)).status).toBe(201);
  }
});
afterAll(async () => {
  await env?.stop();
});

const runsOf = async (id: string, definition: string) => (await env.request('GET', `/v1/lifecycle-runs?employeeId=${id}&workflowId=${definition}&limit=1000`)).body.items as { status: string }[];

describe('continue-as-new under a storm of messages', () => {
  it('answers every provision-now and loses no record, sweep, group change or on-demand request', async () => {
    const id = newEmployeeId();
    const workflowId = identityWorkflowId(id);
    await env.client.workflow.start<typeof identityWorkflow>('identityWorkflow', { workflowId, taskQueue: env.taskQueue, args: [{ employeeId: id, maxHistoryEvents: 30 }] });
    const base = workerRecord();
    expect((await env.put(id, base)).status).toBe(202);
    await waitFor(async () => (await env.identity(id))?.state === 'active', { what: `${id} active` });
    const handle = env.client.workflow.getHandle(workflowId);
    const firstRun = (await handle.describe()).runId;

    const groupChanges = 12;
    const onDemand = 8;
    const records = 10;
    const provisions = 12;
    const sends: Promise<unknown>[] = [];
    for (let i = 0; i < Math.max(groupChanges, onDemand, records, provisions); i++) {
      // One after another, as an HR feed sends them (concurrent ones would queue for the relay).
      if (i < records) expect((await env.put(id, { ...base, asOf: nextAsOf(), jobTitle: `Title ${i}` })).status).toBe(202);
      if (i < groupChanges) sends.push(handle.signal(groupMembershipChangedSignal, { group: 'storm', change: 'added', key: `storm-${i}` }));
      if (i < onDemand) sends.push(handle.signal(runLifecycleWorkflowSignal, { definitionId: 'on-demand', requestId: `r${i}`, requestedBy: 'test' }));
      sends.push(handle.signal(reconcileSignal));
      // provision-now waits for its answer: a handler accepted while the run closes must still get one.
      if (i < provisions) sends.push(env.request('POST', `/v1/identities/${id}/provision`).then((r) => expect(r.status, JSON.stringify(r.body)).toBe(200)));
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await Promise.all(sends);

    expect((await handle.describe()).runId).not.toBe(firstRun);
    await waitFor(async () => (await env.identity(id))?.jobTitle === `Title ${records - 1}`, { what: 'the last record applied' });
    await waitFor(async () => (await runsOf(id, 'on-group')).length === groupChanges, { timeoutMs: 60_000, what: `${groupChanges} group-change runs` });
    await waitFor(async () => (await runsOf(id, 'on-demand')).length === onDemand, { timeoutMs: 60_000, what: `${onDemand} on-demand runs` });

    // A sweep sent into the storm's wake still corrects a hand edit.
    const entry = (await env.entry(id))!;
    await env.admin.modify(entry.dn, [new Change({ operation: 'replace', modification: new Attribute({ type: 'title', values: ['Edited by hand'] }) })]);
    for (let i = 0; i < 5; i++) await handle.signal(reconcileSignal);
    await waitFor(async () => (await env.entry(id))?.title === `Title ${records - 1}`, { timeoutMs: 30_000, what: 'the hand edit corrected' });

    expect((await handle.describe()).status.name).toBe('RUNNING');
    expect((await env.events(id)).filter((e) => e.kind === 'account.created')).toHaveLength(1);
    // Still answering after the storm: nothing is left waiting inside the workflow.
    expect((await env.request('POST', `/v1/identities/${id}/provision`)).status).toBe(200);
  });
});
