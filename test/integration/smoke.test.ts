import { afterAll, beforeAll, expect, it } from 'vitest';
import { newEmployeeId, workerRecord } from '../helpers/builders';
import { isLocked, startTestEnvironment, waitFor, type TestEnvironment } from '../helpers/environment';

let env: TestEnvironment;
beforeAll(async () => {
  env = await startTestEnvironment();
});
afterAll(async () => env?.stop());

it('an immediate hire becomes active with an enabled LDAP entry', async () => {
  const id = newEmployeeId();
  const res = await env.put(id, workerRecord({ givenName: 'Grace', familyName: 'Hopper' }));
  expect(res.status).toBe(202);
  const identity = await waitFor(async () => {
    const i = await env.identity(id);
    return i?.state === 'active' ? i : undefined;
  });
  expect(identity.username).toBe('grace.hopper');
  const entry = await env.entry(id);
  expect(entry).toBeDefined();
  expect(isLocked(entry!)).toBe(false);
  expect((await env.events(id)).map((e) => e.kind)).toEqual(['record.hire', 'account.created', 'state.changed']);
});

it('runs workflows in one shared V8 context whose deadlock detector allows 60 s, not 5', () => {
  // A stopped activation crashes the worker thread (see worker/create-worker.ts); the SDK takes
  // this option without declaring it, so an upgrade that drops it must fail here.
  expect(env.worker!.options).toMatchObject({ isolateExecutionTimeoutMs: 60_000, reuseV8Context: true });
});
