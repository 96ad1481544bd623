import { it } from 'vitest';
import { startFaultStack } from './harness';
import { Cohort, HrClient } from './hr-client';
import { awaitBaseline, awaitRecovery, expectNothingLostOrDoubled, expectRecoveredWithin, formatReport, identityLine, targetLines } from './scenario';

// Scenario 2: OpenLDAP hung (SIGSTOP) for 60 s, and — on a stack of its own — killed for 30 s
// and restarted on the same data, while 100 immediate hires and 50 movers arrive. Within 60 s of
// its return every entry, mover change, welcome mail and group membership is there, and nobody
// touched the API's resume.

const outages = [
  { label: 'S2a', title: 'OpenLDAP hung (SIGSTOP) 60 s during 100 hires + 50 movers', kind: 'hang', seconds: 60 },
  { label: 'S2b', title: 'OpenLDAP killed for 30 s, restarted on its data, during 100 hires + 50 movers', kind: 'kill', seconds: 30 },
] as const;

for (const outage of outages) {
  it(`${outage.title}: all there within 60 s of its return, no operator action`, async () => {
    const stack = await startFaultStack({ label: outage.label });
    try {
      const cohort = new Cohort(outage.label);
      const hr = new HrClient(stack.apis, stack.key, cohort);
      const staff = Array.from({ length: 50 }, () => cohort.hire());
      await hr.send(staff, { rate: 25 });
      await awaitBaseline(stack, cohort);

      const faultStartedAt = Date.now();
      if (outage.kind === 'hang') stack.slapd.hang();
      else await stack.slapd.kill();
      const work = [...Array.from({ length: 100 }, () => cohort.hire()), ...staff.map(([id]) => cohort.move(id))];
      await hr.send(work, { rate: 10 });
      // What an operator sees shortly before the directory comes back.
      const faultEndsAt = faultStartedAt + outage.seconds * 1000;
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, faultEndsAt - 3000 - Date.now())));
      const during = await identityLine(stack, work[0]![0], 'during');
      const targetsDuring = await targetLines(stack);
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, faultEndsAt - Date.now())));
      if (outage.kind === 'hang') stack.slapd.resume();
      else await stack.slapd.start();
      const faultEndedAt = Date.now();

      const { recovery, tally } = await awaitRecovery(stack, cohort, { faultEndedAt, timeoutMs: 90_000 });
      console.log(
        formatReport(outage.title, stack, tally, recovery, [
          `fault                 ${((faultEndedAt - faultStartedAt) / 1000).toFixed(1)} s; ${work.length} records accepted during it`,
          during,
          ...targetsDuring.map((line) => line.replace(/^target (\S+)\s*/, (_, name: string) => `target ${name} during`.padEnd(22))),
          await identityLine(stack, work[0]![0], 'after'),
          ...(await targetLines(stack)),
        ]),
      );
      expectNothingLostOrDoubled(tally, stack);
      expectRecoveredWithin(recovery, 60_000);
    } finally {
      await stack.stop();
    }
  });
}
