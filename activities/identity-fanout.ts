import { activityInfo, heartbeat } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import type { SignalDefinition } from '@temporalio/common';
import { and, asc, gt, inArray } from 'drizzle-orm';
import type { Db } from '../db/client';
import { identities } from '../db/schema';
import type { LifecycleState } from '../domain/lifecycle';
import { identityWorkflowId, lifecycleDefinitionsChangedSignal, reconcileSignal } from '../workflows/messages';

// Signals every person's workflow, page by page: after a lifecycle definition changed, and for
// the periodic drift sweep.

const pageSize = 500;
const concurrency = 16;

/** People whose accounts exist or are owed: the sweep leaves the deleted and cancelled alone. */
const reconcilableStates: LifecycleState[] = ['prehire', 'active', 'terminated'];

export function createFanOutActivities({ db, temporal }: { db: Db; temporal: Client }) {
  /** Pages through identities in id order; a retry resumes after the last page it finished. */
  async function signalEach(signal: SignalDefinition<[]>, states?: LifecycleState[]): Promise<number> {
    let after = (activityInfo().heartbeatDetails as string | undefined) ?? '';
    let signalled = 0;
    for (;;) {
      const page = await db
        .select({ employeeId: identities.employeeId })
        .from(identities)
        .where(and(gt(identities.employeeId, after), states ? inArray(identities.state, states) : undefined))
        .orderBy(asc(identities.employeeId))
        .limit(pageSize);
      if (page.length === 0) return signalled;
      const queue = page.map((row) => row.employeeId);
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
            try {
              await temporal.workflow.getHandle(identityWorkflowId(id)).signal(signal);
              signalled += 1;
            } catch (error) {
              // A person whose workflow is gone has nothing to do.
              if ((error as Error).name !== 'WorkflowNotFoundError') throw error;
            }
          }
        }),
      );
      after = page[page.length - 1]!.employeeId;
      heartbeat(after);
    }
  }

  return {
    notifyIdentitiesOfDefinitionChange: () => signalEach(lifecycleDefinitionsChangedSignal),
    /** Asks everyone with accounts to compare them with their desired state; answers how many were asked. */
    askIdentitiesToReconcile: () => signalEach(reconcileSignal, reconcilableStates),
  };
}
