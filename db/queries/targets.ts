import { and, asc, count, eq, gt, isNull, ne, or, sql } from 'drizzle-orm';
import { nextProbeDelayMs, opensBreaker, type BreakerPolicy, type BreakerState, type FailureKind } from '../../domain/breaker';
import type { DbOrTx } from '../client';
import { accounts, targetPending, targetStatus } from '../schema';

export type TargetStatusRow = typeof targetStatus.$inferSelect;

export async function findTargetStatus(db: DbOrTx, name: string): Promise<TargetStatusRow | undefined> {
  const [row] = await db.select().from(targetStatus).where(eq(targetStatus.name, name));
  return row;
}

export async function listTargetStatus(db: DbOrTx): Promise<TargetStatusRow[]> {
  return db.select().from(targetStatus);
}

/**
 * A call worked: the failure streak ends. Written only when there is a streak to end or
 * `lastSuccessAt` is older than `refreshMs`, so a busy target costs a write every few seconds.
 */
export async function recordTargetSuccess(db: DbOrTx, name: string, now: Date, refreshMs: number): Promise<void> {
  const stale = new Date(now.getTime() - refreshMs);
  await db
    .insert(targetStatus)
    .values({ name, lastSuccessAt: now })
    .onConflictDoUpdate({
      target: targetStatus.name,
      set: { lastSuccessAt: now, failingSince: null, streakFailures: 0 },
      setWhere: sql`${targetStatus.failingSince} is not null or ${targetStatus.lastSuccessAt} is null or ${targetStatus.lastSuccessAt} < ${stale.toISOString()}::timestamptz`,
    });
}

export interface Transition {
  from: BreakerState;
  to: BreakerState;
  row: TargetStatusRow;
}

/** Moves the breaker from any state but `to` into `to`; answers the transition when this call made it. */
async function moveTo(db: DbOrTx, name: string, to: BreakerState, fields: Partial<TargetStatusRow>, onlyFrom?: BreakerState): Promise<Transition | undefined> {
  const before = await findTargetStatus(db, name);
  const [row] = await db
    .update(targetStatus)
    .set({ state: to, ...fields })
    .where(and(eq(targetStatus.name, name), onlyFrom ? eq(targetStatus.state, onlyFrom) : ne(targetStatus.state, to)))
    .returning();
  return row ? { from: before?.state ?? 'closed', to, row } : undefined;
}

/**
 * Counts a failure in the current streak and applies the breaker's rules: a refusal quarantines
 * the target; failures to reach it open the breaker once they have lasted long enough.
 */
export async function recordTargetFailure(
  db: DbOrTx,
  name: string,
  failure: { kind: FailureKind; error: string; now: Date; policy: BreakerPolicy },
): Promise<{ row: TargetStatusRow; transition?: Transition }> {
  const { now, policy, error } = failure;
  const [row] = await db
    .insert(targetStatus)
    .values({ name, failingSince: now, streakFailures: 1, lastError: error, lastFailureAt: now })
    .onConflictDoUpdate({
      target: targetStatus.name,
      set: {
        failingSince: sql`coalesce(${targetStatus.failingSince}, ${now.toISOString()}::timestamptz)`,
        streakFailures: sql`${targetStatus.streakFailures} + 1`,
        lastError: error,
        lastFailureAt: now,
      },
    })
    .returning();
  const streak = { since: (row!.failingSince ?? now).getTime(), failures: row!.streakFailures };
  let transition: Transition | undefined;
  if (failure.kind === 'refused' && row!.state !== 'quarantined') {
    transition = await moveTo(db, name, 'quarantined', { stateSince: now, stateReason: error, failedProbes: 0, nextProbeAt: new Date(now.getTime() + nextProbeDelayMs('quarantined', 0, policy)) });
  } else if (failure.kind === 'unreachable' && row!.state === 'closed' && opensBreaker(streak, now.getTime(), policy)) {
    const reason = `unreachable for ${Math.round((now.getTime() - streak.since) / 1000)} s (${streak.failures} failures); last: ${error}`;
    transition = await moveTo(db, name, 'open', { stateSince: now, stateReason: reason, failedProbes: 0, nextProbeAt: new Date(now.getTime() + nextProbeDelayMs('open', 0, policy)) }, 'closed');
  }
  return { row: transition?.row ?? row!, transition };
}

/** A probe (or an operator) found the target working: the breaker closes. */
export async function closeBreaker(db: DbOrTx, name: string, now: Date): Promise<Transition | undefined> {
  return moveTo(db, name, 'closed', { stateSince: now, stateReason: null, nextProbeAt: null, failedProbes: 0, failingSince: null, streakFailures: 0, lastSuccessAt: now });
}

/** A probe failed: the next one waits longer; a refusal while open quarantines the target. */
export async function recordFailedProbe(
  db: DbOrTx,
  name: string,
  failure: { kind: FailureKind; error: string; now: Date; policy: BreakerPolicy; notBeforeMs?: number },
): Promise<{ row?: TargetStatusRow; transition?: Transition }> {
  const { now, policy, error } = failure;
  const current = await findTargetStatus(db, name);
  if (!current || current.state === 'closed') return { row: current };
  if (failure.kind === 'refused' && current.state === 'open') {
    const transition = await moveTo(db, name, 'quarantined', { stateSince: now, stateReason: error, lastError: error, lastFailureAt: now, failedProbes: 0, nextProbeAt: new Date(now.getTime() + nextProbeDelayMs('quarantined', 0, policy)) });
    return { row: transition?.row, transition };
  }
  const failedProbes = current.failedProbes + 1;
  const [row] = await db
    .update(targetStatus)
    // A target that said when to come back (Retry-After) is not asked before then.
    .set({ failedProbes, lastError: error, lastFailureAt: now, nextProbeAt: new Date(now.getTime() + Math.max(nextProbeDelayMs(current.state, failedProbes, policy), failure.notBeforeMs ?? 0)) })
    .where(and(eq(targetStatus.name, name), eq(targetStatus.state, current.state)))
    .returning();
  return { row };
}

/** An operator asks for the next probe now. */
export async function probeSoon(db: DbOrTx, name: string, now: Date): Promise<TargetStatusRow | undefined> {
  const [row] = await db.update(targetStatus).set({ nextProbeAt: now }).where(and(eq(targetStatus.name, name), ne(targetStatus.state, 'closed'))).returning();
  return row ?? findTargetStatus(db, name);
}

/** The person waits for the target; the first reason and time are kept. */
export async function markPending(db: DbOrTx, employeeId: string, target: string, reason: string): Promise<{ since: Date; reason: string }> {
  const [row] = await db
    .insert(targetPending)
    .values({ employeeId, target, reason })
    .onConflictDoUpdate({ target: [targetPending.employeeId, targetPending.target], set: { reason } })
    .returning();
  return { since: row!.since, reason: row!.reason ?? reason };
}

export async function clearPending(db: DbOrTx, employeeId: string, target: string): Promise<void> {
  await db.delete(targetPending).where(and(eq(targetPending.employeeId, employeeId), eq(targetPending.target, target)));
}

/** People waiting for a target, longest-waiting first; `after` is the last row of the previous page. */
export async function pendingPage(db: DbOrTx, target: string, after: { since: Date; employeeId: string } | undefined, limit: number): Promise<{ employeeId: string; since: Date }[]> {
  return db
    .select({ employeeId: targetPending.employeeId, since: targetPending.since })
    .from(targetPending)
    .where(
      and(
        eq(targetPending.target, target),
        after ? or(gt(targetPending.since, after.since), and(eq(targetPending.since, after.since), gt(targetPending.employeeId, after.employeeId))) : undefined,
      ),
    )
    .orderBy(asc(targetPending.since), asc(targetPending.employeeId))
    .limit(limit);
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
