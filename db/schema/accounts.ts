import { sql } from 'drizzle-orm';
import { bigserial, boolean, index, jsonb, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { identities } from './identities';

/** An account of a person in a connected system; deleted accounts stay as history. */
export const accounts = pgTable(
  'accounts',
  {
    id: bigserial({ mode: 'number' }).primaryKey(),
    employeeId: text()
      .notNull()
      .references(() => identities.employeeId),
    system: text().notNull(),
    externalId: text().notNull(),
    username: text().notNull(),
    enabled: boolean().notNull(),
    /** The attribute values Tenure last wrote, so the audit trail can say what changed. */
    attributes: jsonb().$type<Record<string, string>>().notNull().default({}),
    createdAt: timestamp({ withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    updatedAt: timestamp({ withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    deletedAt: timestamp({ withTimezone: true, mode: 'date' }),
  },
  (t) => [
    uniqueIndex('accounts_live_per_system').on(t.employeeId, t.system).where(sql`${t.deletedAt} is null`),
    index().on(t.system, t.externalId),
  ],
);
