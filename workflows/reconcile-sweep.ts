import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';

const { askIdentitiesToReconcile } = proxyActivities<Activities>({
  startToCloseTimeout: '1 hour',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '5 seconds', maximumInterval: '5 minutes' },
});

/**
 * Started by the reconciliation schedule: every person with accounts compares them with their
 * desired state, so drift made outside Tenure is put right without waiting for the next change.
 */
export async function reconcileSweepWorkflow(): Promise<number> {
  return askIdentitiesToReconcile();
}
