import { afterAll, beforeAll, expect, it } from 'vitest';
import { snapshot } from './counts';
import { startFaultStack, type FaultStack } from './harness';
import { Cohort, HrClient } from './hr-client';
import { awaitBaseline, awaitRecovery, expectNothingLostOrDoubled, formatReport, targetLines } from './scenario';

// Scenario 6: for one minute a SCIM application answers 503 (the first half) and then 429 with
// Retry-After (the second), while the Samba AD DC is away (frozen when shared by this machine's
// checkouts, killed when the suite owns it). Hires and movers that arrive meanwhile are applied
// once on every target afterwards.

const outageMs = 60_000;
const retryAfterSeconds = 5;

let stack: FaultStack;
beforeAll(async () => {
  stack = await startFaultStack({ label: 'S6', scim: true, activeDirectory: true });
});
afterAll(async () => stack?.stop());

it('SCIM 503 then 429 with Retry-After for a minute, and the AD DC away for a minute: changes applied once after', async () => {
  const scim = stack.scim!;
  const dc = stack.dc!;
  const cohort = new Cohort('S6');
  const hr = new HrClient(stack.apis, stack.key, cohort);
  const staff = Array.from({ length: 20 }, () => cohort.hire());
  await hr.send(staff, { rate: 20 });
  await awaitBaseline(stack, cohort);
  const before = await snapshot(stack, cohort);

  const faultStartedAt = Date.now();
  scim.faults.outage = { unavailableUntil: faultStartedAt + outageMs / 2, throttledUntil: faultStartedAt + outageMs, retryAfterSeconds };
  await dc.takeDown(outageMs / 1000 + 20);
  const requestsBefore = scim.requests.length;
  try {
    await hr.send([...Array.from({ length: 30 }, () => cohort.hire()), ...staff.map(([id]) => cohort.move(id))], { rate: 10 });
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, faultStartedAt + outageMs - Date.now())));
  } finally {
    await dc.bringBack();
  }
  const faultEndedAt = Date.now();
  const duringOutage = scim.requests.slice(requestsBefore);

  const { recovery, tally, final } = await awaitRecovery(stack, cohort, { faultEndedAt, timeoutMs: 120_000 });

  // A mover's change is one update per target; a hire's accounts are created once and left alone.
  const updates = (names: string[]) =>
    ['ldap', 'scim', 'ad'].map((target) => {
      const counts = names.map((id) => (final.people.get(id)?.updated[target] ?? 0) - (before.people.get(id)?.updated[target] ?? 0));
      const histogram: Record<number, number> = {};
      for (const n of counts) histogram[n] = (histogram[n] ?? 0) + 1;
      return { target, counts, text: `${target} ${Object.entries(histogram).map(([n, people]) => `${people}×${n}`).join(' ')}` };
    });
  const movers = updates([...cohort.movers]);
  const scimStatuses: Record<string, number> = {};
  for (const r of duringOutage) scimStatuses[r.status] = (scimStatuses[r.status] ?? 0) + 1;
  console.log(
    formatReport('SCIM 503 then 429 (Retry-After) for 60 s + Samba AD DC away for 60 s', stack, tally, recovery, [
      `fault                 ${((faultEndedAt - faultStartedAt) / 1000).toFixed(1)} s; AD DC ${dc.outage}; SCIM 503 for ${outageMs / 2000} s, then 429 Retry-After ${retryAfterSeconds} s`,
      `SCIM requests (fault) ${Object.entries(scimStatuses).map(([s, n]) => `${n} × ${s}`).join(', ') || 'none'}`,
      `movers' updates       ${movers.map((m) => m.text).join('; ')} (people × account.updated rows)`,
      ...(await targetLines(stack)),
    ]),
  );
  expectNothingLostOrDoubled(tally, stack);
  for (const m of movers) expect.soft(m.counts.filter((n) => n !== 1).length, `movers whose change reached ${m.target} other than once`).toBe(0);
});
