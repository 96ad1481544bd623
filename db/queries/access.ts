import { createHash } from 'node:crypto';
import { and, arrayContains, asc, desc, eq, gt, inArray, ne, sql } from 'drizzle-orm';
import type { AccessPackage, AccessPackageVersion, Catalog } from '../../domain/access-packages';
import type { AssignmentFact } from '../../domain/access-planner';
import { canonicalJson } from '../../domain/canonical-json';
import type { DbOrTx } from '../client';
import { accessAssignments, accessDecisions, accessPackages, accessPackageVersions, accessRequests, approvalLinks, catalogs } from '../schema';

export type CatalogRow = typeof catalogs.$inferSelect;
export type AssignmentRow = typeof accessAssignments.$inferSelect;
export type RequestRow = typeof accessRequests.$inferSelect;
export type DecisionRow = typeof accessDecisions.$inferSelect;
export type SaveOutcome = 'created' | 'new-version' | 'unchanged';

export async function saveCatalog(db: DbOrTx, catalog: Catalog, source: string): Promise<SaveOutcome> {
  const [existing] = await db.select().from(catalogs).where(eq(catalogs.id, catalog.id));
  const values = { name: catalog.name, description: catalog.description ?? null, owners: catalog.owners, source };
  if (!existing) {
    await db.insert(catalogs).values({ id: catalog.id, ...values }).onConflictDoNothing();
    return 'created';
  }
  if (existing.name === values.name && existing.description === values.description && canonicalJson(existing.owners) === canonicalJson(values.owners)) return 'unchanged';
  await db.update(catalogs).set({ ...values, updatedAt: sql`now()` }).where(eq(catalogs.id, catalog.id));
  return 'new-version';
}

export async function findCatalog(db: DbOrTx, id: string): Promise<CatalogRow | undefined> {
  const [row] = await db.select().from(catalogs).where(eq(catalogs.id, id));
  return row;
}

export async function listCatalogs(db: DbOrTx): Promise<CatalogRow[]> {
  return db.select().from(catalogs).orderBy(asc(catalogs.id));
}

/** Content that makes a new version; `enabled` is a switch, not content. */
const content = ({ enabled: _enabled, ...rest }: AccessPackage) => canonicalJson(rest);

/** Creates the package or stores a new version when its content changed. */
export async function savePackage(db: DbOrTx, accessPackage: AccessPackage, meta: { source: string; actor: string }): Promise<{ outcome: SaveOutcome; version: number }> {
  return db.transaction(async (tx) => {
    const [existing] = await tx.select().from(accessPackages).where(eq(accessPackages.id, accessPackage.id)).for('update');
    const row = { catalogId: accessPackage.catalog, name: accessPackage.name, enabled: accessPackage.enabled, source: meta.source };
    if (!existing) {
      await tx.insert(accessPackages).values({ id: accessPackage.id, ...row, currentVersion: 1 });
      await tx.insert(accessPackageVersions).values({ packageId: accessPackage.id, version: 1, definition: accessPackage, createdBy: meta.actor });
      return { outcome: 'created' as const, version: 1 };
    }
    const [current] = await tx.select().from(accessPackageVersions).where(and(eq(accessPackageVersions.packageId, accessPackage.id), eq(accessPackageVersions.version, existing.currentVersion)));
    if (current && content(current.definition) === content(accessPackage)) {
      if (existing.enabled !== accessPackage.enabled) await tx.update(accessPackages).set({ enabled: accessPackage.enabled, updatedAt: sql`now()` }).where(eq(accessPackages.id, accessPackage.id));
      return { outcome: 'unchanged' as const, version: existing.currentVersion };
    }
    const version = existing.currentVersion + 1;
    await tx.insert(accessPackageVersions).values({ packageId: accessPackage.id, version, definition: accessPackage, createdBy: meta.actor });
    await tx.update(accessPackages).set({ ...row, currentVersion: version, updatedAt: sql`now()` }).where(eq(accessPackages.id, accessPackage.id));
    return { outcome: 'new-version' as const, version };
  });
}

/** Packages at their current version (or one given version), with the switch applied. */
export async function listPackages(db: DbOrTx, filter: { ids?: string[]; catalogId?: string } = {}): Promise<AccessPackageVersion[]> {
  const rows = await db
    .select({ definition: accessPackageVersions.definition, version: accessPackageVersions.version, enabled: accessPackages.enabled })
    .from(accessPackages)
    .innerJoin(accessPackageVersions, and(eq(accessPackageVersions.packageId, accessPackages.id), eq(accessPackageVersions.version, accessPackages.currentVersion)))
    .where(and(filter.ids ? inArray(accessPackages.id, filter.ids) : undefined, filter.catalogId ? eq(accessPackages.catalogId, filter.catalogId) : undefined))
    .orderBy(asc(accessPackages.id));
  return rows.map((r) => ({ ...r.definition, enabled: r.enabled, version: r.version }));
}

export async function findPackage(db: DbOrTx, id: string, version?: number): Promise<AccessPackageVersion | undefined> {
  if (version === undefined) return (await listPackages(db, { ids: [id] }))[0];
  const [row] = await db.select().from(accessPackageVersions).where(and(eq(accessPackageVersions.packageId, id), eq(accessPackageVersions.version, version)));
  const [head] = await db.select().from(accessPackages).where(eq(accessPackages.id, id));
  return row && head ? { ...row.definition, enabled: head.enabled, version: row.version } : undefined;
}

export async function listPackageVersions(db: DbOrTx, id: string): Promise<{ version: number; createdBy: string; createdAt: Date }[]> {
  return db
    .select({ version: accessPackageVersions.version, createdBy: accessPackageVersions.createdBy, createdAt: accessPackageVersions.createdAt })
    .from(accessPackageVersions)
    .where(eq(accessPackageVersions.packageId, id))
    .orderBy(desc(accessPackageVersions.version));
}

export async function setPackageEnabled(db: DbOrTx, id: string, enabled: boolean): Promise<boolean> {
  const rows = await db.update(accessPackages).set({ enabled, updatedAt: sql`now()` }).where(eq(accessPackages.id, id)).returning({ id: accessPackages.id });
  return rows.length > 0;
}

// Assignments

export async function insertAssignment(db: DbOrTx, row: typeof accessAssignments.$inferInsert): Promise<AssignmentRow | undefined> {
  const [inserted] = await db.insert(accessAssignments).values(row).onConflictDoNothing().returning();
  return inserted;
}

export async function findAssignment(db: DbOrTx, id: string): Promise<AssignmentRow | undefined> {
  const [row] = await db.select().from(accessAssignments).where(eq(accessAssignments.id, id));
  return row;
}

/** A person's assignments that have not ended. */
export async function liveAssignments(db: DbOrTx, employeeId: string): Promise<AssignmentRow[]> {
  return db
    .select()
    .from(accessAssignments)
    .where(and(eq(accessAssignments.employeeId, employeeId), ne(accessAssignments.status, 'ended')))
    .orderBy(asc(accessAssignments.createdAt));
}

/** The live assignments of several people at once (a dry run or a conflict listing pages through everyone). */
export async function liveAssignmentsOf(db: DbOrTx, employeeIds: string[]): Promise<Map<string, AssignmentRow[]>> {
  const byPerson = new Map<string, AssignmentRow[]>(employeeIds.map((id) => [id, []]));
  if (employeeIds.length === 0) return byPerson;
  const rows = await db
    .select()
    .from(accessAssignments)
    .where(and(inArray(accessAssignments.employeeId, employeeIds), ne(accessAssignments.status, 'ended')))
    .orderBy(asc(accessAssignments.createdAt));
  for (const row of rows) byPerson.get(row.employeeId)?.push(row);
  return byPerson;
}

/** People who hold a package (active or in grace, not held), a page at a time in employee id order. */
export async function holdersOf(db: DbOrTx, packageId: string, page: { after?: string; limit: number }): Promise<string[]> {
  const rows = await db
    .selectDistinct({ employeeId: accessAssignments.employeeId })
    .from(accessAssignments)
    .where(and(eq(accessAssignments.packageId, packageId), inArray(accessAssignments.status, ['active', 'grace']), page.after ? gt(accessAssignments.employeeId, page.after) : undefined))
    .orderBy(asc(accessAssignments.employeeId))
    .limit(page.limit);
  return rows.map((r) => r.employeeId);
}

export async function assignmentsOf(db: DbOrTx, filter: { packageId?: string; employeeId?: string; live?: boolean; limit?: number }): Promise<AssignmentRow[]> {
  return db
    .select()
    .from(accessAssignments)
    .where(
      and(
        filter.packageId ? eq(accessAssignments.packageId, filter.packageId) : undefined,
        filter.employeeId ? eq(accessAssignments.employeeId, filter.employeeId) : undefined,
        filter.live ? ne(accessAssignments.status, 'ended') : undefined,
      ),
    )
    .orderBy(desc(accessAssignments.createdAt))
    .limit(filter.limit ?? 1000);
}

export async function updateAssignment(db: DbOrTx, id: string, patch: Partial<typeof accessAssignments.$inferInsert>): Promise<AssignmentRow | undefined> {
  const [row] = await db
    .update(accessAssignments)
    .set({ ...patch, updatedAt: sql`now()` })
    .where(and(eq(accessAssignments.id, id), ne(accessAssignments.status, 'ended')))
    .returning();
  return row;
}

/** Ends an assignment once; answers it when this call ended it. */
export async function endAssignment(db: DbOrTx, id: string, end: { reason: string; by: string; at: Date }): Promise<AssignmentRow | undefined> {
  return updateAssignment(db, id, { status: 'ended', endedAt: end.at, endReason: end.reason, endedBy: end.by });
}

export function toAssignmentFact(row: AssignmentRow): AssignmentFact {
  return {
    id: row.id,
    packageId: row.packageId,
    source: row.source,
    policyId: row.policyId ?? undefined,
    status: row.status === 'ended' ? 'active' : row.status,
    startsAt: row.startsAt.getTime(),
    endsAt: row.endsAt?.getTime(),
    graceUntil: row.graceUntil?.getTime(),
    remindersSent: row.remindersSent,
  };
}

// Requests and decisions

export async function insertRequest(db: DbOrTx, row: typeof accessRequests.$inferInsert): Promise<RequestRow> {
  const [inserted] = await db.insert(accessRequests).values(row).onConflictDoNothing().returning();
  return inserted ?? (await findRequest(db, row.id))!;
}

export async function findRequest(db: DbOrTx, id: string): Promise<RequestRow | undefined> {
  const [row] = await db.select().from(accessRequests).where(eq(accessRequests.id, id));
  return row;
}

export async function updateRequest(db: DbOrTx, id: string, patch: Partial<typeof accessRequests.$inferInsert>): Promise<void> {
  await db.update(accessRequests).set({ ...patch, updatedAt: sql`now()` }).where(eq(accessRequests.id, id));
}

export async function listRequests(db: DbOrTx, filter: { employeeId?: string; status?: RequestRow['status']; packageId?: string; limit?: number }): Promise<RequestRow[]> {
  return db
    .select()
    .from(accessRequests)
    .where(and(filter.employeeId ? eq(accessRequests.employeeId, filter.employeeId) : undefined, filter.status ? eq(accessRequests.status, filter.status) : undefined, filter.packageId ? eq(accessRequests.packageId, filter.packageId) : undefined))
    .orderBy(desc(accessRequests.createdAt))
    .limit(filter.limit ?? 200);
}

/** Requests waiting for this person's decision at their current stage. */
export async function pendingApprovals(db: DbOrTx, approver: string): Promise<RequestRow[]> {
  return db
    .select()
    .from(accessRequests)
    .where(and(eq(accessRequests.status, 'pending'), arrayContains(accessRequests.approvers, [approver])))
    .orderBy(asc(accessRequests.createdAt));
}

export async function insertDecision(db: DbOrTx, row: typeof accessDecisions.$inferInsert): Promise<void> {
  await db.insert(accessDecisions).values(row).onConflictDoNothing();
}

export async function decisionsOf(db: DbOrTx, requestId: string): Promise<DecisionRow[]> {
  return db.select().from(accessDecisions).where(eq(accessDecisions.requestId, requestId)).orderBy(asc(accessDecisions.id));
}

// Approval links

/** Approval links are capabilities: only their SHA-256 is stored. */
export const approvalTokenHash = (token: string): string => createHash('sha256').update(token).digest('hex');

export type ApprovalLinkRow = typeof approvalLinks.$inferSelect;

/** The approver's link for a stage, if one was made. */
export async function stageLink(db: DbOrTx, requestId: string, stage: number, approver: string): Promise<ApprovalLinkRow | undefined> {
  const [row] = await db.select().from(approvalLinks).where(and(eq(approvalLinks.requestId, requestId), eq(approvalLinks.stage, stage), eq(approvalLinks.approver, approver)));
  return row;
}

/** A new link for the approver and stage, in place of one that was never sent. */
export async function replaceApprovalLink(db: DbOrTx, row: typeof approvalLinks.$inferInsert): Promise<void> {
  await db.delete(approvalLinks).where(and(eq(approvalLinks.requestId, row.requestId), eq(approvalLinks.stage, row.stage), eq(approvalLinks.approver, row.approver), sql`${approvalLinks.sentAt} is null`));
  await db.insert(approvalLinks).values(row).onConflictDoNothing();
}

export async function markApprovalLinkSent(db: DbOrTx, tokenHash: string): Promise<void> {
  await db.update(approvalLinks).set({ sentAt: sql`now()` }).where(eq(approvalLinks.tokenHash, tokenHash));
}

/** Gives a used link back when the decision it carried could not be delivered. */
export async function releaseApprovalLink(db: DbOrTx, tokenHash: string): Promise<void> {
  await db.update(approvalLinks).set({ usedAt: null }).where(eq(approvalLinks.tokenHash, tokenHash));
}

export async function findApprovalLink(db: DbOrTx, tokenHash: string): Promise<typeof approvalLinks.$inferSelect | undefined> {
  const [row] = await db.select().from(approvalLinks).where(eq(approvalLinks.tokenHash, tokenHash));
  return row;
}

/** Uses the link up; answers false when it was already used. */
export async function useApprovalLink(db: DbOrTx, tokenHash: string, now: Date): Promise<boolean> {
  const rows = await db
    .update(approvalLinks)
    .set({ usedAt: now })
    .where(and(eq(approvalLinks.tokenHash, tokenHash), sql`${approvalLinks.usedAt} is null`))
    .returning({ tokenHash: approvalLinks.tokenHash });
  return rows.length > 0;
}
