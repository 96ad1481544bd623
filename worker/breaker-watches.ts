import type { Client } from '@temporalio/client';
import { watchTarget } from '../activities/target-breaker';
import type { Db } from '../db/client';
import { listTargetStatus, targetCounts } from '../db/queries/targets';

/**
 * Every target whose breaker is not closed, or whose waiting people were not all brought up to
 * date, gets its watch workflow; safe for every worker to call at start.
 */
export async function ensureBreakerWatches(client: Client, db: Db, taskQueue: string, targets: string[]): Promise<void> {
  const [statuses, counts] = await Promise.all([listTargetStatus(db), targetCounts(db)]);
  for (const name of targets) {
    const open = statuses.some((s) => s.name === name && s.state !== 'closed');
    if (open || (counts.get(name)?.pending ?? 0) > 0) await watchTarget(client, taskQueue, name);
  }
}
