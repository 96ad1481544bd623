import { index, integer, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * Failures counted per key in fixed windows (`auth:<client address>`, `pass:<employeeId>`).
 * In PostgreSQL, so every API process sees the same counts.
 */
export const rateLimits = pgTable(
  'rate_limits',
  {
    key: text().primaryKey(),
    windowStartedAt: timestamp({ withTimezone: true, mode: 'date' }).notNull(),
    failures: integer().notNull(),
  },
  (t) => [index().on(t.windowStartedAt)],
);
