import { WorkflowIdConflictPolicy, type Client } from '@temporalio/client';
import type { lifecycleReplanWorkflow } from '../workflows/lifecycle-replan';
import type { Logger } from './app';

/** Every person plans their lifecycle runs again; a newer change replaces a pass still going. */
export async function startLifecycleReplan(client: Client, taskQueue: string, log: Logger, timeoutMs: number): Promise<void> {
  try {
    await client.withDeadline(Date.now() + timeoutMs, () =>
      client.workflow.start<typeof lifecycleReplanWorkflow>('lifecycleReplanWorkflow', {
        workflowId: 'lifecycle-replan',
        taskQueue,
        workflowIdConflictPolicy: WorkflowIdConflictPolicy.TERMINATE_EXISTING,
      }),
    );
  } catch (error) {
    // The definition is saved; people pick it up at their next record or timer.
    log.warn({ err: error }, 'could not start the lifecycle re-plan');
  }
}
