import { eq, lt } from 'drizzle-orm';
import type { DbOrTx } from '../client';
import { portalSessions } from '../schema';

export type PortalSessionRow = typeof portalSessions.$inferSelect;

export async function insertPortalSession(db: DbOrTx, row: typeof portalSessions.$inferInsert): Promise<void> {
  await db.insert(portalSessions).values(row);
}

export async function findPortalSession(db: DbOrTx, idHash: string): Promise<PortalSessionRow | undefined> {
  const rows = await db.select().from(portalSessions).where(eq(portalSessions.idHash, idHash)).limit(1);
  return rows[0];
}

export async function touchPortalSession(db: DbOrTx, idHash: string, now: Date): Promise<void> {
  await db.update(portalSessions).set({ lastSeenAt: now }).where(eq(portalSessions.idHash, idHash));
}

export async function deletePortalSession(db: DbOrTx, idHash: string): Promise<boolean> {
  const rows = await db.delete(portalSessions).where(eq(portalSessions.idHash, idHash)).returning({ idHash: portalSessions.idHash });
  return rows.length > 0;
}

/** Sessions past their absolute expiry; idle ones go when next presented. */
export async function deleteExpiredPortalSessions(db: DbOrTx, now: Date): Promise<number> {
  const rows = await db.delete(portalSessions).where(lt(portalSessions.expiresAt, now)).returning({ idHash: portalSessions.idHash });
  return rows.length;
}
