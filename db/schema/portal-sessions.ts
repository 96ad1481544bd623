import { sql } from 'drizzle-orm';
import { check, index, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

const at = () => timestamp({ withTimezone: true, mode: 'date' });

/**
 * A signed-in person in the portal. The cookie carries a random id; only its SHA-256 is stored,
 * so a copy of this table signs nobody in. A session belongs to an employee (signed in at the
 * organisation's provider) or a guest (signed in by a mailed code).
 */
export const portalSessions = pgTable(
  'portal_sessions',
  {
    idHash: text().primaryKey(),
    kind: text().$type<'employee' | 'guest'>().notNull(),
    /** Who the session acts as: an employee id, or a guest's mail address (a guest may not be an identity yet). */
    identityId: text().notNull(),
    /** The provider's subject (`sub`), for the trail. */
    subject: text(),
    /** The scopes the person has here, the same vocabulary as API keys. */
    scopes: text().array().notNull(),
    createdAt: at().notNull().defaultNow(),
    lastSeenAt: at().notNull(),
    expiresAt: at().notNull(),
  },
  (t) => [index().on(t.identityId), index().on(t.expiresAt), check('portal_sessions_kind_check', sql`${t.kind} in ('employee', 'guest')`)],
);
