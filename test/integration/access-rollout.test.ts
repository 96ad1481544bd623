import { NativeConnection } from '@temporalio/worker';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { inject } from 'vitest';
import { saveCatalog } from '../../db/queries/access';
import { createTenureWorker } from '../../worker/create-worker';
import { activityDeps } from '../../worker/deps';
import { identityWorkflowId } from '../../workflows/messages';
import { newEmployeeId, workerRecord } from '../helpers/builders';
import { startTestEnvironment, waitFor, type TestEnvironment } from '../helpers/environment';

// A rollout whose worker goes away in the middle resumes from its last heartbeat on another
// worker: everyone is asked, nobody is asked from the start again, and the progress reaches the total.

let env: TestEnvironment;
const stops: (() => Promise<void>)[] = [];

beforeAll(async () => {
  env = await startTestEnvironment({ worker: false, env: { TENURE_ACCESS_ROLLOUT_PER_SECOND: '4' } });
  await saveCatalog(env.db, { id: 'main', name: 'Main', owners: [] }, 'test');
});
afterAll(async () => {
  for (const stop of stops) await stop();
  await env?.stop();
});

/** A worker of our own, so the test can take it away; a short grace so the rollout's activity is cut off mid-way. */
async function startWorker(): Promise<() => Promise<void>> {
  const connection = await NativeConnection.connect({ address: env.config.temporal.address });
  const { deps, close } = activityDeps(env.config, env.db, env.client);
  const worker = await createTenureWorker({ connection, namespace: env.config.temporal.namespace, taskQueue: env.taskQueue, deps, workflowBundle: { codePath: inject('workflowBundlePath') }, tuning: { shutdownGraceTime: '500 milliseconds' } });
  const running = worker.run();
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    worker.shutdown();
    await running;
    await close();
    await connection.close();
  };
  stops.push(stop);
  return stop;
}

const signalsOf = async (employeeId: string) => {
  const history = await env.client.workflow.getHandle(identityWorkflowId(employeeId)).fetchHistory();
  return (history.events ?? []).filter((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'accessChanged').length;
};

it('resumes from its heartbeat on another worker after the first one went away', async () => {
  const stopFirst = await startWorker();
  const people = Array.from({ length: 16 }, () => newEmployeeId('R'));
  for (const id of people) expect((await env.put(id, workerRecord())).status).toBe(202);
  await waitFor(async () => (await Promise.all(people.map((id) => env.identity(id)))).every((i) => i?.state === 'active'), { timeoutMs: 60_000, what: 'everyone active' });

  const created = await env.request('POST', '/v1/access-packages', { id: 'slow', catalog: 'main', name: 'Slow', resources: [{ target: 'ldap', group: 'cn=slow' }], policies: [{ id: 'eng', type: 'auto', rule: "department eq 'Engineering'" }] });
  expect(created.body.rollout).toMatchObject({ perSecond: 4 });
  const rollouts = async () => (await env.request('GET', '/v1/access-packages/slow/rollouts')).body.items[0];
  await waitFor(async () => (await rollouts()).done >= 4, { timeoutMs: 20_000, what: 'the rollout under way' });
  await stopFirst();
  const cutOff = await rollouts();
  expect(cutOff.status).toBe('running');
  expect(cutOff.done).toBeLessThan(16);

  await startWorker();
  const finished = await waitFor(async () => {
    const row = await rollouts();
    return row.status === 'completed' ? row : undefined;
  }, { timeoutMs: 60_000, what: 'the rollout to complete' });
  expect(finished).toMatchObject({ total: 16, done: 16, signalled: 16 });

  const counts = await Promise.all(people.map(signalsOf));
  expect(counts.every((n) => n >= 1)).toBe(true);
  // Resumed, not started over: at most the batch in flight when the worker went is asked twice.
  expect(counts.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(16 + 2);
  const history = await env.client.workflow.getHandle(created.body.rollout.workflowId).fetchHistory();
  const attempts = (history.events ?? []).flatMap((e) => (e.activityTaskStartedEventAttributes ? [e.activityTaskStartedEventAttributes.attempt] : []));
  expect(Math.max(...attempts.map(Number))).toBeGreaterThan(1);
});
