import { afterAll, beforeAll, it } from 'vitest';
import { escapeFilterValue } from '../../activities/connectors/ldap-escape';
import { startFaultStack, type FaultStack } from './harness';
import { peopleDn } from './tenure-config';
import { Cohort, HrClient } from './hr-client';
import { awaitRecovery, expectNothingLostOrDoubled, formatReport } from './scenario';

// Scenario 1: the worker is SIGKILLed three times while 300 immediate hires are provisioned and
// onboarded; a new worker starts after each kill.

let stack: FaultStack;
beforeAll(async () => {
  stack = await startFaultStack({ label: 'S1' });
});
afterAll(async () => stack?.stop());

it('the worker SIGKILLed 3× during 300 hires loses nothing and does nothing twice', async () => {
  const cohort = new Cohort('S1');
  const hr = new HrClient(stack.apis, stack.key, cohort);
  const hires = Array.from({ length: 300 }, () => cohort.hire());
  const sending = hr.send(hires, { rate: 25 });

  const ldap = await stack.ldapAdmin();
  const entries = async () =>
    (await ldap.search(peopleDn, { filter: `(employeeNumber=${escapeFilterValue(cohort.prefix)}-*)`, attributes: ['employeeNumber'] })).searchEntries.length;
  const killedAt: number[] = [];
  for (const share of [0.25, 0.5, 0.75]) {
    while ((await entries()) < hires.length * share) await new Promise((resolve) => setTimeout(resolve, 100));
    killedAt.push(await entries());
    await stack.killWorker();
    await stack.startWorker();
  }
  await ldap.unbind();
  const faultEndedAt = Date.now();
  await sending;

  const { recovery, tally } = await awaitRecovery(stack, cohort, { faultEndedAt, timeoutMs: 180_000 });
  console.log(formatReport('worker SIGKILLed 3× during 300 hires', stack, tally, recovery, [`killed at              ${killedAt.join(', ')} LDAP entries (the fault ends when the third replacement polls)`]));
  expectNothingLostOrDoubled(tally, stack, { workersKilled: killedAt.length });
});
