import { sql } from 'drizzle-orm';
import { check, index, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import type { HrRecord } from '../../domain/hr-record';

/** One row per person HR told us about: the last applied record and where their lifecycle stands. */
export const identities = pgTable(
  'identities',
  {
    employeeId: text().primaryKey(),
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
    check(
      'identities_state_check',
      sql`${t.state} in ('pending', 'prehire', 'active', 'terminated', 'deleted', 'cancelled')`,
    ),
  ],
);
