import { expect, it } from 'vitest';
import type { LostDoubled, Tally } from './counts';
import { startFaultStack } from './harness';
import { Cohort, HrClient } from './hr-client';
import { awaitBaseline, awaitRecovery, expectNothingLostOrDoubled, formatReport } from './scenario';

// Scenario 5: the same work — 200 hires from 50 concurrent HR clients spread over the API
// processes, then 50 movers each sent to every API at once — on one worker and one API, and on
// two of each: the outcomes are the same, and nothing is lost or done twice.

async function run(label: string, processes: number): Promise<Tally> {
  const stack = await startFaultStack({ label, workers: processes, apis: processes });
  try {
    const cohort = new Cohort(label);
    const hr = new HrClient(stack.apis, stack.key, cohort);
    const hires = Array.from({ length: 200 }, () => cohort.hire());
    const started = Date.now();
    const queue = [...hires];
    await Promise.all(
      Array.from({ length: 50 }, async () => {
        for (let next = queue.shift(); next; next = queue.shift()) await hr.deliver(...next);
      }),
    );
    await awaitBaseline(stack, cohort);
    // The same mover record reaches every API process at the same moment, as a retrying HR system might.
    const moves = hires.slice(0, 50).map(([id]) => cohort.move(id));
    await Promise.all(moves.flatMap(([id, record]) => stack.apis().map(() => hr.deliver(id, record))));
    const { recovery, tally } = await awaitRecovery(stack, cohort, { faultEndedAt: started, timeoutMs: 180_000, since: 'the first request' });
    console.log(
      formatReport(`${processes} worker${processes > 1 ? 's' : ''} and ${processes} API process${processes > 1 ? 'es' : ''}: 200 hires from 50 clients + 50 movers sent to every API`, stack, tally, recovery),
    );
    expectNothingLostOrDoubled(tally, stack);
    return tally;
  } finally {
    await stack.stop();
  }
}

/** The counts that make an outcome, without timings or which people are named. */
function outcome(t: Tally) {
  const strip = <T extends LostDoubled>({ examples: _examples, ...rest }: T) => rest;
  return {
    people: t.people,
    movers: t.movers,
    complete: t.complete,
    ldap: strip(t.ldap),
    created: Object.fromEntries(Object.entries(t.created).map(([k, v]) => [k, strip(v)])),
    welcome: strip(t.welcome),
    allStaff: t.allStaff,
    ruleGroup: t.ruleGroup,
    runs: t.runs,
    runsDoubled: t.runsDoubled,
    failedWorkflows: t.failedWorkflows.count,
  };
}

it('two workers and two API processes give the same outcomes as one of each', async () => {
  const one = await run('S5a', 1);
  const two = await run('S5b', 2);
  expect.soft(outcome(two), 'two of each compared with one of each').toEqual(outcome(one));
});
