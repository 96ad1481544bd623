import { eq, lt, sql } from 'drizzle-orm';
import type { DbOrTx } from '../client';
import { rateLimits } from '../schema';

export interface FailureCount {
  failures: number;
  windowStartedAt: Date;
}

/** The failures counted for `key` in the window that is open at `now`; undefined when none is. */
export async function findFailures(db: DbOrTx, key: string, now: Date, windowMs: number): Promise<FailureCount | undefined> {
  const [row] = await db.select({ failures: rateLimits.failures, windowStartedAt: rateLimits.windowStartedAt }).from(rateLimits).where(eq(rateLimits.key, key));
  return row && row.windowStartedAt.getTime() + windowMs > now.getTime() ? row : undefined;
}

/** Counts one failure for `key` in one statement, opening a new window when the last one has closed. */
export async function recordFailure(db: DbOrTx, key: string, now: Date, windowMs: number): Promise<FailureCount> {
  const closed = sql`${rateLimits.windowStartedAt} <= ${new Date(now.getTime() - windowMs).toISOString()}::timestamptz`;
  const [row] = await db
    .insert(rateLimits)
    .values({ key, windowStartedAt: now, failures: 1 })
    .onConflictDoUpdate({
      target: rateLimits.key,
      set: {
        failures: sql`case when ${closed} then 1 else ${rateLimits.failures} + 1 end`,
        windowStartedAt: sql`case when ${closed} then excluded.window_started_at else ${rateLimits.windowStartedAt} end`,
      },
    })
    .returning({ failures: rateLimits.failures, windowStartedAt: rateLimits.windowStartedAt });
  return row!;
}

export async function clearFailures(db: DbOrTx, key: string): Promise<void> {
  await db.delete(rateLimits).where(eq(rateLimits.key, key));
}

/** Forgets windows that began before `before`; answers how many. */
export async function pruneFailures(db: DbOrTx, before: Date): Promise<number> {
  const rows = await db.delete(rateLimits).where(lt(rateLimits.windowStartedAt, before)).returning({ key: rateLimits.key });
  return rows.length;
}
