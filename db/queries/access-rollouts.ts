import { and, asc, desc, eq, inArray, sql } from 'drizzle-orm';
import type { DbOrTx } from '../client';
import { accessRollouts } from '../schema';

export type RolloutRow = typeof accessRollouts.$inferSelect;

const unfinished = inArray(accessRollouts.status, ['pending', 'running']);

/** Records a rollout before it starts; a newer change of the same package supersedes any still going. */
export async function insertRollout(db: DbOrTx, row: Pick<typeof accessRollouts.$inferInsert, 'packageId' | 'version' | 'reason' | 'workflowId' | 'requestedBy' | 'perSecond'>): Promise<RolloutRow> {
  return db.transaction(async (tx) => {
    await tx
      .update(accessRollouts)
      .set({ status: 'superseded', finishedAt: sql`now()` })
      .where(and(eq(accessRollouts.packageId, row.packageId), unfinished));
    const [inserted] = await tx.insert(accessRollouts).values(row).returning();
    return inserted!;
  });
}

export async function findRollout(db: DbOrTx, id: number): Promise<RolloutRow | undefined> {
  const [row] = await db.select().from(accessRollouts).where(eq(accessRollouts.id, id));
  return row;
}

export async function listRollouts(db: DbOrTx, packageId: string, limit = 50): Promise<RolloutRow[]> {
  return db.select().from(accessRollouts).where(eq(accessRollouts.packageId, packageId)).orderBy(desc(accessRollouts.id)).limit(limit);
}

/** Rollouts recorded but never picked up (Temporal was unreachable when they were saved). */
export async function pendingRollouts(db: DbOrTx): Promise<RolloutRow[]> {
  return db.select().from(accessRollouts).where(eq(accessRollouts.status, 'pending')).orderBy(asc(accessRollouts.id));
}

/** The rollout is under way with this many people to ask; answers false when it was superseded meanwhile. */
export async function startRollout(db: DbOrTx, id: number, total: number): Promise<boolean> {
  const rows = await db
    .update(accessRollouts)
    .set({ status: 'running', total: sql`coalesce(${accessRollouts.total}, ${total})`, startedAt: sql`coalesce(${accessRollouts.startedAt}, now())` })
    .where(and(eq(accessRollouts.id, id), unfinished))
    .returning({ id: accessRollouts.id });
  return rows.length > 0;
}

/** Writes progress; answers false when the rollout was superseded, so the caller stops. */
export async function recordRolloutProgress(db: DbOrTx, id: number, progress: { done: number; signalled: number }): Promise<boolean> {
  const rows = await db
    .update(accessRollouts)
    .set(progress)
    .where(and(eq(accessRollouts.id, id), eq(accessRollouts.status, 'running')))
    .returning({ id: accessRollouts.id });
  return rows.length > 0;
}

export async function finishRollout(db: DbOrTx, id: number, progress: { done: number; signalled: number }): Promise<void> {
  await db
    .update(accessRollouts)
    // People who arrived while it ran were asked too.
    .set({ ...progress, status: 'completed', total: sql`greatest(coalesce(${accessRollouts.total}, 0), ${progress.done})`, finishedAt: sql`now()` })
    .where(and(eq(accessRollouts.id, id), eq(accessRollouts.status, 'running')));
}
