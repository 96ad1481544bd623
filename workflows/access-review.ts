import { allHandlersFinished, ApplicationFailure, CancellationScope, condition, continueAsNew, getExternalWorkflowHandle, isCancellation, log, proxyActivities, setHandler, startChild, workflowInfo, type ChildWorkflowHandle } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { refusalOfReviewDecision, type CampaignState } from '../domain/access-reviews';
import { applyReviewSignal, campaignStateQuery, decideReviewItemsUpdate, remindReviewersSignal, reviewBatchProgressQuery, reviewBatchReadySignal, reviewBatchWorkflowId, stopReviewSignal } from './messages';

const steps = proxyActivities<Activities>({
  // Short steps (a page, a batch): one a dead worker held is retried soon.
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});
/** Mail to reviewers is worth a few tries, never a stuck campaign. */
const mail = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  scheduleToCloseTimeout: '1 hour',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes' },
});

/** Items per batch workflow: its history holds the decisions on these items only. */
export const reviewBatchSize = 1000;
/** Disjoint parts of a stage's items collected side by side. */
const collectParts = 4;

export interface ReviewBatchInput {
  campaignId: string;
  stage: number;
  batch: number;
  /** When the stage ends (epoch ms). */
  endsAt: number;
}

/**
 * One batch of a campaign stage's items: takes its reviewers' decisions as Workflow Updates
 * (the validator admits only the item's reviewer, while the stage is open), changeable until
 * the stage ends or an administrator stops it; then closes the batch with the review's default
 * for what nobody decided. Continues as new when its history grows, reloading its items.
 */
export async function accessReviewBatchWorkflow(input: ReviewBatchInput): Promise<{ passed: number; approved: number; denied: number; unchanged: number }> {
  const loaded = await steps.loadReviewBatch(input);
  const reviewers = new Map(loaded.items);
  const decided = new Set(loaded.decided);
  let open = Date.now() < input.endsAt;
  let stopped = false;

  setHandler(reviewBatchProgressQuery, () => ({ items: reviewers.size, decided: decided.size, open }));
  setHandler(stopReviewSignal, () => {
    stopped = true;
  });
  setHandler(
    decideReviewItemsUpdate,
    async (batch) => {
      const recorded = await steps.recordReviewDecisions({ campaignId: input.campaignId, stage: input.stage, ...batch });
      for (const d of batch.decisions) decided.add(d.itemId);
      return { recorded };
    },
    {
      validator: (batch) => {
        if (batch.decisions.length === 0) throw ApplicationFailure.create({ type: 'DecisionRefused', message: 'no decisions given', nonRetryable: true });
        for (const d of batch.decisions) {
          const item = reviewers.has(d.itemId) ? { id: d.itemId, reviewers: reviewers.get(d.itemId)! } : undefined;
          const refusal = refusalOfReviewDecision(item, batch.reviewer, open);
          if (refusal) throw ApplicationFailure.create({ type: 'DecisionRefused', message: refusal, nonRetryable: true });
        }
      },
    },
  );

  // A batch continued as new is known to its campaign already.
  if (!workflowInfo().continuedFromExecutionRunId) await announceReady(input);
  const ended = await condition(() => stopped || workflowInfo().continueAsNewSuggested, Math.max(0, input.endsAt - Date.now()));
  if (ended && !stopped) {
    await condition(allHandlersFinished);
    return continueAsNew<typeof accessReviewBatchWorkflow>(input);
  }
  // Decisions stop here; those already accepted finish before the batch closes.
  open = false;
  await condition(allHandlersFinished);
  // Stopped early: later stages do not open, so nothing passes on.
  return steps.closeReviewBatch({ ...input, final: stopped });
}

/** A batch tells its campaign it takes decisions; the campaign opens the stage to reviewers once every batch has. */
async function announceReady(input: ReviewBatchInput): Promise<void> {
  const parent = workflowInfo().parent;
  if (parent) await getExternalWorkflowHandle(parent.workflowId).signal(reviewBatchReadySignal, { stage: input.stage, batch: input.batch });
}

export interface ReviewCampaignInput {
  reviewId: string;
}

/**
 * One occurrence of an access review, started by the review's Temporal Schedule. Stage by
 * stage it collects the items (activities, a page at a time, into rows), opens the stage with
 * a mail to the reviewers, fans the items out to batch workflows of `reviewBatchSize` (so no
 * history holds more than a batch's decisions), reminds at the configured instants, and closes
 * the stage at its end or when stopped. Then it applies the outcome, or waits for an administrator to.
 */
export async function accessReviewCampaignWorkflow(input: ReviewCampaignInput): Promise<CampaignState> {
  const campaignId = workflowInfo().workflowId;
  const state: CampaignState = { campaignId, status: 'collecting', stage: 0, stageCount: 0, batches: 0, stopped: false };
  const reminders: string[] = [];
  let stoppedBy: string | undefined;
  let appliedBy: string | undefined;
  setHandler(campaignStateQuery, () => state);
  setHandler(stopReviewSignal, ({ by }) => {
    stoppedBy ??= by;
  });
  setHandler(remindReviewersSignal, ({ by }) => {
    reminders.push(by);
  });
  setHandler(applyReviewSignal, ({ by }) => {
    appliedBy ??= by;
  });
  const ready = new Set<string>();
  setHandler(reviewBatchReadySignal, ({ stage, batch }) => {
    ready.add(`${stage}:${batch}`);
  });

  const opened = await steps.openReviewCampaign({ campaignId, reviewId: input.reviewId });
  if (!opened.opened) {
    log.info('no campaign opened', { reason: opened.reason });
    state.status = 'applied';
    return state;
  }
  const { plan } = opened;
  state.stageCount = opened.stageCount;
  let manualReminders = 0;

  for (let stage = 1; stage <= state.stageCount && !stoppedBy; stage++) {
    const endsAt = Date.now() + plan.stageMs[stage - 1]!;
    const campaignEndsAt = Date.now() + plan.stageMs.slice(stage - 1).reduce((a, b) => a + b, 0);
    Object.assign(state, { stage, status: 'collecting', stageEndsAt: endsAt });
    // Parts of the items are collected side by side, each a page at a time.
    await Promise.all(
      Array.from({ length: collectParts }, async (_, index) => {
        let page: { after?: string; offset: number; done: boolean } = { offset: 0, done: false };
        while (!page.done) page = await steps.collectReviewItems({ campaignId, stage, part: { index, of: collectParts }, after: page.after, offset: page.offset, batchSize: reviewBatchSize, endsAt: campaignEndsAt });
      }),
    );
    const batches = await steps.reviewStageBatches({ campaignId, stage });
    state.batches = batches.length;
    if (batches.length === 0) continue;
    // Started together: one workflow task, not one per batch.
    const children: ChildWorkflowHandle<typeof accessReviewBatchWorkflow>[] = await Promise.all(
      batches.map((batch) => startChild(accessReviewBatchWorkflow, { workflowId: reviewBatchWorkflowId(campaignId, stage, batch), args: [{ campaignId, stage, batch, endsAt }] })),
    );
    // Reviewers see the stage once every batch takes their decisions.
    await condition(() => batches.every((b) => ready.has(`${stage}:${b}`)));
    await steps.startReviewStage({ campaignId, stage, endsAt });
    state.status = 'open';
    // Mail goes out beside the stage, never holding it up: a mail server that is down delays the mail, not the campaign.
    const mailing: CancellationScope[] = [];
    const send = (kind: string) => {
      const scope = new CancellationScope();
      mailing.push(scope);
      scope.run(() => mail.mailReviewers({ campaignId, stage, kind })).catch((error: unknown) => {
        if (!isCancellation(error)) log.warn('review mail failed', { kind, error: String(error) });
      });
    };
    if (plan.openMail) send('opened');
    const opensAt = endsAt - plan.stageMs[stage - 1]!;
    const due = plan.reminderMs[stage - 1]!.map((ms, i) => ({ at: opensAt + ms, kind: `reminder-${i + 1}` }));
    while (Date.now() < endsAt && !stoppedBy) {
      const next = due.find((d) => d.at > Date.now())?.at ?? endsAt;
      const woken = await condition(() => stoppedBy !== undefined || reminders.length > 0, Math.max(0, next - Date.now()));
      const kinds = woken ? reminders.splice(0).map(() => `manual-${++manualReminders}`) : due.filter((d) => d.at <= Date.now() && d.at === next).map((d) => d.kind);
      for (const kind of stoppedBy ? [] : kinds) send(kind);
    }
    for (const scope of mailing) scope.cancel();
    if (stoppedBy) {
      state.stopped = true;
      for (const child of children) await getExternalWorkflowHandle(child.workflowId).signal(stopReviewSignal, { by: stoppedBy });
    }
    for (const child of children) await child.result();
  }

  state.stageEndsAt = undefined;
  await steps.endReviewStages({ campaignId, stoppedBy, awaitApply: plan.apply === 'manual' });
  if (plan.apply === 'manual') {
    state.status = 'awaiting-apply';
    await condition(() => appliedBy !== undefined);
  }
  const by = appliedBy ?? `review:${plan.reviewId}`;
  state.status = 'applying';
  for (let done = false; !done; ) done = (await steps.applyReviewPage({ campaignId, by })).done;
  await steps.finishReviewCampaign({ campaignId, by });
  state.status = 'applied';
  await condition(allHandlersFinished);
  return state;
}
