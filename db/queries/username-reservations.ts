import { eq } from 'drizzle-orm';
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
