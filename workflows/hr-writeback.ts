import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';

const { writeBackToHr } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  // HR may be down for days: keep trying, at most every ten minutes, until it answers.
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '10 minutes' },
});

/** Tells HR a person's username and work email; runs apart from the identity so it never blocks it. */
export async function hrWritebackWorkflow(input: { employeeId: string }): Promise<string> {
  const { workflowId } = workflowInfo();
  return writeBackToHr({ ...input, workflowId, key: `${workflowId}:writeback` });
}
