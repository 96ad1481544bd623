import { afterAll, beforeAll, it } from 'vitest';
import { startFaultStack, type FaultStack } from './harness';
import { Cohort, HrClient } from './hr-client';
import { answers, awaitBaseline, awaitRecovery, expectNothingLostOrDoubled, formatReport } from './scenario';

// Scenario 4: the Temporal dev server SIGKILLed while hires are in flight, down for 31 s, and
// started again on the same port with its state file; HR keeps sending throughout. The API
// stores what arrives (its relay delivers later) and everything is delivered and done once.

const outageMs = 31_000;

let stack: FaultStack;
beforeAll(async () => {
  stack = await startFaultStack({ label: 'S4' });
});
afterAll(async () => stack?.stop());

it('Temporal dev server killed and restarted with its state file: all delivered', async () => {
  const cohort = new Cohort('S4');
  const hr = new HrClient(stack.apis, stack.key, cohort);
  const staff = Array.from({ length: 30 }, () => cohort.hire());
  await hr.send(staff, { rate: 25 });
  await awaitBaseline(stack, cohort);

  // Hires already on their way when the server dies, then more (and the movers) while it is away.
  const inFlight = hr.send(Array.from({ length: 60 }, () => cohort.hire()), { rate: 20 });
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const faultStartedAt = Date.now();
  await stack.temporal.kill();
  await inFlight;
  await hr.send([...Array.from({ length: 60 }, () => cohort.hire()), ...staff.map(([id]) => cohort.move(id))], { rate: 10 });
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, faultStartedAt + outageMs - Date.now())));
  await stack.temporal.start();
  const faultEndedAt = Date.now();

  const { recovery, tally } = await awaitRecovery(stack, cohort, { faultEndedAt, timeoutMs: 180_000 });
  const { byStatus, maxMs } = answers(hr.attempts);
  console.log(
    formatReport('Temporal dev server killed for 31 s, restarted with its state file', stack, tally, recovery, [
      `fault                 ${((faultEndedAt - faultStartedAt) / 1000).toFixed(1)} s`,
      `HR requests           ${Object.entries(byStatus).map(([s, n]) => `${n} × ${s}`).join(', ')}; slowest ${(maxMs / 1000).toFixed(1)} s`,
    ]),
  );
  expectNothingLostOrDoubled(tally, stack);
});
