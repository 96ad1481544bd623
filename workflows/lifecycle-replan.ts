import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';

const { notifyIdentitiesOfDefinitionChange } = proxyActivities<Activities>({
  startToCloseTimeout: '1 hour',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '5 seconds', maximumInterval: '5 minutes' },
});

/** After a definition is saved or switched: every person plans their lifecycle runs again. */
export async function lifecycleReplanWorkflow(): Promise<number> {
  return notifyIdentitiesOfDefinitionChange();
}
