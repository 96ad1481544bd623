import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { AccessRolloutInput } from './messages';

const { rollOutAccessChange } = proxyActivities<Activities>({
  // A rollout of a million people at 50 a second takes between five and six hours.
  startToCloseTimeout: '24 hours',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '5 seconds', maximumInterval: '5 minutes' },
});

/**
 * After a saved change to a package's automatic policies, resources or incompatibilities (or its
 * switch): everyone already known plans their access again, at a bounded pace, with the progress
 * kept in the rollout's row. A crash resumes from the activity's last heartbeat.
 */
export async function accessRolloutWorkflow(input: AccessRolloutInput): Promise<{ done: number; signalled: number; superseded: boolean }> {
  return rollOutAccessChange({ rolloutId: input.rolloutId });
}
