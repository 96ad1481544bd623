import { afterAll, beforeAll, expect, it } from 'vitest';
import { newEmployeeId, workerRecord } from '../helpers/builders';
import { startTestEnvironment, waitFor, type TestEnvironment } from '../helpers/environment';

// A failure that retrying cannot fix is a fact about the person: visible on the identity and
// in the trail, and the workflow keeps serving later records.

let env: TestEnvironment;
beforeAll(async () => {
  // One pattern and no numeric suffix: the second person with the same given name has no username left.
  env = await startTestEnvironment({ env: { TENURE_USERNAME_PATTERNS: '{given}' } });
});
afterAll(async () => env?.stop());

it('a username that cannot be found is reported on the identity, and a corrected record recovers', async () => {
  const first = newEmployeeId();
  const second = newEmployeeId();
  const given = `Unique${newEmployeeId().slice(1, 6)}`;
  await env.put(first, workerRecord({ givenName: given }));
  await waitFor(async () => (await env.identity(first))?.state === 'active');

  const record = workerRecord({ givenName: given });
  await env.put(second, record);
  const failed = await waitFor(async () => {
    const identity = await env.identity(second);
    return identity?.lastError ? identity : undefined;
  }, { what: 'the failure on the identity' });
  expect(failed.lastError).toMatch(/no free username/);
  expect(failed.accounts).toEqual([]);
  // The lifecycle follows HR and the clock; the failure is shown and retried.
  expect(failed.state).toBe('active');
  expect((await env.events(second)).map((e) => e.kind)).toContain('provisioning.failed');
  expect(await env.entry(second)).toBeUndefined();

  // HR corrects the name: the same workflow provisions the person.
  await env.put(second, { ...record, asOf: new Date().toISOString(), givenName: `${given}b` });
  const recovered = await waitFor(async () => {
    const identity = await env.identity(second);
    return identity?.state === 'active' && !identity.lastError ? identity : undefined;
  }, { what: 'recovery' });
  expect(recovered.lastError).toBeNull();
  expect(recovered.username).toBe(`${given.toLowerCase()}b`);
});
