import { createHash, timingSafeEqual } from 'node:crypto';
import { and, eq, gt, isNull, sql } from 'drizzle-orm';
import type { DbOrTx } from '../client';
import { temporaryAccessPasses } from '../schema';

export type AccessPassRow = typeof temporaryAccessPasses.$inferSelect;

/** Stores a pass (hash only); a task that issues again replaces its earlier pass. */
export async function savePass(db: DbOrTx, pass: typeof temporaryAccessPasses.$inferInsert): Promise<void> {
  await db
    .insert(temporaryAccessPasses)
    .values(pass)
    .onConflictDoUpdate({
      target: [temporaryAccessPasses.runId, temporaryAccessPasses.taskId],
      set: { id: pass.id, salt: pass.salt, hash: pass.hash, oneTime: pass.oneTime, expiresAt: pass.expiresAt, usedAt: null, lockedAt: null, createdAt: sql`now()` },
    });
}

const live = (employeeId: string, now: Date) =>
  and(eq(temporaryAccessPasses.employeeId, employeeId), gt(temporaryAccessPasses.expiresAt, now), isNull(temporaryAccessPasses.usedAt), isNull(temporaryAccessPasses.lockedAt));

/** Passes that can still sign the person in: not expired, used up or locked. */
export async function findLivePasses(db: DbOrTx, employeeId: string, now: Date): Promise<AccessPassRow[]> {
  return db.select().from(temporaryAccessPasses).where(live(employeeId, now));
}

/** Locks every live pass of the person (too many wrong guesses); answers how many. */
export async function lockLivePasses(db: DbOrTx, employeeId: string, now: Date): Promise<number> {
  const rows = await db.update(temporaryAccessPasses).set({ lockedAt: now }).where(live(employeeId, now)).returning({ id: temporaryAccessPasses.id });
  return rows.length;
}

/** Consumes a one-time pass; false if someone else consumed it first. */
export async function consumePass(db: DbOrTx, id: string): Promise<boolean> {
  const rows = await db
    .update(temporaryAccessPasses)
    .set({ usedAt: sql`now()` })
    .where(and(eq(temporaryAccessPasses.id, id), isNull(temporaryAccessPasses.usedAt)))
    .returning({ id: temporaryAccessPasses.id });
  return rows.length > 0;
}

/** Salted SHA-256 of a pass, ignoring dashes and letter case as people type them. */
export function hashPass(salt: string, pass: string): string {
  return createHash('sha256').update(salt).update(pass.replace(/-/g, '').toUpperCase()).digest('hex');
}

/** Whether `pass` is the one stored as this row's hash, compared in constant time. */
export function passMatches(row: Pick<AccessPassRow, 'salt' | 'hash'>, pass: string): boolean {
  const given = Buffer.from(hashPass(row.salt, pass), 'hex');
  const stored = Buffer.from(row.hash, 'hex');
  return given.length === stored.length && timingSafeEqual(given, stored);
}
