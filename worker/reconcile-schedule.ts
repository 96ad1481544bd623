import { ScheduleAlreadyRunning, ScheduleNotFoundError, ScheduleOverlapPolicy, type Client, type ScheduleOptions } from '@temporalio/client';
import { parseExactDuration } from '../domain/time';
import type * as workflows from '../workflows';

type WorkflowName = keyof typeof workflows;

// The drift sweep runs as a Temporal Schedule, so operators see, pause and trigger it in
// Temporal UI. One schedule per task queue: the Tenure deployment whose workers poll it.

export const reconcileScheduleId = (taskQueue: string) => `tenure-reconcile:${taskQueue}`;

/** Creates the schedule, or brings an existing one to this interval; "off" deletes it. Safe for every worker to call at start. */
export async function ensureReconcileSchedule(client: Client, { taskQueue, every }: { taskQueue: string; every: string }): Promise<void> {
  const scheduleId = reconcileScheduleId(taskQueue);
  if (every === 'off') {
    try {
      await client.schedule.getHandle(scheduleId).delete();
    } catch (error) {
      if (!(error instanceof ScheduleNotFoundError)) throw error;
    }
    return;
  }
  const options: ScheduleOptions = {
    scheduleId,
    spec: { intervals: [{ every: parseExactDuration(every) }] },
    action: { type: 'startWorkflow', workflowType: 'reconcileSweepWorkflow' satisfies WorkflowName, taskQueue, workflowId: `reconcile-sweep:${taskQueue}`, args: [] },
    // A sweep still going when the next is due makes the next one pointless.
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 minute' },
  };
  try {
    await client.schedule.create(options);
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
    await client.schedule.getHandle(scheduleId).update((previous) => ({ ...previous, spec: options.spec, action: options.action }));
  }
}
