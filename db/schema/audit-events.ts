import { bigserial, index, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/** Append-only trail of what happened to whom, why, and who asked (a trigger forbids edits). */
export const auditEvents = pgTable(
  'audit_events',
  {
    id: bigserial({ mode: 'number' }).primaryKey(),
    occurredAt: timestamp({ withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    employeeId: text(),
    kind: text().notNull(),
    actor: text().notNull(),
    system: text(),
    summary: text().notNull(),
    details: jsonb().$type<Record<string, unknown>>().notNull().default({}),
    workflowId: text(),
    runId: text(),
    idempotencyKey: text().unique(),
  },
  (t) => [index().on(t.employeeId, t.id), index().on(t.kind)],
);
