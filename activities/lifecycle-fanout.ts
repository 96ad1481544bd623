import { activityInfo, heartbeat } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { asc, gt } from 'drizzle-orm';
import type { Db } from '../db/client';
import { identities } from '../db/schema';
import { identityWorkflowId, lifecycleDefinitionsChangedSignal } from '../workflows/messages';

// Tells every person's workflow that lifecycle definitions changed, so each plans its runs again.

const pageSize = 500;
const concurrency = 16;

export function createFanOutActivities({ db, temporal }: { db: Db; temporal: Client }) {
  return {
    /** Pages through identities in id order; a retry resumes after the last page it finished. */
    async notifyIdentitiesOfDefinitionChange(): Promise<number> {
      let after = (activityInfo().heartbeatDetails as string | undefined) ?? '';
      let notified = 0;
      for (;;) {
        const page = await db
          .select({ employeeId: identities.employeeId })
          .from(identities)
          .where(gt(identities.employeeId, after))
          .orderBy(asc(identities.employeeId))
          .limit(pageSize);
        if (page.length === 0) return notified;
        const queue = page.map((row) => row.employeeId);
        await Promise.all(
          Array.from({ length: concurrency }, async () => {
            for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
              try {
                await temporal.workflow.getHandle(identityWorkflowId(id)).signal(lifecycleDefinitionsChangedSignal);
                notified += 1;
              } catch (error) {
                // A person whose workflow is gone has nothing to plan.
                if ((error as Error).name !== 'WorkflowNotFoundError') throw error;
              }
            }
          }),
        );
        after = page[page.length - 1]!.employeeId;
        heartbeat(after);
      }
    },
  };
}
