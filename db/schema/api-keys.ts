import { boolean, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';

/** API keys: only a SHA-256 of the secret is kept; the prefix finds the row. */
export const apiKeys = pgTable('api_keys', {
  id: uuid().primaryKey().defaultRandom(),
  name: text().notNull().unique(),
  prefix: text().notNull().unique(),
  secretHash: text().notNull(),
  scopes: text().array().notNull(),
  development: boolean().notNull().default(false),
  /** A key bound to a person acts as them (`/v1/me/…`): their requests, access and approvals. */
  employeeId: text(),
  createdAt: timestamp({ withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  lastUsedAt: timestamp({ withTimezone: true, mode: 'date' }),
  revokedAt: timestamp({ withTimezone: true, mode: 'date' }),
});
