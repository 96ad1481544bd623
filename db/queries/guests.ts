import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { and, asc, desc, eq, gt, inArray, isNull, lt, sql } from 'drizzle-orm';
import { canonicalJson } from '../../domain/canonical-json';
import type { ConnectedOrganisation } from '../../domain/connected-organisations';
import type { DbOrTx } from '../client';
import { connectedOrganisationDomains, connectedOrganisations, guests, guestSignInCodes, guestTickets } from '../schema';

export type OrganisationRow = typeof connectedOrganisations.$inferSelect & { domains: string[] };
export type GuestRow = typeof guests.$inferSelect;
export type GuestCodeRow = typeof guestSignInCodes.$inferSelect;

/** A domain some other organisation holds: saving would take it away from them. */
export class DomainTakenError extends Error {
  constructor(
    readonly domain: string,
    readonly owner: string,
  ) {
    super(`the domain ${domain} belongs to the connected organisation ${owner}`);
    this.name = 'DomainTakenError';
  }
}

async function withDomains(db: DbOrTx, rows: (typeof connectedOrganisations.$inferSelect)[]): Promise<OrganisationRow[]> {
  if (rows.length === 0) return [];
  const domains = await db
    .select()
    .from(connectedOrganisationDomains)
    .where(
      inArray(
        connectedOrganisationDomains.organisationId,
        rows.map((r) => r.id),
      ),
    )
    .orderBy(asc(connectedOrganisationDomains.domain));
  return rows.map((row) => ({ ...row, domains: domains.filter((d) => d.organisationId === row.id).map((d) => d.domain) }));
}

export async function listOrganisations(db: DbOrTx, filter: { state?: 'configured' | 'proposed' } = {}): Promise<OrganisationRow[]> {
  const rows = await db
    .select()
    .from(connectedOrganisations)
    .where(filter.state ? eq(connectedOrganisations.state, filter.state) : undefined)
    .orderBy(asc(connectedOrganisations.id));
  return withDomains(db, rows);
}

export async function findOrganisation(db: DbOrTx, id: string): Promise<OrganisationRow | undefined> {
  const rows = await db.select().from(connectedOrganisations).where(eq(connectedOrganisations.id, id));
  return (await withDomains(db, rows))[0];
}

export async function findOrganisationByDomain(db: DbOrTx, domain: string): Promise<OrganisationRow | undefined> {
  const [owner] = await db.select().from(connectedOrganisationDomains).where(eq(connectedOrganisationDomains.domain, domain.toLowerCase()));
  return owner ? findOrganisation(db, owner.organisationId) : undefined;
}

/**
 * Creates or replaces an organisation and its domains in one transaction; a domain held by
 * another organisation is refused (DomainTakenError). Answers what happened.
 */
export async function saveOrganisation(db: DbOrTx, organisation: ConnectedOrganisation, source: string): Promise<'created' | 'changed' | 'unchanged'> {
  return db.transaction(async (tx) => {
    const [existing] = await tx.select().from(connectedOrganisations).where(eq(connectedOrganisations.id, organisation.id)).for('update');
    const taken = await tx.select().from(connectedOrganisationDomains).where(inArray(connectedOrganisationDomains.domain, organisation.domains));
    const foreign = taken.find((d) => d.organisationId !== organisation.id);
    if (foreign) throw new DomainTakenError(foreign.domain, foreign.organisationId);
    const values = { name: organisation.name, sponsors: organisation.sponsors, state: organisation.state, source };
    if (existing) {
      const [current] = await withDomains(tx, [existing]);
      const same = canonicalJson({ n: current!.name, s: current!.sponsors, st: current!.state, d: current!.domains }) === canonicalJson({ n: values.name, s: values.sponsors, st: values.state, d: [...organisation.domains].sort() });
      if (same) return 'unchanged';
      await tx.update(connectedOrganisations).set({ ...values, updatedAt: sql`now()` }).where(eq(connectedOrganisations.id, organisation.id));
      await tx.delete(connectedOrganisationDomains).where(eq(connectedOrganisationDomains.organisationId, organisation.id));
    } else {
      await tx.insert(connectedOrganisations).values({ id: organisation.id, ...values });
    }
    await tx.insert(connectedOrganisationDomains).values(organisation.domains.map((domain) => ({ domain, organisationId: organisation.id })));
    return existing ? 'changed' : 'created';
  });
}

/** Proposes an organisation for an unknown domain, unless one has it by now; answers the one that holds it. */
export async function proposeOrganisation(db: DbOrTx, organisation: ConnectedOrganisation): Promise<OrganisationRow> {
  return db.transaction(async (tx) => {
    // Two guests of the same new domain at once propose one organisation.
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`propose:${organisation.domains[0]}`}))`);
    const held = await findOrganisationByDomain(tx, organisation.domains[0]!);
    if (held) return held;
    await tx.insert(connectedOrganisations).values({ id: organisation.id, name: organisation.name, sponsors: [], state: 'proposed', source: 'proposed' }).onConflictDoNothing();
    await tx.insert(connectedOrganisationDomains).values({ domain: organisation.domains[0]!, organisationId: organisation.id });
    return (await findOrganisation(tx, organisation.id))!;
  });
}

/** Deletes an organisation; answers false when it has guests (they keep their organisation) or does not exist. */
export async function deleteOrganisation(db: DbOrTx, id: string): Promise<'deleted' | 'missing' | 'has-guests'> {
  return db.transaction(async (tx) => {
    const [guest] = await tx.select({ id: guests.id }).from(guests).where(eq(guests.organisationId, id)).limit(1);
    if (guest) return 'has-guests';
    const rows = await tx.delete(connectedOrganisations).where(eq(connectedOrganisations.id, id)).returning({ id: connectedOrganisations.id });
    return rows.length > 0 ? 'deleted' : 'missing';
  });
}

export async function findGuestByEmail(db: DbOrTx, email: string): Promise<GuestRow | undefined> {
  const [row] = await db.select().from(guests).where(eq(guests.email, email.toLowerCase()));
  return row;
}

export async function findGuest(db: DbOrTx, id: string): Promise<GuestRow | undefined> {
  const [row] = await db.select().from(guests).where(eq(guests.id, id));
  return row;
}

/** The guest for this address, created with `fresh` when there is none; the first one stored wins. */
export async function ensureGuest(db: DbOrTx, fresh: typeof guests.$inferInsert): Promise<GuestRow> {
  await db.insert(guests).values(fresh).onConflictDoNothing();
  return (await findGuestByEmail(db, fresh.email))!;
}

export async function setGuestSponsor(db: DbOrTx, id: string, sponsorEmployeeId: string | null): Promise<void> {
  await db.update(guests).set({ sponsorEmployeeId, updatedAt: sql`now()` }).where(eq(guests.id, id));
}

/** HMAC of the code under the row's own salt: a stored hash says nothing about the next code. */
export function guestCodeHash(salt: string, email: string, code: string): string {
  return createHmac('sha256', Buffer.from(salt, 'hex')).update(`${email.toLowerCase()}\n${code}`).digest('hex');
}

export function codeMatches(row: Pick<GuestCodeRow, 'salt' | 'codeHash' | 'email'>, code: string): boolean {
  const given = Buffer.from(guestCodeHash(row.salt, row.email, code), 'hex');
  const stored = Buffer.from(row.codeHash, 'hex');
  return given.length === stored.length && timingSafeEqual(given, stored);
}

export async function findCode(db: DbOrTx, id: string): Promise<GuestCodeRow | undefined> {
  const [row] = await db.select().from(guestSignInCodes).where(eq(guestSignInCodes.id, id));
  return row;
}

/** Stores (or, when its mail never went out, replaces) the code of one send. */
export async function replaceUnsentCode(db: DbOrTx, row: typeof guestSignInCodes.$inferInsert): Promise<void> {
  await db
    .insert(guestSignInCodes)
    .values(row)
    .onConflictDoUpdate({ target: guestSignInCodes.id, set: { codeHash: row.codeHash, salt: row.salt, expiresAt: row.expiresAt }, setWhere: isNull(guestSignInCodes.sentAt) });
}

/** Marks the code sent; every earlier code of the address stops counting, so only the newest mail works. */
export async function markCodeSent(db: DbOrTx, id: string, email: string, now: Date): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.update(guestSignInCodes).set({ sentAt: now }).where(and(eq(guestSignInCodes.id, id), isNull(guestSignInCodes.sentAt)));
    await tx
      .update(guestSignInCodes)
      .set({ lockedAt: now })
      .where(and(eq(guestSignInCodes.email, email), sql`${guestSignInCodes.id} <> ${id}`, isNull(guestSignInCodes.usedAt), isNull(guestSignInCodes.lockedAt)));
  });
}

/**
 * The newest code made for this address (used, locked or expired ones included: the caller
 * judges). Not only mailed ones: the mail can reach the guest before its send is marked, and a
 * code nobody was mailed is as unguessable as any other.
 */
export async function latestCode(db: DbOrTx, email: string): Promise<GuestCodeRow | undefined> {
  const [row] = await db
    .select()
    .from(guestSignInCodes)
    .where(eq(guestSignInCodes.email, email))
    .orderBy(desc(guestSignInCodes.createdAt))
    .limit(1);
  return row;
}

/** Uses the code up, once: answers false when another try used (or locked) it first. */
export async function useCode(db: DbOrTx, id: string, now: Date): Promise<boolean> {
  const rows = await db
    .update(guestSignInCodes)
    .set({ usedAt: now })
    .where(and(eq(guestSignInCodes.id, id), isNull(guestSignInCodes.usedAt), isNull(guestSignInCodes.lockedAt), gt(guestSignInCodes.expiresAt, now)))
    .returning({ id: guestSignInCodes.id });
  return rows.length > 0;
}

/** Counts a wrong try in one statement; locks the code when `lock`. */
export async function countWrongTry(db: DbOrTx, id: string, lock: boolean, now: Date): Promise<void> {
  await db
    .update(guestSignInCodes)
    .set({ attempts: sql`${guestSignInCodes.attempts} + 1`, ...(lock ? { lockedAt: now } : {}) })
    .where(eq(guestSignInCodes.id, id));
}

export const guestTicketHash = (ticket: string): string => createHash('sha256').update(ticket).digest('hex');

export async function insertTicket(db: DbOrTx, row: typeof guestTickets.$inferInsert): Promise<void> {
  await db.insert(guestTickets).values(row);
}

/** The address a live ticket stands for, or undefined. */
export async function findTicketEmail(db: DbOrTx, ticket: string, now: Date): Promise<string | undefined> {
  const [row] = await db
    .select({ email: guestTickets.email })
    .from(guestTickets)
    .where(and(eq(guestTickets.tokenHash, guestTicketHash(ticket)), gt(guestTickets.expiresAt, now)));
  return row?.email;
}

/** Forgets codes and tickets that ended before `before`; answers how many. */
export async function pruneGuestSignIns(db: DbOrTx, before: Date): Promise<number> {
  const codes = await db.delete(guestSignInCodes).where(lt(guestSignInCodes.expiresAt, before)).returning({ id: guestSignInCodes.id });
  const tickets = await db.delete(guestTickets).where(lt(guestTickets.expiresAt, before)).returning({ tokenHash: guestTickets.tokenHash });
  return codes.length + tickets.length;
}
