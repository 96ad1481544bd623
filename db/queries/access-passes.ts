import { createHash } from 'node:crypto';
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
      set: { id: pass.id, salt: pass.salt, hash: pass.hash, oneTime: pass.oneTime, expiresAt: pass.expiresAt, usedAt: null, createdAt: sql`now()` },
    });
}

export async function findLivePasses(db: DbOrTx, employeeId: string, now: Date): Promise<AccessPassRow[]> {
  return db
    .select()
    .from(temporaryAccessPasses)
    .where(and(eq(temporaryAccessPasses.employeeId, employeeId), gt(temporaryAccessPasses.expiresAt, now), isNull(temporaryAccessPasses.usedAt)));
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
