import { and, asc, desc, eq, gt } from 'drizzle-orm';
import type { DbOrTx } from '../client';
import { auditEvents } from '../schema';

export interface AuditEntry {
  employeeId?: string;
  kind: string;
  actor: string;
  system?: string;
  summary: string;
  details?: Record<string, unknown>;
  workflowId?: string;
  runId?: string;
  /** Same key twice writes one row: activities may run more than once. */
  idempotencyKey?: string;
}

export async function appendAuditEvents(db: DbOrTx, entries: AuditEntry[]): Promise<void> {
  if (entries.length === 0) return;
  await db
    .insert(auditEvents)
    .values(entries.map((e) => ({ ...e, details: e.details ?? {} })))
    .onConflictDoNothing({ target: auditEvents.idempotencyKey });
}

export type AuditEventRow = typeof auditEvents.$inferSelect;

/** A person's trail, oldest first, after the event id `after`. */
export async function findAuditEvents(db: DbOrTx, filter: { employeeId: string; after?: number; limit: number }): Promise<AuditEventRow[]> {
  return db
    .select()
    .from(auditEvents)
    .where(and(eq(auditEvents.employeeId, filter.employeeId), filter.after === undefined ? undefined : gt(auditEvents.id, filter.after)))
    .orderBy(asc(auditEvents.id))
    .limit(filter.limit);
}

/** A person's latest events, newest first. */
export async function recentAuditEvents(db: DbOrTx, employeeId: string, limit: number): Promise<AuditEventRow[]> {
  return db.select().from(auditEvents).where(eq(auditEvents.employeeId, employeeId)).orderBy(desc(auditEvents.id)).limit(limit);
}
