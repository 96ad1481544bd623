import { and, asc, eq, gt, ilike, inArray, isNull, or, sql, type SQL } from 'drizzle-orm';
import { isGuestId } from '../../domain/guest-lifecycle';
import type { LifecycleState, ScheduledAction } from '../../domain/lifecycle';
import type { HrRecord } from '../../domain/hr-record';
import type { PersonFacts } from '../../domain/lifecycle-runs';
import type { DbOrTx } from '../client';
import { accounts, identities } from '../schema';

export type IdentityRow = typeof identities.$inferSelect;
export type AccountRow = typeof accounts.$inferSelect;

function recordColumns(record: HrRecord) {
  return {
    givenName: record.givenName,
    familyName: record.familyName,
    preferredName: record.preferredName ?? null,
    displayName: record.displayName,
    employeeType: record.employeeType,
    department: record.department ?? null,
    jobTitle: record.jobTitle ?? null,
    managerEmployeeId: record.managerEmployeeId ?? null,
    location: record.location ?? null,
    timeZone: record.timeZone,
    hireAt: new Date(record.hireAt),
    leaveAt: record.leaveAt === undefined ? null : new Date(record.leaveAt),
    recordAsOf: new Date(record.asOf),
    record,
  };
}

/** Stores the last applied record; a new person starts `pending` until the workflow says otherwise. */
export async function upsertIdentityRecord(db: DbOrTx, record: HrRecord, workflowId: string): Promise<void> {
  const columns = recordColumns(record);
  await db
    .insert(identities)
    .values({ employeeId: record.employeeId, type: isGuestId(record.employeeId) ? 'guest' : 'worker', state: 'pending', workflowId, ...columns })
    .onConflictDoUpdate({ target: identities.employeeId, set: { ...columns, workflowId, updatedAt: sql`now()` } });
}

export interface LifecyclePosition {
  state: LifecycleState;
  nextAction?: ScheduledAction;
  nextActionAt?: Date;
  lastError?: string;
  targetErrors?: Record<string, string>;
  waiting?: Record<string, { since: string; reason: string }>;
}

/** Writes where the person stands; answers false if there is no such identity. */
export async function updateLifecyclePosition(db: DbOrTx, employeeId: string, position: LifecyclePosition): Promise<boolean> {
  const rows = await db
    .update(identities)
    .set({
      state: position.state,
      nextAction: position.nextAction ?? null,
      nextActionAt: position.nextActionAt ?? null,
      lastError: position.lastError ?? null,
      targetErrors: position.targetErrors ?? {},
      waiting: position.waiting ?? {},
      updatedAt: sql`now()`,
    })
    .where(eq(identities.employeeId, employeeId))
    .returning({ employeeId: identities.employeeId });
  return rows.length > 0;
}

export async function setIdentityNames(db: DbOrTx, employeeId: string, username: string, workEmail: string): Promise<void> {
  await db.update(identities).set({ username, workEmail, updatedAt: sql`now()` }).where(eq(identities.employeeId, employeeId));
}

export async function clearIdentityNames(db: DbOrTx, employeeId: string): Promise<void> {
  await db.update(identities).set({ username: null, workEmail: null, updatedAt: sql`now()` }).where(eq(identities.employeeId, employeeId));
}

export async function findIdentity(db: DbOrTx, employeeId: string): Promise<IdentityRow | undefined> {
  const [row] = await db.select().from(identities).where(eq(identities.employeeId, employeeId));
  return row;
}

/** The people whose work email is this address, in any case (the portal matches sign-ins by it). */
export async function findIdentitiesByWorkEmail(db: DbOrTx, email: string): Promise<IdentityRow[]> {
  return db.select().from(identities).where(sql`lower(${identities.workEmail}) = ${email.toLowerCase()}`).limit(2);
}

export async function findIdentities(db: DbOrTx, employeeIds: string[]): Promise<IdentityRow[]> {
  if (employeeIds.length === 0) return [];
  return db.select().from(identities).where(inArray(identities.employeeId, employeeIds)).orderBy(asc(identities.employeeId));
}

export async function findAccounts(db: DbOrTx, employeeId: string, options: { includeDeleted?: boolean } = {}): Promise<AccountRow[]> {
  return db
    .select()
    .from(accounts)
    .where(and(eq(accounts.employeeId, employeeId), options.includeDeleted ? undefined : isNull(accounts.deletedAt)))
    .orderBy(asc(accounts.id));
}

export async function findLiveAccount(db: DbOrTx, employeeId: string, system: string): Promise<AccountRow | undefined> {
  const [row] = await db
    .select()
    .from(accounts)
    .where(and(eq(accounts.employeeId, employeeId), eq(accounts.system, system), isNull(accounts.deletedAt)));
  return row;
}

export async function saveLiveAccount(
  db: DbOrTx,
  account: { employeeId: string; system: string; externalId: string; username: string; enabled: boolean; attributes: Record<string, string> },
): Promise<void> {
  await db
    .insert(accounts)
    .values(account)
    .onConflictDoUpdate({
      target: [accounts.employeeId, accounts.system],
      targetWhere: isNull(accounts.deletedAt),
      set: {
        externalId: account.externalId,
        username: account.username,
        enabled: account.enabled,
        attributes: account.attributes,
        updatedAt: sql`now()`,
      },
    });
}

export async function markAccountDeleted(db: DbOrTx, employeeId: string, system: string): Promise<void> {
  await db
    .update(accounts)
    .set({ deletedAt: sql`now()`, enabled: false, updatedAt: sql`now()` })
    .where(and(eq(accounts.employeeId, employeeId), eq(accounts.system, system), isNull(accounts.deletedAt)));
}

/** Reports whose accounts carry a manager reference: people without live accounts have none to refresh. */
export async function findDirectReports(db: DbOrTx, managerEmployeeId: string): Promise<string[]> {
  const rows = await db
    .selectDistinct({ employeeId: identities.employeeId })
    .from(identities)
    .innerJoin(accounts, and(eq(accounts.employeeId, identities.employeeId), isNull(accounts.deletedAt)))
    .where(eq(identities.managerEmployeeId, managerEmployeeId));
  return rows.map((r) => r.employeeId);
}

/** Existing ids that differ from the given ones only in letter case (the directory cannot tell them apart). */
export async function findCaseVariants(db: DbOrTx, employeeIds: string[]): Promise<Map<string, string>> {
  if (employeeIds.length === 0) return new Map();
  const lowered = employeeIds.map((id) => id.toLowerCase());
  const rows = await db
    .select({ employeeId: identities.employeeId })
    .from(identities)
    .where(inArray(sql`lower(${identities.employeeId})`, lowered));
  const wanted = new Set(employeeIds);
  const variants = new Map<string, string>();
  for (const { employeeId } of rows) {
    if (wanted.has(employeeId)) continue;
    const asked = employeeIds.find((id) => id.toLowerCase() === employeeId.toLowerCase());
    if (asked) variants.set(asked, employeeId);
  }
  return variants;
}

export interface IdentityFilter {
  state?: LifecycleState;
  type?: 'worker' | 'guest';
  department?: string;
  text?: string;
  after?: string;
  limit: number;
}

/** A page of identities in employee id order; `after` is the last id of the previous page. */
export async function listIdentities(db: DbOrTx, filter: IdentityFilter): Promise<IdentityRow[]> {
  const conditions: (SQL | undefined)[] = [
    filter.state ? eq(identities.state, filter.state) : undefined,
    filter.type ? eq(identities.type, filter.type) : undefined,
    filter.department ? eq(identities.department, filter.department) : undefined,
    filter.after ? gt(identities.employeeId, filter.after) : undefined,
  ];
  if (filter.text) {
    const pattern = `%${filter.text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    conditions.push(
      or(
        ilike(identities.employeeId, pattern),
        ilike(identities.displayName, pattern),
        ilike(identities.username, pattern),
        ilike(identities.workEmail, pattern),
      ),
    );
  }
  return db
    .select()
    .from(identities)
    .where(and(...conditions))
    .orderBy(asc(identities.employeeId))
    .limit(filter.limit);
}

/** What scope rules see of a person. */
export function identityFacts(identity: IdentityRow, withdrawn: boolean): PersonFacts {
  const record = identity.record;
  return {
    employeeId: identity.employeeId,
    hireAt: record.hireAt,
    leaveAt: record.leaveAt,
    createdAt: identity.createdAt.getTime(),
    timeZone: record.timeZone,
    withdrawn,
    attributes: {
      employeeId: identity.employeeId,
      givenName: record.givenName,
      familyName: record.familyName,
      preferredName: record.preferredName,
      displayName: record.displayName,
      employeeType: record.employeeType,
      department: record.department,
      jobTitle: record.jobTitle,
      managerEmployeeId: record.managerEmployeeId,
      location: record.location,
      timeZone: record.timeZone,
      workEmail: identity.workEmail ?? record.workEmail,
      personalEmail: record.personalEmail,
      username: identity.username ?? undefined,
      state: identity.state,
      hireDate: new Date(record.hireAt).toISOString(),
      leaveDate: record.leaveAt === undefined ? undefined : new Date(record.leaveAt).toISOString(),
    },
  };
}
