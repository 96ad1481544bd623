import { WorkflowIdConflictPolicy, type Client } from '@temporalio/client';
import type { Db } from '../db/client';
import { findPackage, savePackage, type SaveOutcome } from '../db/queries/access';
import { insertRollout, pendingRollouts, type RolloutRow } from '../db/queries/access-rollouts';
import { rolloutCause } from '../domain/access-admin';
import type { AccessPackage } from '../domain/access-packages';
import type { accessRolloutWorkflow } from '../workflows/access-rollout';
import { accessRolloutWorkflowId } from '../workflows/messages';
import type { Logger } from './app';

// A saved package change that can alter anyone's access is recorded as a rollout, then started
// as a workflow that asks everyone already known to plan their access again.

export interface RolloutDeps {
  db: Db;
  client: Client;
  taskQueue: string;
  perSecond: number;
  log: Logger;
}

async function launch(deps: RolloutDeps, row: RolloutRow): Promise<void> {
  try {
    await deps.client.workflow.start<typeof accessRolloutWorkflow>('accessRolloutWorkflow', {
      workflowId: row.workflowId,
      taskQueue: deps.taskQueue,
      args: [{ rolloutId: row.id, packageId: row.packageId, version: row.version }],
      // The same version switched again: the newer rollout covers what the running one would do.
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.TERMINATE_EXISTING,
    });
  } catch (error) {
    // The rollout stays pending (and visible); the API starts it when it next starts.
    deps.log.warn(`could not start rollout ${row.id} of ${row.packageId}: ${(error as Error).message.split('\n')[0]}`);
  }
}

export async function startAccessRollout(deps: RolloutDeps, change: { packageId: string; version: number; reason: string; requestedBy: string }): Promise<RolloutRow> {
  const row = await insertRollout(deps.db, { ...change, workflowId: accessRolloutWorkflowId(deps.taskQueue, change.packageId, change.version), perSecond: deps.perSecond });
  await launch(deps, row);
  return row;
}

/** Starts the rollouts recorded while Temporal could not be reached. */
export async function startPendingRollouts(deps: RolloutDeps): Promise<number> {
  const rows = await pendingRollouts(deps.db);
  for (const row of rows) await launch(deps, row);
  return rows.length;
}

/** Saves a package (a new version when its content changed) and rolls the change out when it can alter anyone's access. */
export async function savePackageChange(deps: RolloutDeps, accessPackage: AccessPackage, meta: { source: string; actor: string }): Promise<{ outcome: SaveOutcome; version: number; rollout?: RolloutRow }> {
  const before = await findPackage(deps.db, accessPackage.id);
  const saved = await savePackage(deps.db, accessPackage, meta);
  const reason = rolloutCause(before, accessPackage);
  if (!reason) return saved;
  return { ...saved, rollout: await startAccessRollout(deps, { packageId: accessPackage.id, version: saved.version, reason, requestedBy: meta.actor }) };
}
