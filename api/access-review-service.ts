import { randomUUID } from 'node:crypto';
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { z } from '@hono/zod-openapi';
import { listPackages } from '../db/queries/access';
import { findCampaign, findItem, itemIsOpen, openItemsOf, type ReviewItemRow } from '../db/queries/access-reviews';
import { findIdentities } from '../db/queries/identities';
import { reviewDecisions, type ItemDecision, type ReviewDecisionBatch } from '../domain/access-reviews';
import { decideReviewItemsUpdate, reviewBatchWorkflowId } from '../workflows/messages';
import type { AppDeps } from './app';
import { ApiError } from './errors';

// Deciding review items, for every door that leads there (the JSON API now, the portal's "My
// reviews" later): the item must be in the campaign, open and the caller's; the decisions go to
// the batch workflow that owns the items as one Workflow Update per batch.

export const reviewItemSchema = z
  .object({
    id: z.number().int(),
    campaignId: z.string(),
    stage: z.number().int(),
    employeeId: z.string(),
    displayName: z.string().nullable(),
    assignmentId: z.string(),
    packageId: z.string(),
    packageName: z.string().nullable(),
    reviewers: z.array(z.string()),
    recommendation: z.enum(['approve', 'deny']),
    recommendationReason: z.string(),
    earlier: z.array(z.object({ stage: z.number().int(), answer: z.string(), by: z.string().nullable(), justification: z.string().nullable() })),
    decision: z.enum(reviewDecisions).nullable(),
    decidedBy: z.string().nullable(),
    decidedAt: z.string().nullable(),
    justification: z.string().nullable(),
    passed: z.boolean().nullable(),
    outcome: z.enum(['approve', 'deny', 'none']).nullable(),
    outcomeBy: z.enum(['reviewer', 'default']).nullable(),
    effect: z.string().nullable(),
    appliedAt: z.string().nullable(),
  })
  .meta({ id: 'AccessReviewItem' });
export type PresentedItem = z.infer<typeof reviewItemSchema>;

/** Items as the API shows them, with the person's and the package's names. */
export async function presentItems(deps: AppDeps, rows: ReviewItemRow[]): Promise<PresentedItem[]> {
  const [people, packages] = await Promise.all([findIdentities(deps.db, [...new Set(rows.map((r) => r.employeeId))]), listPackages(deps.db)]);
  const names = new Map(people.map((p) => [p.employeeId, p.displayName]));
  const packageNames = new Map(packages.map((p) => [p.id, p.name]));
  return rows.map((r) => ({
    id: r.id,
    campaignId: r.campaignId,
    stage: r.stage,
    employeeId: r.employeeId,
    displayName: names.get(r.employeeId) ?? null,
    assignmentId: r.assignmentId,
    packageId: r.packageId,
    packageName: packageNames.get(r.packageId) ?? null,
    reviewers: r.reviewers,
    recommendation: r.recommendation,
    recommendationReason: r.recommendationReason,
    earlier: r.earlier,
    decision: r.decision,
    decidedBy: r.decidedBy,
    decidedAt: r.decidedAt?.toISOString() ?? null,
    justification: r.justification,
    passed: r.passed,
    outcome: r.outcome,
    outcomeBy: r.outcomeBy,
    effect: r.effect,
    appliedAt: r.appliedAt?.toISOString() ?? null,
  }));
}

/** The caller's item of the campaign: 404 when there is none, 403 when it is someone else's to review. */
export async function reviewerItem(deps: AppDeps, campaignId: string, itemId: number, reviewer: string): Promise<ReviewItemRow> {
  const item = await findItem(deps.db, itemId);
  if (!item || item.campaignId !== campaignId) throw new ApiError(404, 'not_found', `no review item ${itemId} in campaign ${campaignId}`, [{ path: 'itemId', message: 'no such item in this campaign' }]);
  if (!item.reviewers.includes(reviewer)) throw new ApiError(403, 'forbidden', `review item ${itemId} is not yours to review`, [{ path: 'itemId', message: 'another reviewer’s item' }]);
  return item;
}

/** How long a decision waits for its batch workflow (a worker restarting takes a while). */
const decisionWaitMs = 60_000;

/** Sends one reviewer's decisions, grouped by the batch workflow that owns each item; answers how many were recorded. */
export async function sendDecisions(deps: AppDeps, reviewer: string, items: { item: ReviewItemRow; decision: ItemDecision }[], via: ReviewDecisionBatch['via']): Promise<number> {
  const byBatch = new Map<string, { stage: number; batch: number; campaignId: string; decisions: ItemDecision[] }>();
  for (const { item, decision } of items) {
    if (item.closedAt) throw new ApiError(409, 'closed', `review item ${item.id}: stage ${item.stage} has ended; decisions can no longer change`, [{ path: 'itemId', message: 'the stage has ended' }]);
    const id = reviewBatchWorkflowId(item.campaignId, item.stage, item.batch);
    const group = byBatch.get(id) ?? { stage: item.stage, batch: item.batch, campaignId: item.campaignId, decisions: [] };
    group.decisions.push(decision);
    byBatch.set(id, group);
  }
  const { client } = deps.temporal;
  let recorded = 0;
  for (const [workflowId, group] of byBatch) {
    const first = group.decisions[0]!.itemId;
    if (!(await itemIsOpen(deps.db, first))) throw new ApiError(409, 'not_open', `review item ${first}: stage ${group.stage} is not open yet`, [{ path: 'itemId', message: 'the stage is not open yet' }]);
    const key = randomUUID();
    try {
      const answer = await client.withDeadline(Date.now() + decisionWaitMs, () => client.workflow.getHandle(workflowId).executeUpdate(decideReviewItemsUpdate, { args: [{ reviewer, via, key, decisions: group.decisions }], updateId: key }));
      recorded += answer.recorded;
    } catch (error) {
      if (error instanceof WorkflowUpdateFailedError) throw new ApiError(403, 'refused', `review decision refused: ${(error.cause?.message ?? error.message).split('\n')[0]!}`);
      // A batch whose stage ended has no workflow left to ask.
      if (error instanceof WorkflowNotFoundError || (error as Error).message?.includes('already completed')) throw new ApiError(409, 'closed', `review campaign ${group.campaignId}: stage ${group.stage} has ended`);
      throw error;
    }
  }
  return recorded;
}

/** accept-recommendations: each undecided item takes its recommendation; approve-rest: each undecided item is approved. */
export type BulkMode = 'accept-recommendations' | 'approve-rest';

/** Decides every open, undecided item of the reviewer in the campaign at once; answers how many. */
export async function bulkDecide(deps: AppDeps, campaignId: string, reviewer: string, mode: BulkMode, justification?: string): Promise<number> {
  if (!(await findCampaign(deps.db, campaignId))) throw new ApiError(404, 'not_found', `no review campaign ${campaignId}`, [{ path: 'campaignId', message: 'no such campaign' }]);
  const chosen: { item: ReviewItemRow; decision: ItemDecision }[] = [];
  for (let after: number | undefined; ; ) {
    const page = await openItemsOf(deps.db, campaignId, reviewer, { after, limit: 5000 });
    for (const item of page) {
      if (item.decision !== null) continue;
      const decision = mode === 'accept-recommendations' ? item.recommendation : 'approve';
      chosen.push({ item, decision: { itemId: item.id, decision, justification: justification ?? (mode === 'accept-recommendations' ? `recommendation: ${item.recommendationReason}` : undefined) } });
    }
    if (page.length < 5000) break;
    after = page.at(-1)!.id;
  }
  return chosen.length === 0 ? 0 : sendDecisions(deps, reviewer, chosen, 'bulk');
}
