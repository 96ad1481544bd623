import { and, asc, eq, inArray, isNull, lt, sql } from 'drizzle-orm';
import type { DbOrTx } from '../client';
import { hrInbox } from '../schema';

export type InboxRow = typeof hrInbox.$inferSelect;
export type NewInboxRow = typeof hrInbox.$inferInsert;

/** The database got the rows after their moment (the caller has given up on them): nothing was stored. */
export class LateInsertError extends Error {}

/** Stores the rows; with `notAfter`, only if the database gets them by then (checked in the same transaction). */
export async function insertInboxRows(db: DbOrTx, rows: NewInboxRow[], options: { notAfter?: Date } = {}): Promise<InboxRow[]> {
  if (rows.length === 0) return [];
  const { notAfter } = options;
  if (!notAfter) return db.insert(hrInbox).values(rows).returning();
  return db.transaction(async (tx) => {
    const [check] = await tx.execute<{ in_time: boolean }>(sql`select clock_timestamp() < ${notAfter.toISOString()}::timestamptz as in_time`);
    if (!check?.in_time) throw new LateInsertError(`the database got the records after ${notAfter.toISOString()}; nothing was stored`);
    return tx.insert(hrInbox).values(rows).returning();
  });
}

export async function markDelivered(db: DbOrTx, ids: number[]): Promise<void> {
  if (ids.length === 0) return;
  await db
    .update(hrInbox)
    .set({ deliveredAt: sql`now()`, deliveryAttempts: sql`${hrInbox.deliveryAttempts} + 1`, lastDeliveryError: null })
    .where(and(inArray(hrInbox.id, ids), isNull(hrInbox.deliveredAt)));
}

export async function markDeliveryFailed(db: DbOrTx, id: number, error: string): Promise<void> {
  await db
    .update(hrInbox)
    .set({ deliveryAttempts: sql`${hrInbox.deliveryAttempts} + 1`, lastDeliveryError: error.slice(0, 1000) })
    .where(eq(hrInbox.id, id));
}

/** Undelivered rows received before `receivedBefore`, oldest first. */
export async function findUndelivered(db: DbOrTx, receivedBefore: Date, limit: number): Promise<InboxRow[]> {
  return db
    .select()
    .from(hrInbox)
    .where(and(isNull(hrInbox.deliveredAt), lt(hrInbox.receivedAt, receivedBefore)))
    .orderBy(asc(hrInbox.id))
    .limit(limit);
}

export async function markProcessed(db: DbOrTx, id: number, outcome: 'applied' | 'stale' | 'duplicate'): Promise<void> {
  await db
    .update(hrInbox)
    .set({ outcome, processedAt: sql`now()`, deliveredAt: sql`coalesce(${hrInbox.deliveredAt}, now())` })
    .where(and(eq(hrInbox.id, id), isNull(hrInbox.outcome)));
}

export async function hasInboxRows(db: DbOrTx, employeeId: string): Promise<boolean> {
  const [row] = await db.select({ id: hrInbox.id }).from(hrInbox).where(eq(hrInbox.employeeId, employeeId)).limit(1);
  return row !== undefined;
}

/** True when an earlier row of this person still waits for delivery: a new row must queue behind it. */
/** A person's rows not delivered yet, oldest first. */
export async function undeliveredOf(db: DbOrTx, employeeId: string): Promise<InboxRow[]> {
  return db
    .select()
    .from(hrInbox)
    .where(and(eq(hrInbox.employeeId, employeeId), isNull(hrInbox.deliveredAt)))
    .orderBy(asc(hrInbox.id));
}

export async function hasUndeliveredBefore(db: DbOrTx, employeeId: string, id: number): Promise<boolean> {
  const [row] = await db
    .select({ id: hrInbox.id })
    .from(hrInbox)
    .where(and(eq(hrInbox.employeeId, employeeId), lt(hrInbox.id, id), isNull(hrInbox.deliveredAt)))
    .limit(1);
  return row !== undefined;
}
