import { sql } from 'drizzle-orm';
import { check, index, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import type { HrRecord } from '../../domain/hr-record';

/** One row per person HR told us about: the last applied record and where their lifecycle stands. */
export const identities = pgTable(
  'identities',
  {
    employeeId: text().primaryKey(),
    /** `worker` from HR, `guest` from an approved guest request (id `g-` + 16 hex digits). */
    type: text().$type<'worker' | 'guest'>().notNull().default('worker'),
    state: text().notNull(),
    username: text(),
    workEmail: text(),
    givenName: text().notNull(),
    familyName: text().notNull(),
    preferredName: text(),
    displayName: text().notNull(),
    employeeType: text().notNull(),
    department: text(),
    jobTitle: text(),
    managerEmployeeId: text(),
    location: text(),
    timeZone: text().notNull(),
    hireAt: timestamp({ withTimezone: true, mode: 'date' }).notNull(),
    leaveAt: timestamp({ withTimezone: true, mode: 'date' }),
    recordAsOf: timestamp({ withTimezone: true, mode: 'date' }).notNull(),
    record: jsonb().$type<HrRecord>().notNull(),
    nextAction: text(),
    nextActionAt: timestamp({ withTimezone: true, mode: 'date' }),
    lastError: text(),
    /** Per provisioning target, why its last sync failed (absent when it succeeded). */
    targetErrors: jsonb().$type<Record<string, string>>().notNull().default({}),
    /** Per target, an account owed but not there yet: since when and why (its breaker is open). */
    waiting: jsonb().$type<Record<string, { since: string; reason: string }>>().notNull().default({}),
    workflowId: text().notNull(),
    createdAt: timestamp({ withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    updatedAt: timestamp({ withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [
    index().on(t.state),
    index().on(t.department),
    index().on(t.managerEmployeeId),
    index().on(t.type),
    // Guests and HR's workers can never share an id: the shape of the id says which one it is.
    check('identities_type_check', sql`(${t.type} = 'guest') = (${t.employeeId} ~ '^g-[0-9a-f]{16}$') and ${t.type} in ('worker', 'guest')`),
    check(
      'identities_state_check',
      sql`${t.state} in ('pending', 'prehire', 'active', 'terminated', 'deleted', 'cancelled')`,
    ),
  ],
);
