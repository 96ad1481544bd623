import { allHandlersFinished, condition, continueAsNew, proxyActivities, setHandler } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { probeTargetSignal } from './messages';

const breaker = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds' },
});
const drain = proxyActivities<Activities>({
  startToCloseTimeout: '6 hours',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds' },
});

/** Rounds before the history is handed to a fresh run. */
const roundsPerRun = 200;

/**
 * Watches one target while its breaker is open or quarantined (`target-breaker:{queue}:{name}`,
 * visible in Temporal UI): probes it when due — or at once when an operator asks —, and once it
 * answers, brings everyone who waited up to date. Ends when nobody waits and the breaker is closed.
 */
export async function targetBreakerWorkflow(input: { target: string; probeAsked?: boolean }): Promise<void> {
  let probeAsked = input.probeAsked ?? false;
  setHandler(probeTargetSignal, () => {
    probeAsked = true;
  });
  for (let round = 0; round < roundsPerRun; round++) {
    const status = await breaker.targetBreakerStatus({ target: input.target });
    if (status.state === 'closed') {
      const { reopened } = await drain.drainTarget({ target: input.target });
      if (!reopened) return;
      continue;
    }
    const due = (status.nextProbeAt ?? Date.now()) - Date.now();
    if (due > 0 && !probeAsked) await condition(() => probeAsked, due);
    probeAsked = false;
    await breaker.probeTarget({ target: input.target });
  }
  await condition(allHandlersFinished);
  await continueAsNew<typeof targetBreakerWorkflow>({ target: input.target, probeAsked });
}
