import { sql } from 'drizzle-orm';
import { bigserial, check, index, integer, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import { accessPackages } from './access';

const at = () => timestamp({ withTimezone: true, mode: 'date' });

/** A saved package change asked of everyone already known, with its progress (GET /v1/access-packages/{id}/rollouts). */
export const accessRollouts = pgTable(
  'access_rollouts',
  {
    id: bigserial({ mode: 'number' }).primaryKey(),
    packageId: text()
      .notNull()
      .references(() => accessPackages.id),
    version: integer().notNull(),
    /** What changed: "automatic assignment changed", "enabled", … */
    reason: text().notNull(),
    /** pending until the workflow picks it up; superseded when a newer change of the package starts its own. */
    status: text().$type<'pending' | 'running' | 'completed' | 'superseded'>().notNull().default('pending'),
    workflowId: text().notNull(),
    requestedBy: text().notNull(),
    perSecond: integer().notNull(),
    /** People known when it started; those who arrive later are planned by their own first record. */
    total: integer(),
    /** People asked so far (whose workflow is gone count as asked: they hold nothing to plan). */
    done: integer().notNull().default(0),
    /** Of those, people whose workflow took the signal. */
    signalled: integer().notNull().default(0),
    createdAt: at().notNull().defaultNow(),
    startedAt: at(),
    finishedAt: at(),
  },
  (t) => [index().on(t.packageId, t.id), check('access_rollouts_status_check', sql`${t.status} in ('pending', 'running', 'completed', 'superseded')`)],
);
