import { and, eq } from 'drizzle-orm';
import type { DbOrTx } from '../client';
import { usernameReservations } from '../schema';

export async function findReservation(db: DbOrTx, employeeId: string): Promise<string | undefined> {
  const [row] = await db
    .select({ username: usernameReservations.username })
    .from(usernameReservations)
    .where(eq(usernameReservations.employeeId, employeeId));
  return row?.username;
}

/**
 * Tries to take a username for a person. The primary key decides between two workflows racing
 * for the same name; answers whether the person now holds it.
 */
export async function tryReserveUsername(db: DbOrTx, username: string, employeeId: string): Promise<boolean> {
  const inserted = await db
    .insert(usernameReservations)
    .values({ username, employeeId })
    .onConflictDoNothing()
    .returning({ username: usernameReservations.username });
  if (inserted.length > 0) return true;
  const [row] = await db
    .select({ employeeId: usernameReservations.employeeId })
    .from(usernameReservations)
    .where(eq(usernameReservations.username, username));
  return row?.employeeId === employeeId;
}

/** Gives a name back: only when the directory turned out to hold it for someone else. */
export async function releaseReservation(db: DbOrTx, username: string, employeeId: string): Promise<void> {
  await db.delete(usernameReservations).where(and(eq(usernameReservations.username, username), eq(usernameReservations.employeeId, employeeId)));
}

export async function findUsernameOwner(db: DbOrTx, username: string): Promise<string | undefined> {
  const [row] = await db.select({ employeeId: usernameReservations.employeeId }).from(usernameReservations).where(eq(usernameReservations.username, username.toLowerCase()));
  return row?.employeeId;
}
