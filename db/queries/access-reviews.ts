import { and, arrayContains, asc, desc, eq, gt, inArray, isNotNull, isNull, ne, sql, type SQL } from 'drizzle-orm';
import type { AccessReview, AccessReviewVersion, ItemDecision } from '../../domain/access-reviews';
import { canonicalJson } from '../../domain/canonical-json';
import type { DbOrTx } from '../client';
import { accessAssignments, accessPackages, accessReviewCampaigns, accessReviewItems, accessReviewNotices, accessReviews, accessReviewVersions, hrInbox, identities } from '../schema';
import { appendAuditEvents, type AuditEntry } from './audit';
import type { SaveOutcome } from './access';

export type ReviewRow = typeof accessReviews.$inferSelect;
export type CampaignRow = typeof accessReviewCampaigns.$inferSelect;
export type ReviewItemRow = typeof accessReviewItems.$inferSelect;

export interface StoredReview extends AccessReviewVersion {
  source: string;
  createdAt: Date;
  updatedAt: Date;
}

/** Content that makes a new version; `enabled` is a switch, not content. */
const content = ({ enabled: _enabled, ...rest }: AccessReview) => canonicalJson(rest);

/** Creates the review or stores a new version when its content changed. */
export async function saveReview(db: DbOrTx, review: AccessReview, meta: { source: string; actor: string }): Promise<{ outcome: SaveOutcome; version: number }> {
  return db.transaction(async (tx) => {
    const [existing] = await tx.select().from(accessReviews).where(eq(accessReviews.id, review.id)).for('update');
    const row = { name: review.name, enabled: review.enabled, source: meta.source };
    if (!existing) {
      await tx.insert(accessReviews).values({ id: review.id, ...row, currentVersion: 1 });
      await tx.insert(accessReviewVersions).values({ reviewId: review.id, version: 1, definition: review, createdBy: meta.actor });
      return { outcome: 'created' as const, version: 1 };
    }
    const [current] = await tx.select().from(accessReviewVersions).where(and(eq(accessReviewVersions.reviewId, review.id), eq(accessReviewVersions.version, existing.currentVersion)));
    if (current && content(current.definition) === content(review)) {
      if (existing.enabled !== review.enabled) await tx.update(accessReviews).set({ enabled: review.enabled, updatedAt: sql`now()` }).where(eq(accessReviews.id, review.id));
      return { outcome: 'unchanged' as const, version: existing.currentVersion };
    }
    const version = existing.currentVersion + 1;
    await tx.insert(accessReviewVersions).values({ reviewId: review.id, version, definition: review, createdBy: meta.actor });
    await tx.update(accessReviews).set({ ...row, currentVersion: version, updatedAt: sql`now()` }).where(eq(accessReviews.id, review.id));
    return { outcome: 'new-version' as const, version };
  });
}

/** Every review at its current version, or one at a given version, with the switch applied. */
export async function listReviews(db: DbOrTx, filter: { id?: string; version?: number } = {}): Promise<StoredReview[]> {
  const rows = await db
    .select({ review: accessReviews, version: accessReviewVersions })
    .from(accessReviews)
    .innerJoin(accessReviewVersions, and(eq(accessReviewVersions.reviewId, accessReviews.id), filter.version === undefined ? eq(accessReviewVersions.version, accessReviews.currentVersion) : eq(accessReviewVersions.version, filter.version)))
    .where(filter.id ? eq(accessReviews.id, filter.id) : undefined)
    .orderBy(asc(accessReviews.id));
  return rows.map(({ review, version }) => ({ ...version.definition, enabled: review.enabled, version: version.version, source: review.source, createdAt: review.createdAt, updatedAt: review.updatedAt }));
}

export async function findReview(db: DbOrTx, id: string, version?: number): Promise<StoredReview | undefined> {
  return (await listReviews(db, { id, version }))[0];
}

export async function listReviewVersions(db: DbOrTx, id: string): Promise<{ version: number; createdBy: string; createdAt: Date }[]> {
  return db.select({ version: accessReviewVersions.version, createdBy: accessReviewVersions.createdBy, createdAt: accessReviewVersions.createdAt }).from(accessReviewVersions).where(eq(accessReviewVersions.reviewId, id)).orderBy(desc(accessReviewVersions.version));
}

export async function setReviewEnabled(db: DbOrTx, id: string, enabled: boolean): Promise<boolean> {
  const rows = await db.update(accessReviews).set({ enabled, updatedAt: sql`now()` }).where(eq(accessReviews.id, id)).returning({ id: accessReviews.id });
  return rows.length > 0;
}

// Campaigns

/** Opens the campaign once; answers the row as it is. */
export async function openCampaign(db: DbOrTx, row: typeof accessReviewCampaigns.$inferInsert): Promise<{ campaign: CampaignRow; created: boolean }> {
  const [inserted] = await db.insert(accessReviewCampaigns).values(row).onConflictDoNothing().returning();
  return inserted ? { campaign: inserted, created: true } : { campaign: (await findCampaign(db, row.id))!, created: false };
}

export async function findCampaign(db: DbOrTx, id: string): Promise<CampaignRow | undefined> {
  const [row] = await db.select().from(accessReviewCampaigns).where(eq(accessReviewCampaigns.id, id));
  return row;
}

export async function listCampaigns(db: DbOrTx, reviewId: string, limit = 100): Promise<CampaignRow[]> {
  return db.select().from(accessReviewCampaigns).where(eq(accessReviewCampaigns.reviewId, reviewId)).orderBy(desc(accessReviewCampaigns.openedAt)).limit(limit);
}

export async function updateCampaign(db: DbOrTx, id: string, patch: Partial<typeof accessReviewCampaigns.$inferInsert>): Promise<void> {
  await db.update(accessReviewCampaigns).set(patch).where(eq(accessReviewCampaigns.id, id));
}

// Collecting items

/** One of `of` disjoint parts of the items, collected side by side. */
export interface Part {
  index: number;
  of: number;
}
const inPart = (key: SQL, part: Part) => (part.of > 1 ? sql`(${key}) % ${part.of} = ${part.index}` : undefined);

/** The batch numbers a stage's items were given. */
export async function stageBatches(db: DbOrTx, campaignId: string, stage: number): Promise<number[]> {
  const rows = await db.selectDistinct({ batch: accessReviewItems.batch }).from(accessReviewItems).where(and(eq(accessReviewItems.campaignId, campaignId), eq(accessReviewItems.stage, stage))).orderBy(asc(accessReviewItems.batch));
  return rows.map((r) => r.batch);
}

export interface ReviewSubjectRow {
  assignment: typeof accessAssignments.$inferSelect;
  person: typeof identities.$inferSelect | null;
  catalogId: string;
  /** The department and job of the HR record in force when the access was granted, if one was received. */
  grantedDepartment: string | null;
  grantedJobTitle: string | null;
}

/** Live assignments (active or in grace) of the given packages (all when absent), a page at a time in assignment id order, with the person. */
export async function reviewableAssignments(db: DbOrTx, filter: { packageIds?: string[]; catalogId?: string; after?: string; limit: number; part: Part }): Promise<ReviewSubjectRow[]> {
  // The page's ids first, so the per-row lookups below run for the page only.
  const page = db.$with('page').as(
    db
      .select({ pageId: accessAssignments.id })
      .from(accessAssignments)
      .innerJoin(accessPackages, eq(accessPackages.id, accessAssignments.packageId))
      .where(
        and(
          inArray(accessAssignments.status, ['active', 'grace']),
          filter.packageIds ? inArray(accessAssignments.packageId, filter.packageIds) : undefined,
          filter.catalogId ? eq(accessPackages.catalogId, filter.catalogId) : undefined,
          filter.after ? gt(accessAssignments.id, filter.after) : undefined,
          inPart(sql`hashtext(${accessAssignments.id}) & 2147483647`, filter.part),
        ),
      )
      .orderBy(asc(accessAssignments.id))
      .limit(filter.limit),
  );
  const granted = (field: 'department' | 'jobTitle') =>
    sql<string | null>`(select ${hrInbox.record} ->> ${field} from ${hrInbox} where ${hrInbox.employeeId} = ${accessAssignments.employeeId} and ${hrInbox.kind} = 'upsert' and ${hrInbox.receivedAt} <= ${accessAssignments.startsAt} order by ${hrInbox.id} desc limit 1)`;
  return db
    .with(page)
    .select({ assignment: accessAssignments, person: identities, catalogId: accessPackages.catalogId, grantedDepartment: granted('department'), grantedJobTitle: granted('jobTitle') })
    .from(page)
    .innerJoin(accessAssignments, eq(accessAssignments.id, page.pageId))
    // A page keeps its length (it ends the paging) even for an assignment of someone unknown.
    .leftJoin(identities, eq(identities.employeeId, accessAssignments.employeeId))
    .innerJoin(accessPackages, eq(accessPackages.id, accessAssignments.packageId))
    .orderBy(asc(accessAssignments.id));
}

/** Items of a stage that go on to the next, a page at a time in id order, with the person. */
export async function passedItems(db: DbOrTx, campaignId: string, stage: number, page: { after?: number; limit: number; part: Part }): Promise<{ item: ReviewItemRow; person: typeof identities.$inferSelect; catalogId: string }[]> {
  return db
    .select({ item: accessReviewItems, person: identities, catalogId: accessPackages.catalogId })
    .from(accessReviewItems)
    .innerJoin(identities, eq(identities.employeeId, accessReviewItems.employeeId))
    .innerJoin(accessPackages, eq(accessPackages.id, accessReviewItems.packageId))
    .where(and(eq(accessReviewItems.campaignId, campaignId), eq(accessReviewItems.stage, stage), eq(accessReviewItems.passed, true), page.after ? gt(accessReviewItems.id, page.after) : undefined, inPart(sql`${accessReviewItems.id}`, page.part)))
    .orderBy(asc(accessReviewItems.id))
    .limit(page.limit);
}

/** Stores items; one per campaign, stage and assignment however often a step runs. */
export async function insertItems(db: DbOrTx, rows: (typeof accessReviewItems.$inferInsert)[]): Promise<void> {
  for (let i = 0; i < rows.length; i += 5000) await db.insert(accessReviewItems).values(rows.slice(i, i + 5000)).onConflictDoNothing();
}

/** Who of these people is still here (not terminated, deleted or cancelled). */
export async function activePeople(db: DbOrTx, employeeIds: string[]): Promise<Set<string>> {
  if (employeeIds.length === 0) return new Set();
  const rows = await db.select({ employeeId: identities.employeeId }).from(identities).where(and(inArray(identities.employeeId, employeeIds), inArray(identities.state, ['pending', 'prehire', 'active'])));
  return new Set(rows.map((r) => r.employeeId));
}

// Decisions

/** A batch's items as its workflow's validator needs them: id, reviewers, decided or not. */
export async function batchReviewers(db: DbOrTx, campaignId: string, stage: number, batch: number): Promise<{ id: number; reviewers: string[]; decided: boolean }[]> {
  return db
    .select({ id: accessReviewItems.id, reviewers: accessReviewItems.reviewers, decided: sql<boolean>`${accessReviewItems.decision} is not null` })
    .from(accessReviewItems)
    .where(and(eq(accessReviewItems.campaignId, campaignId), eq(accessReviewItems.stage, stage), eq(accessReviewItems.batch, batch)));
}

export async function batchItems(db: DbOrTx, campaignId: string, stage: number, batch: number): Promise<ReviewItemRow[]> {
  return db.select().from(accessReviewItems).where(and(eq(accessReviewItems.campaignId, campaignId), eq(accessReviewItems.stage, stage), eq(accessReviewItems.batch, batch))).orderBy(asc(accessReviewItems.id));
}

export async function findItem(db: DbOrTx, id: number): Promise<ReviewItemRow | undefined> {
  const [row] = await db.select().from(accessReviewItems).where(eq(accessReviewItems.id, id));
  return row;
}

/** Records a reviewer's decisions on open items that are theirs, each with its audit row; a retry with the same key writes nothing twice. */
export async function recordItemDecisions(db: DbOrTx, input: { campaignId: string; stage: number; reviewer: string; via: string; key: string; decisions: ItemDecision[]; now: Date }): Promise<number> {
  return db.transaction(async (tx) => {
    const events: AuditEntry[] = [];
    for (const d of input.decisions) {
      const [row] = await tx
        .update(accessReviewItems)
        .set({ decision: d.decision, decidedBy: input.reviewer, decidedAt: input.now, justification: d.justification ?? null })
        .where(and(eq(accessReviewItems.id, d.itemId), eq(accessReviewItems.campaignId, input.campaignId), eq(accessReviewItems.stage, input.stage), isNull(accessReviewItems.closedAt), arrayContains(accessReviewItems.reviewers, [input.reviewer])))
        .returning({ employeeId: accessReviewItems.employeeId, packageId: accessReviewItems.packageId, assignmentId: accessReviewItems.assignmentId });
      if (!row) continue;
      events.push({
        employeeId: row.employeeId,
        kind: 'review.decided',
        actor: input.reviewer,
        system: 'access',
        summary: `review ${input.campaignId} stage ${input.stage}: ${row.packageId} ${d.decision === 'dont-know' ? "marked don't know" : d.decision === 'approve' ? 'approved' : 'denied'} by ${input.reviewer} (${input.via})${d.justification ? `: ${d.justification}` : ''}`,
        details: { campaignId: input.campaignId, itemId: d.itemId, stage: input.stage, assignmentId: row.assignmentId, packageId: row.packageId, decision: d.decision, justification: d.justification ?? null, via: input.via },
        workflowId: input.campaignId,
        idempotencyKey: `${input.key}:${d.itemId}`,
      });
    }
    await appendAuditEvents(tx, events);
    return events.length;
  });
}

/** Closes open items of a batch, grouped by what they end as; answers how many closed. */
export async function closeItems(db: DbOrTx, groups: { ids: number[]; passed: boolean; outcome: 'approve' | 'deny' | 'none' | null; outcomeBy: 'reviewer' | 'default' | null }[], now: Date): Promise<number> {
  let closed = 0;
  for (const g of groups) {
    if (g.ids.length === 0) continue;
    const rows = await db
      .update(accessReviewItems)
      .set({ passed: g.passed, outcome: g.outcome, outcomeBy: g.outcomeBy, closedAt: now })
      .where(and(inArray(accessReviewItems.id, g.ids), isNull(accessReviewItems.closedAt)))
      .returning({ id: accessReviewItems.id });
    closed += rows.length;
  }
  return closed;
}

// Applying

/** Denied items of a campaign not applied yet, a page at a time. */
export async function deniedUnapplied(db: DbOrTx, campaignId: string, limit: number): Promise<ReviewItemRow[]> {
  return db
    .select()
    .from(accessReviewItems)
    .where(and(eq(accessReviewItems.campaignId, campaignId), eq(accessReviewItems.passed, false), eq(accessReviewItems.outcome, 'deny'), isNull(accessReviewItems.appliedAt)))
    .orderBy(asc(accessReviewItems.id))
    .limit(limit);
}

export async function markItemApplied(db: DbOrTx, id: number, effect: string, now: Date): Promise<void> {
  await db.update(accessReviewItems).set({ effect, appliedAt: now }).where(and(eq(accessReviewItems.id, id), isNull(accessReviewItems.appliedAt)));
}

/** Items that ended approved or unchanged: kept, which applying records without touching them. */
export async function markKept(db: DbOrTx, campaignId: string, now: Date): Promise<number> {
  const rows = await db
    .update(accessReviewItems)
    .set({ effect: sql`case when ${accessReviewItems.outcome} = 'approve' then 'kept: approved' else 'kept: no change' end`, appliedAt: now })
    .where(and(eq(accessReviewItems.campaignId, campaignId), eq(accessReviewItems.passed, false), ne(accessReviewItems.outcome, 'deny'), isNull(accessReviewItems.appliedAt)))
    .returning({ id: accessReviewItems.id });
  return rows.length;
}

// Progress and results

export interface ReviewerProgress {
  stage: number;
  reviewer: string | null;
  items: number;
  decided: number;
  approved: number;
  denied: number;
  dontKnow: number;
}

/** Per stage and reviewer: how many items, how many decided and how. An item without reviewers counts under null. */
export async function campaignProgress(db: DbOrTx, campaignId: string): Promise<ReviewerProgress[]> {
  const rows = await db.execute<{ stage: number; reviewer: string | null; items: number; decided: number; approved: number; denied: number; dont_know: number }>(sql`
    select stage, reviewer, count(*)::int as items, count(decision)::int as decided,
      count(*) filter (where decision = 'approve')::int as approved, count(*) filter (where decision = 'deny')::int as denied,
      count(*) filter (where decision = 'dont-know')::int as dont_know
    from (select stage, decision, unnest(case when cardinality(reviewers) = 0 then array[null]::text[] else reviewers end) as reviewer
          from access_review_items where campaign_id = ${campaignId}) per_reviewer
    group by stage, reviewer order by stage, reviewer nulls first`);
  return [...rows].map((r) => ({ stage: r.stage, reviewer: r.reviewer, items: r.items, decided: r.decided, approved: r.approved, denied: r.denied, dontKnow: r.dont_know }));
}

/** Items reviewers may decide: not closed, of the stage their campaign has opened to them. */
const openStage = and(isNull(accessReviewItems.closedAt), eq(accessReviewCampaigns.stage, accessReviewItems.stage), isNotNull(accessReviewCampaigns.stageEndsAt));

/** Whether the item's stage is open to its reviewers. */
export async function itemIsOpen(db: DbOrTx, id: number): Promise<boolean> {
  const [row] = await db.select({ id: accessReviewItems.id }).from(accessReviewItems).innerJoin(accessReviewCampaigns, eq(accessReviewCampaigns.id, accessReviewItems.campaignId)).where(and(eq(accessReviewItems.id, id), openStage));
  return row !== undefined;
}

/** Open stages where this person has items to review, with how many and how many decided. */
export async function openReviewsOf(db: DbOrTx, reviewer: string): Promise<{ campaignId: string; stage: number; items: number; decided: number }[]> {
  return db
    .select({ campaignId: accessReviewItems.campaignId, stage: accessReviewItems.stage, items: sql<number>`count(*)::int`, decided: sql<number>`count(${accessReviewItems.decision})::int` })
    .from(accessReviewItems)
    .innerJoin(accessReviewCampaigns, eq(accessReviewCampaigns.id, accessReviewItems.campaignId))
    .where(and(arrayContains(accessReviewItems.reviewers, [reviewer]), openStage))
    .groupBy(accessReviewItems.campaignId, accessReviewItems.stage)
    .orderBy(asc(accessReviewItems.campaignId));
}

/** A reviewer's open items in a campaign, a page at a time. */
export async function openItemsOf(db: DbOrTx, campaignId: string, reviewer: string, page: { after?: number; limit: number }): Promise<ReviewItemRow[]> {
  const rows = await db
    .select({ item: accessReviewItems })
    .from(accessReviewItems)
    .innerJoin(accessReviewCampaigns, eq(accessReviewCampaigns.id, accessReviewItems.campaignId))
    .where(and(eq(accessReviewItems.campaignId, campaignId), arrayContains(accessReviewItems.reviewers, [reviewer]), openStage, page.after ? gt(accessReviewItems.id, page.after) : undefined))
    .orderBy(asc(accessReviewItems.id))
    .limit(page.limit);
  return rows.map((r) => r.item);
}

/** Every item of a campaign (all stages), optionally one reviewer's, a page at a time in id order. */
export async function campaignItems(db: DbOrTx, campaignId: string, page: { reviewer?: string; after?: number; limit: number }): Promise<ReviewItemRow[]> {
  return db
    .select()
    .from(accessReviewItems)
    .where(and(eq(accessReviewItems.campaignId, campaignId), page.reviewer ? arrayContains(accessReviewItems.reviewers, [page.reviewer]) : undefined, page.after ? gt(accessReviewItems.id, page.after) : undefined))
    .orderBy(asc(accessReviewItems.id))
    .limit(page.limit);
}

/** Reviewers with open, undecided items in a stage. */
export async function reviewersWaiting(db: DbOrTx, campaignId: string, stage: number): Promise<{ reviewer: string; undecided: number }[]> {
  const rows = await db.execute<{ reviewer: string; undecided: number }>(sql`
    select unnest(reviewers) as reviewer, count(*)::int as undecided from access_review_items
    where campaign_id = ${campaignId} and stage = ${stage} and closed_at is null and decision is null
    group by 1 order by 1`);
  return [...rows];
}

export async function noticeSent(db: DbOrTx, key: { campaignId: string; stage: number; reviewer: string; kind: string }): Promise<boolean> {
  const [row] = await db
    .select({ kind: accessReviewNotices.kind })
    .from(accessReviewNotices)
    .where(and(eq(accessReviewNotices.campaignId, key.campaignId), eq(accessReviewNotices.stage, key.stage), eq(accessReviewNotices.reviewer, key.reviewer), eq(accessReviewNotices.kind, key.kind)));
  return row !== undefined;
}

export async function recordNotice(db: DbOrTx, key: { campaignId: string; stage: number; reviewer: string; kind: string }): Promise<void> {
  await db.insert(accessReviewNotices).values(key).onConflictDoNothing();
}
