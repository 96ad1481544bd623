import { ApplicationFailure } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import type { Db } from '../db/client';
import { findAssignment, listCatalogs, listPackages } from '../db/queries/access';
import { removeAssignment } from '../db/queries/access-changes';
import {
  activePeople,
  batchItems,
  batchReviewers,
  closeItems,
  deniedUnapplied,
  findCampaign,
  findReview,
  insertItems,
  markItemApplied,
  markKept,
  noticeSent,
  openCampaign,
  passedItems,
  recordItemDecisions,
  recordNotice,
  reviewableAssignments,
  reviewersWaiting,
  stageBatches,
  updateCampaign,
  type Part,
  type StoredReview,
} from '../db/queries/access-reviews';
import { appendAuditEvents, type AuditEntry } from '../db/queries/audit';
import { findIdentity, identityFacts, type IdentityRow } from '../db/queries/identities';
import { isLeaving } from '../domain/access-impact';
import { accessMailTemplates } from '../domain/access-mail';
import { matches } from '../domain/access-planner';
import { inReviewScope, outcomeOf, passesOn, recommend, reminderOffsets, reviewersOf, stageDurations, type CampaignPlan, type ReviewDecisionBatch, type StageAnswer } from '../domain/access-reviews';
import { formatDate, renderTemplate } from '../domain/mail-templates';
import { accessChangedSignal, identityWorkflowId } from '../workflows/messages';
import { MailRejectedError, type Mailer } from './connectors/mailer';

// What a review campaign does at each step: open the campaign, collect a page of items (with
// reviewers and recommendations), mail reviewers, record decisions, close a batch with the
// review's default for what nobody decided, and apply the outcome — each step idempotent.

export interface AccessReviewDeps {
  db: Db;
  mailer: Mailer;
  temporal: Client;
  mail: { organizationName: string; defaultLocale: string };
  publicUrl: string;
  now: () => Date;
}

const permanent = (type: string, message: string) => ApplicationFailure.create({ type, message, nonRetryable: true });
const pageSize = 5000;
const applyPageSize = 200;
const noResponseWords = { 'no-change': 'stays as it is', remove: 'is removed', approve: 'is kept', recommendation: 'follows its recommendation' } as const;

export function createAccessReviewActivities(deps: AccessReviewDeps) {
  const { db } = deps;

  async function campaignReview(campaignId: string): Promise<{ review: StoredReview; campaign: NonNullable<Awaited<ReturnType<typeof findCampaign>>> }> {
    const campaign = await findCampaign(db, campaignId);
    if (!campaign) throw permanent('CampaignMissing', `no campaign ${campaignId}`);
    const review = await findReview(db, campaign.reviewId, campaign.version);
    if (!review) throw permanent('ReviewMissing', `no review ${campaign.reviewId} v${campaign.version}`);
    return { review, campaign };
  }

  const scopeFilter = (review: StoredReview) => (review.scope.type === 'packages' ? { packageIds: review.scope.packages } : review.scope.type === 'catalog' ? { catalogId: review.scope.catalog } : {});

  /** Reviewers and recommendation for each subject of a page; people outside the review's "who" are left out. */
  async function itemsFor(
    review: StoredReview,
    stage: number,
    subjects: { person: IdentityRow; catalogId: string; assignment: { id: string; packageId: string; source: 'auto' | 'request' | 'admin'; status: string; policyId: string | null }; granted?: { department?: string; jobTitle?: string }; earlier?: { recommendation: 'approve' | 'deny'; reason: string; history: { stage: number; answer: StageAnswer; by: string | null; justification: string | null }[] } }[],
    context: { campaignId: string; endsAt: number; offset: number; batchSize: number; part: Part; now: Date },
  ) {
    const spec = review.stages[stage - 1]!;
    const now = context.now.getTime();
    const inScope = subjects.filter((s) => inReviewScope(review.who, { employeeType: s.person.employeeType, lastSignIn: s.person.record.lastSignIn }, now));
    const [packages, catalogs] = await Promise.all([listPackages(db), listCatalogs(db)]);
    const packageById = new Map(packages.map((p) => [p.id, p]));
    const owners = new Map(catalogs.map((c) => [c.id, c.owners]));
    const named = spec.reviewers.concat(spec.fallback).flatMap((r) => (r.type === 'people' ? r.employeeIds : []));
    const candidates = new Set([...named, ...catalogs.flatMap((c) => c.owners), ...inScope.map((s) => s.person.managerEmployeeId ?? '').filter(Boolean)]);
    const active = await activePeople(db, [...candidates]);
    return inScope.map((s, i) => {
      const person = s.person;
      const policy = packageById.get(s.assignment.packageId)?.policies.find((p) => p.id === s.assignment.policyId);
      const attributes = { ...identityFacts(person, false).attributes, state: person.state };
      const recommendation = s.earlier
        ? { recommendation: s.earlier.recommendation, reason: s.earlier.reason }
        : recommend({
          person: { state: person.state, leaveAt: person.leaveAt?.getTime(), lastSignIn: person.record.lastSignIn, employeeType: person.employeeType, department: person.department ?? undefined, jobTitle: person.jobTitle ?? undefined, sponsorLeft: person.managerEmployeeId ? !active.has(person.managerEmployeeId) : undefined },
          grantedWith: s.assignment.source === 'auto' ? undefined : s.granted,
          assignment: s.assignment,
          ruleMatches: policy?.type === 'auto' ? matches(policy.rule, attributes) : undefined,
          reviewEndsAt: context.endsAt,
          inactiveDays: review.inactiveDays,
          now,
        });
      const reviewers = reviewersOf(spec, { employeeId: person.employeeId, active: !isLeaving(person.state), managerEmployeeId: person.managerEmployeeId ?? undefined }, { owners: owners.get(s.catalogId) ?? [], isActive: (id) => active.has(id) });
      return {
        campaignId: context.campaignId,
        stage,
        // Parts number their batches apart: part k has batches k, k + parts, k + 2 × parts …
        batch: context.part.index + context.part.of * Math.floor((context.offset + i) / context.batchSize),
        employeeId: person.employeeId,
        assignmentId: s.assignment.id,
        packageId: s.assignment.packageId,
        reviewers,
        recommendation: recommendation.recommendation,
        recommendationReason: recommendation.reason,
        earlier: s.earlier?.history ?? [],
      };
    });
  }

  async function mailReviewer(reviewer: string, kind: 'reviewOpened' | 'reviewReminder', values: Record<string, string>, messageId: string): Promise<boolean> {
    const person = await findIdentity(db, reviewer);
    const address = person?.workEmail ?? person?.record.workEmail ?? person?.record.personalEmail;
    if (!person || !address) return false;
    const rendered = renderTemplate(accessMailTemplates[kind], { organizationName: deps.mail.organizationName, givenName: person.preferredName ?? person.givenName, link: `${deps.publicUrl}/reviews`, ...values, endsAt: values.endsAt ? formatDate(Date.parse(values.endsAt), deps.mail.defaultLocale, person.timeZone, true) : undefined });
    try {
      await deps.mailer.send({ to: address, subject: rendered.subject, text: rendered.body, locale: deps.mail.defaultLocale, messageId });
      return true;
    } catch (error) {
      if (error instanceof MailRejectedError) return false;
      throw error;
    }
  }

  return {
    /** Opens the occurrence's campaign at the review's current version; answers its plan, or why none opens (no such review, switched off). */
    async openReviewCampaign(input: { campaignId: string; reviewId: string }): Promise<{ opened: true; plan: CampaignPlan; stageCount: number } | { opened: false; reason: string }> {
      const existing = await findCampaign(db, input.campaignId);
      const review = await findReview(db, input.reviewId, existing?.version);
      if (!review) return { opened: false, reason: `no review ${input.reviewId}` };
      if (!existing && !review.enabled) return { opened: false, reason: `review ${input.reviewId} is disabled` };
      const { created } = await openCampaign(db, { id: input.campaignId, reviewId: review.id, version: review.version, status: 'open', stageCount: review.stages.length, openedAt: deps.now() });
      if (created) await appendAuditEvents(db, [{ kind: 'review.opened', actor: `schedule:${review.id}`, system: 'access', summary: `access review ${review.name} opened (campaign ${input.campaignId}, version ${review.version})`, details: { campaignId: input.campaignId, reviewId: review.id, version: review.version }, workflowId: input.campaignId, idempotencyKey: `${input.campaignId}:opened` }]);
      const stageMs = stageDurations(review);
      return { opened: true, stageCount: review.stages.length, plan: { campaignId: input.campaignId, reviewId: review.id, version: review.version, stageMs, reminderMs: stageMs.map((ms) => reminderOffsets(review.reminders, ms)), openMail: review.openMail, apply: review.apply } };
    },

    /**
     * Collects one page of a stage's items: for stage 1 the live assignments in scope, for later
     * stages the items the stage before passed on. `offset` items came before, which numbers the
     * batches; a retried page inserts nothing twice.
     */
    async collectReviewItems(input: { campaignId: string; stage: number; part: Part; after?: string; offset: number; batchSize: number; endsAt: number }): Promise<{ after?: string; offset: number; done: boolean }> {
      const { review } = await campaignReview(input.campaignId);
      const context = { campaignId: input.campaignId, endsAt: input.endsAt, offset: input.offset, batchSize: input.batchSize, part: input.part, now: deps.now() };
      if (input.stage === 1) {
        const page = await reviewableAssignments(db, { ...scopeFilter(review), after: input.after, limit: pageSize, part: input.part });
        const known = page.flatMap((r) => (r.person ? [{ person: r.person, catalogId: r.catalogId, assignment: r.assignment, granted: { department: r.grantedDepartment ?? undefined, jobTitle: r.grantedJobTitle ?? undefined } }] : []));
        const rows = await itemsFor(review, 1, known, context);
        await insertItems(db, rows);
        return { after: page.at(-1)?.assignment.id ?? input.after, offset: input.offset + rows.length, done: page.length < pageSize };
      }
      const page = await passedItems(db, input.campaignId, input.stage - 1, { after: input.after ? Number(input.after) : undefined, limit: pageSize, part: input.part });
      const subjects = page.map(({ item, person, catalogId }) => ({
        person,
        catalogId,
        assignment: { id: item.assignmentId, packageId: item.packageId, source: 'request' as const, status: 'active', policyId: null },
        earlier: { recommendation: item.recommendation, reason: item.recommendationReason, history: [...item.earlier, { stage: item.stage, answer: (item.decision ?? 'none') as StageAnswer, by: item.decidedBy, justification: item.justification }] },
      }));
      await insertItems(db, await itemsFor(review, input.stage, subjects, context));
      return { after: page.length > 0 ? String(page.at(-1)!.item.id) : input.after, offset: input.offset + subjects.length, done: page.length < pageSize };
    },

    /** Opens the stage to its reviewers until its end. */
    async startReviewStage(input: { campaignId: string; stage: number; endsAt: number }): Promise<void> {
      await updateCampaign(db, input.campaignId, { stage: input.stage, stageEndsAt: new Date(input.endsAt) });
    },

    /** Mails every reviewer with undecided items of the stage once per kind (opened, each reminder); answers how many were mailed. */
    async mailReviewers(input: { campaignId: string; stage: number; kind: string }): Promise<number> {
      const { review, campaign } = await campaignReview(input.campaignId);
      let sent = 0;
      for (const { reviewer, undecided } of await reviewersWaiting(db, input.campaignId, input.stage)) {
        const key = { campaignId: input.campaignId, stage: input.stage, reviewer, kind: input.kind };
        if (await noticeSent(db, key)) continue;
        const values = { reviewName: review.name, count: String(undecided), stage: String(input.stage), ...(review.stages.length > 1 ? { stageCount: String(review.stages.length) } : {}), endsAt: campaign.stageEndsAt?.toISOString() ?? '', noResponse: noResponseWords[review.noResponse] };
        if (await mailReviewer(reviewer, input.kind === 'opened' ? 'reviewOpened' : 'reviewReminder', values, `<${input.campaignId}.s${input.stage}.${input.kind}.${reviewer}@tenure>`)) sent += 1;
        await recordNotice(db, key);
      }
      return sent;
    },

    /** The batch numbers of a stage, once its items are collected. */
    async reviewStageBatches(input: { campaignId: string; stage: number }): Promise<number[]> {
      return stageBatches(db, input.campaignId, input.stage);
    },

    /** A batch's items and their reviewers, for its workflow's validator. */
    async loadReviewBatch(input: { campaignId: string; stage: number; batch: number }): Promise<{ items: [number, string[]][]; decided: number[] }> {
      const rows = await batchReviewers(db, input.campaignId, input.stage, input.batch);
      return { items: rows.map((r) => [r.id, r.reviewers]), decided: rows.filter((r) => r.decided).map((r) => r.id) };
    },

    async recordReviewDecisions(input: { campaignId: string; stage: number } & ReviewDecisionBatch): Promise<number> {
      return recordItemDecisions(db, { ...input, now: deps.now() });
    },

    /** Closes a batch: each item passes on (unless `final`: the campaign was stopped), or ends with the reviewer's decision or the review's default; each default is in the trail. */
    async closeReviewBatch(input: { campaignId: string; stage: number; batch: number; final: boolean }): Promise<{ passed: number; approved: number; denied: number; unchanged: number }> {
      const { review } = await campaignReview(input.campaignId);
      const spec = review.stages[input.stage - 1]!;
      const isLast = input.final || input.stage === review.stages.length;
      const rows = (await batchItems(db, input.campaignId, input.stage, input.batch)).filter((r) => r.closedAt === null);
      const groups = new Map<string, { ids: number[]; passed: boolean; outcome: 'approve' | 'deny' | 'none' | null; outcomeBy: 'reviewer' | 'default' | null }>();
      const defaults: AuditEntry[] = [];
      const counts = { passed: 0, approved: 0, denied: 0, unchanged: 0 };
      for (const row of rows) {
        const answer: StageAnswer = row.decision ?? 'none';
        const passed = passesOn(spec, answer, isLast);
        const ended = passed ? undefined : outcomeOf(answer, row.recommendation, review.noResponse);
        const key = `${passed}:${ended?.outcome}:${ended?.by}`;
        const group = groups.get(key) ?? { ids: [], passed, outcome: ended?.outcome ?? null, outcomeBy: ended?.by ?? null };
        group.ids.push(row.id);
        groups.set(key, group);
        if (passed) counts.passed += 1;
        else if (ended!.outcome === 'approve') counts.approved += 1;
        else if (ended!.outcome === 'deny') counts.denied += 1;
        else counts.unchanged += 1;
        if (ended?.by === 'default') {
          defaults.push({ employeeId: row.employeeId, kind: 'review.defaulted', actor: `review:${review.id}`, system: 'access', summary: `review ${input.campaignId} stage ${input.stage}: ${row.packageId} not decided (${answer}); the review's default (${review.noResponse}) makes it ${ended.outcome === 'none' ? 'unchanged' : ended.outcome === 'deny' ? 'denied' : 'approved'}`, details: { campaignId: input.campaignId, itemId: row.id, stage: input.stage, assignmentId: row.assignmentId, noResponse: review.noResponse, outcome: ended.outcome, recommendation: row.recommendation }, workflowId: input.campaignId, idempotencyKey: `${input.campaignId}:item:${row.id}:default` });
        }
      }
      await db.transaction(async (tx) => {
        await appendAuditEvents(tx, defaults);
        await closeItems(tx, [...groups.values()], deps.now());
      });
      return counts;
    },

    /** The campaign's decisions are in: it waits for an administrator to apply it, or is applied next. */
    async endReviewStages(input: { campaignId: string; stoppedBy?: string; awaitApply: boolean }): Promise<void> {
      await updateCampaign(db, input.campaignId, { status: input.awaitApply ? 'awaiting-apply' : 'open', endedAt: deps.now(), stageEndsAt: null, ...(input.stoppedBy ? { stoppedBy: input.stoppedBy } : {}) });
    },

    /**
     * Applies one page of denied items: each assignment ends through the same path as every
     * other removal (its audit row names the campaign and item) and the person's workflow drops
     * the groups. An automatic assignment stays: its rule would give it straight back, so the
     * effect says to change the rule. Safe to repeat: an item is marked once, an assignment ends once.
     */
    async applyReviewPage(input: { campaignId: string; by: string }): Promise<{ applied: number; done: boolean }> {
      const now = deps.now();
      const actor = `review:${input.campaignId}`;
      const page = await deniedUnapplied(db, input.campaignId, applyPageSize);
      // Each removal first, then each person told, and only then the items marked applied: a
      // worker that dies in between finds the items again, and tells their people again.
      const touched = new Set<string>();
      const effects: string[] = [];
      for (const item of page) {
        const assignment = await findAssignment(db, item.assignmentId);
        let effect: string;
        if (!assignment) effect = 'already gone';
        else if (assignment.status === 'ended') {
          effect = assignment.endedBy === actor ? 'removed' : `already ended (${assignment.endReason ?? 'ended'})`;
          if (assignment.endedBy === actor) touched.add(item.employeeId);
        } else if (assignment.source === 'auto') effect = `kept: granted by the rule of policy ${assignment.policyId}; change the rule to remove it`;
        else {
          const ended = await removeAssignment(db, assignment.id, { by: actor, reason: `denied in access review ${input.campaignId} (item ${item.id}${item.decidedBy ? `, by ${item.decidedBy}` : ', by the review’s default'})`, now, cause: { actor, workflowId: input.campaignId, key: `${input.campaignId}:item:${item.id}` } });
          effect = ended ? 'removed' : 'already ended';
          touched.add(item.employeeId);
        }
        effects.push(effect);
      }
      for (const employeeId of touched) {
        try {
          await deps.temporal.workflow.getHandle(identityWorkflowId(employeeId)).signal(accessChangedSignal);
        } catch (error) {
          // A person without a running workflow holds no groups to drop.
          if ((error as Error).name !== 'WorkflowNotFoundError') throw error;
        }
      }
      for (const [i, item] of page.entries()) {
        const effect = effects[i]!;
        await appendAuditEvents(db, [{ employeeId: item.employeeId, kind: 'review.applied', actor, system: 'access', summary: `review ${input.campaignId}: ${item.packageId} denied (${item.outcomeBy === 'default' ? 'by default' : `by ${item.decidedBy}`}); effect: ${effect}`, details: { campaignId: input.campaignId, itemId: item.id, assignmentId: item.assignmentId, effect, appliedBy: input.by }, workflowId: input.campaignId, idempotencyKey: `${input.campaignId}:item:${item.id}:applied` }]);
        await markItemApplied(db, item.id, effect, now);
      }
      if (page.length < applyPageSize) await markKept(db, input.campaignId, now);
      return { applied: page.length, done: page.length < applyPageSize };
    },

    async finishReviewCampaign(input: { campaignId: string; by: string }): Promise<void> {
      await updateCampaign(db, input.campaignId, { status: 'applied', appliedAt: deps.now(), appliedBy: input.by });
      await appendAuditEvents(db, [{ kind: 'review.completed', actor: input.by, system: 'access', summary: `access review campaign ${input.campaignId} applied by ${input.by}`, details: { campaignId: input.campaignId }, workflowId: input.campaignId, idempotencyKey: `${input.campaignId}:completed` }]);
    },
  };
}
