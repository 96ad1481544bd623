import { sql } from 'drizzle-orm';
import { check, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';

/**
 * A username belongs to one person for good: the primary key makes two workflows unable to
 * take the same name, and names are never handed to someone else after deletion.
 */
export const usernameReservations = pgTable(
  'username_reservations',
  {
    username: text().primaryKey(),
    employeeId: text().notNull(),
    reservedAt: timestamp({ withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('username_reservations_one_per_person').on(t.employeeId),
    check('username_reservations_lowercase', sql`${t.username} = lower(${t.username})`),
  ],
);
