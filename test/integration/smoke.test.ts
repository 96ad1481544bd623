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
