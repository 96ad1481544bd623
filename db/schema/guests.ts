import { sql } from 'drizzle-orm';
import { check, index, integer, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

// Guests: the connected organisations they come from, the guests themselves (known by their
// mail address before they hold anything), the sign-in codes mailed to them and the short-lived
// tickets those codes buy. Codes and tickets are kept only as hashes.

const at = () => timestamp({ withTimezone: true, mode: 'date' });

export const connectedOrganisations = pgTable(
  'connected_organisations',
  {
    id: text().primaryKey(),
    name: text().notNull(),
    /** Employee ids of the internal sponsors. */
    sponsors: text().array().notNull().default(sql`'{}'::text[]`),
    state: text().$type<'configured' | 'proposed'>().notNull(),
    /** "api", "proposed" or the YAML file that defines it. */
    source: text().notNull(),
    createdAt: at().notNull().defaultNow(),
    updatedAt: at().notNull().defaultNow(),
  },
  (t) => [check('connected_organisations_state_check', sql`${t.state} in ('configured', 'proposed')`)],
);

/** A mail domain belongs to one connected organisation at most: the primary key says so. */
export const connectedOrganisationDomains = pgTable(
  'connected_organisation_domains',
  {
    domain: text().primaryKey(),
    organisationId: text()
      .notNull()
      .references(() => connectedOrganisations.id, { onDelete: 'cascade' }),
  },
  (t) => [index().on(t.organisationId), check('connected_organisation_domains_lowercase', sql`${t.domain} = lower(${t.domain})`)],
);

/** A person from outside, by mail address; their identity (same id) exists from their first approval. */
export const guests = pgTable(
  'guests',
  {
    id: text().primaryKey(),
    email: text().notNull().unique(),
    organisationId: text()
      .notNull()
      .references(() => connectedOrganisations.id),
    givenName: text().notNull(),
    familyName: text().notNull(),
    /** The internal sponsor named on the guest's identity (their manager in the directories). */
    sponsorEmployeeId: text(),
    createdAt: at().notNull().defaultNow(),
    updatedAt: at().notNull().defaultNow(),
  },
  (t) => [check('guests_id_check', sql`${t.id} ~ '^g-[0-9a-f]{16}$'`), check('guests_email_lowercase', sql`${t.email} = lower(${t.email})`)],
);

/** One mailed code per sign-in attempt (`id` is the send's id, so a retried send mails one code). */
export const guestSignInCodes = pgTable(
  'guest_sign_in_codes',
  {
    id: text().primaryKey(),
    email: text().notNull(),
    /** HMAC-SHA256 of the code under `salt`; the code itself is never stored. */
    codeHash: text().notNull(),
    salt: text().notNull(),
    expiresAt: at().notNull(),
    attempts: integer().notNull().default(0),
    sentAt: at(),
    usedAt: at(),
    lockedAt: at(),
    createdAt: at().notNull().defaultNow(),
  },
  (t) => [index().on(t.email, t.createdAt)],
);

/** What a verified code buys: a bearer ticket for the guest routes, kept as its SHA-256. */
export const guestTickets = pgTable(
  'guest_tickets',
  {
    tokenHash: text().primaryKey(),
    email: text().notNull(),
    expiresAt: at().notNull(),
    createdAt: at().notNull().defaultNow(),
  },
  (t) => [index().on(t.expiresAt)],
);
