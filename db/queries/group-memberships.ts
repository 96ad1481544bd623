import { and, asc, eq, inArray } from 'drizzle-orm';
import type { DbOrTx } from '../client';
import { groupMemberships } from '../schema';

export type MembershipRow = typeof groupMemberships.$inferSelect;

export async function recordMemberships(db: DbOrTx, rows: (typeof groupMemberships.$inferInsert)[]): Promise<void> {
  if (rows.length === 0) return;
  await db.insert(groupMemberships).values(rows).onConflictDoNothing();
}

export async function forgetMemberships(db: DbOrTx, employeeId: string, system: string, groupDns?: string[]): Promise<void> {
  await db
    .delete(groupMemberships)
    .where(
      and(
        eq(groupMemberships.employeeId, employeeId),
        eq(groupMemberships.system, system),
        groupDns ? inArray(groupMemberships.groupDn, groupDns.length > 0 ? groupDns : ['']) : undefined,
      ),
    );
}

export async function findMemberships(db: DbOrTx, employeeId: string): Promise<MembershipRow[]> {
  return db.select().from(groupMemberships).where(eq(groupMemberships.employeeId, employeeId)).orderBy(asc(groupMemberships.groupName));
}
