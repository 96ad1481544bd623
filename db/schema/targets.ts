import { boolean, integer, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';

/** Health of each provisioning target; a target that keeps failing is paused with its reason. */
export const targetStatus = pgTable('target_status', {
  name: text().primaryKey(),
  paused: boolean().notNull().default(false),
  pausedReason: text(),
  pausedAt: timestamp({ withTimezone: true, mode: 'date' }),
  consecutiveFailures: integer().notNull().default(0),
  lastError: text(),
  lastSuccessAt: timestamp({ withTimezone: true, mode: 'date' }),
  lastFailureAt: timestamp({ withTimezone: true, mode: 'date' }),
});

/** People whose changes wait for a paused target; they are re-synchronised when it resumes. */
export const targetPending = pgTable(
  'target_pending',
  {
    employeeId: text().notNull(),
    target: text().notNull(),
    since: timestamp({ withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.employeeId, t.target] })],
);
