import { sql } from 'drizzle-orm';
import { bigserial, boolean, check, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import type { AccessReview, ReviewDecision, ReviewOutcome, StageAnswer } from '../../domain/access-reviews';

// Access reviews: versioned definitions, one campaign per occurrence, and one item row per
// assignment and stage, which carries its reviewers, recommendation, decision, outcome and effect.

const at = () => timestamp({ withTimezone: true, mode: 'date' });

export const accessReviews = pgTable('access_reviews', {
  id: text().primaryKey(),
  name: text().notNull(),
  enabled: boolean().notNull(),
  currentVersion: integer().notNull(),
  /** "api" or the YAML file that defines it. */
  source: text().notNull(),
  createdAt: at().notNull().defaultNow(),
  updatedAt: at().notNull().defaultNow(),
});

export const accessReviewVersions = pgTable(
  'access_review_versions',
  {
    reviewId: text()
      .notNull()
      .references(() => accessReviews.id),
    version: integer().notNull(),
    definition: jsonb().$type<AccessReview>().notNull(),
    createdBy: text().notNull(),
    createdAt: at().notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.reviewId, t.version] })],
);

export type CampaignStatus = 'open' | 'awaiting-apply' | 'applied';

/** One occurrence of a review; the id is its Temporal workflow id. */
export const accessReviewCampaigns = pgTable(
  'access_review_campaigns',
  {
    id: text().primaryKey(),
    reviewId: text()
      .notNull()
      .references(() => accessReviews.id),
    version: integer().notNull(),
    status: text().$type<CampaignStatus>().notNull(),
    /** The stage open for decisions (1-based); 0 while the first is collected. */
    stage: integer().notNull().default(0),
    stageCount: integer().notNull(),
    stageEndsAt: at(),
    stoppedBy: text(),
    openedAt: at().notNull().defaultNow(),
    endedAt: at(),
    appliedAt: at(),
    appliedBy: text(),
  },
  (t) => [index().on(t.reviewId, t.openedAt), check('access_review_campaigns_status_check', sql`${t.status} in ('open', 'awaiting-apply', 'applied')`)],
);

export const accessReviewItems = pgTable(
  'access_review_items',
  {
    id: bigserial({ mode: 'number' }).primaryKey(),
    campaignId: text()
      .notNull()
      .references(() => accessReviewCampaigns.id),
    stage: integer().notNull(),
    /** The batch workflow that takes this item's decisions. */
    batch: integer().notNull(),
    employeeId: text().notNull(),
    assignmentId: text().notNull(),
    packageId: text().notNull(),
    reviewers: text().array().notNull(),
    recommendation: text().$type<'approve' | 'deny'>().notNull(),
    recommendationReason: text().notNull(),
    /** What earlier stages answered, for later reviewers to see. */
    earlier: jsonb().$type<{ stage: number; answer: StageAnswer; by: string | null; justification: string | null }[]>().notNull().default([]),
    decision: text().$type<ReviewDecision>(),
    decidedBy: text(),
    decidedAt: at(),
    justification: text(),
    /** Set when the stage closes: the item went on to the next stage, or ended with an outcome. */
    passed: boolean(),
    outcome: text().$type<ReviewOutcome>(),
    outcomeBy: text().$type<'reviewer' | 'default'>(),
    closedAt: at(),
    /** What applying did: removed, already ended, or kept. */
    effect: text(),
    appliedAt: at(),
  },
  (t) => [
    uniqueIndex('access_review_items_once').on(t.campaignId, t.stage, t.assignmentId),
    index().on(t.campaignId, t.stage, t.batch),
    index('access_review_items_reviewers').using('gin', t.reviewers),
    check('access_review_items_decision_check', sql`${t.decision} in ('approve', 'deny', 'dont-know')`),
    check('access_review_items_outcome_check', sql`${t.outcome} in ('approve', 'deny', 'none')`),
  ],
);

/** Mail sent to a reviewer for a stage (opened, each reminder), so a retried step sends it once. */
export const accessReviewNotices = pgTable(
  'access_review_notices',
  {
    campaignId: text().notNull(),
    stage: integer().notNull(),
    reviewer: text().notNull(),
    kind: text().notNull(),
    sentAt: at().notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.campaignId, t.stage, t.reviewer, t.kind] })],
);
