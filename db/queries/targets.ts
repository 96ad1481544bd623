import { and, count, eq, isNull, sql } from 'drizzle-orm';
import type { DbOrTx } from '../client';
import { accounts, targetPending, targetStatus } from '../schema';

export type TargetStatusRow = typeof targetStatus.$inferSelect;

export async function findTargetStatus(db: DbOrTx, name: string): Promise<TargetStatusRow | undefined> {
  const [row] = await db.select().from(targetStatus).where(eq(targetStatus.name, name));
  return row;
}

export async function recordTargetSuccess(db: DbOrTx, name: string): Promise<void> {
  await db
    .insert(targetStatus)
    .values({ name, lastSuccessAt: sql`now()` })
    .onConflictDoUpdate({ target: targetStatus.name, set: { consecutiveFailures: 0, lastSuccessAt: sql`now()` } });
}

/** Counts a failure; answers the count, pausing the target once it reaches `threshold`. */
export async function recordTargetFailure(db: DbOrTx, name: string, error: string, threshold: number): Promise<{ failures: number; paused: boolean }> {
  const [row] = await db
    .insert(targetStatus)
    .values({ name, consecutiveFailures: 1, lastError: error, lastFailureAt: sql`now()` })
    .onConflictDoUpdate({
      target: targetStatus.name,
      set: { consecutiveFailures: sql`${targetStatus.consecutiveFailures} + 1`, lastError: error, lastFailureAt: sql`now()` },
    })
    .returning();
  const failures = row!.consecutiveFailures;
  if (failures >= threshold && !row!.paused) {
    await db
      .update(targetStatus)
      .set({ paused: true, pausedAt: sql`now()`, pausedReason: `paused after ${failures} failures in a row; last: ${error}` })
      .where(eq(targetStatus.name, name));
    return { failures, paused: true };
  }
  return { failures, paused: row!.paused };
}

export async function resumeTarget(db: DbOrTx, name: string): Promise<void> {
  await db
    .insert(targetStatus)
    .values({ name })
    .onConflictDoUpdate({ target: targetStatus.name, set: { paused: false, pausedReason: null, pausedAt: null, consecutiveFailures: 0 } });
}

export async function markPending(db: DbOrTx, employeeId: string, target: string): Promise<void> {
  await db.insert(targetPending).values({ employeeId, target }).onConflictDoNothing();
}

export async function clearPending(db: DbOrTx, employeeId: string, target: string): Promise<void> {
  await db.delete(targetPending).where(and(eq(targetPending.employeeId, employeeId), eq(targetPending.target, target)));
}

export async function pendingFor(db: DbOrTx, target: string): Promise<string[]> {
  const rows = await db.select({ employeeId: targetPending.employeeId }).from(targetPending).where(eq(targetPending.target, target));
  return rows.map((r) => r.employeeId);
}

/** Per target: live accounts and people waiting for it. */
export async function targetCounts(db: DbOrTx): Promise<Map<string, { accounts: number; pending: number }>> {
  const live = await db.select({ system: accounts.system, n: count() }).from(accounts).where(isNull(accounts.deletedAt)).groupBy(accounts.system);
  const waiting = await db.select({ target: targetPending.target, n: count() }).from(targetPending).groupBy(targetPending.target);
  const counts = new Map<string, { accounts: number; pending: number }>();
  for (const { system, n } of live) counts.set(system, { accounts: n, pending: 0 });
  for (const { target, n } of waiting) counts.set(target, { accounts: counts.get(target)?.accounts ?? 0, pending: n });
  return counts;
}

export async function listTargetStatus(db: DbOrTx): Promise<TargetStatusRow[]> {
  return db.select().from(targetStatus);
}
