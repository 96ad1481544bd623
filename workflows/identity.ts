import {
  ActivityFailure,
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  log,
  ParentClosePolicy,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  startChild,
  TemporalFailure,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
  WorkflowIdReusePolicy,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { DueRun, PlanInput } from '../activities/lifecycle-runs';
import type { SyncOutcome } from '../activities/provisioning';
import type { Cause } from '../activities/types';
import { attributeChanges, changedDirectoryAttributes, sameRecordContent, watchedAttributes } from '../domain/hr-record';
import { guestEmployment, planGuest } from '../domain/guest-lifecycle';
import { describeRecordChange, planLifecycle, type LifecyclePlan } from '../domain/lifecycle';
import { hrWritebackWorkflow } from './hr-writeback';
import { freshCarry, latestAsOf, remember, type IdentityCarry, type IdentitySnapshot, type LifecycleTriggers } from './identity-state';
import { lifecycleRunWorkflow } from './lifecycle-run';
import {
  accessChangedSignal,
  departmentSearchAttribute,
  employeeIdSearchAttribute,
  groupMembershipChangedSignal,
  hrRecordSignal,
  hrWritebackWorkflowId,
  identityStateQuery,
  identityWorkflowId,
  lifecycleDefinitionsChangedSignal,
  lifecycleRunWorkflowId,
  lifecycleStateSearchAttribute,
  lifecycleWorkflowSearchAttribute,
  managerAccountChangedSignal,
  provisionNowUpdate,
  reconcileSignal,
  targetResumedSignal,
  runLifecycleWorkflowSignal,
  type HrDelivery,
  type IdentityWorkflowInput,
} from './messages';

// Outages retry until the system is back; activities mark facts that retrying cannot fix as non-retryable.
const retry = { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '2 minutes' } as const;

/** One target's sync: a few attempts, then the person's workflow tries again later, so one target never blocks it. */
const sync = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 6 },
});

/** Identity-store bookkeeping: local activities, run inside the workflow task without a round trip. */
const store = proxyLocalActivities<Activities>({ startToCloseTimeout: '30 seconds', retry });

/** Continue-as-new well before Temporal's history limits, even if the server does not suggest it. */
const defaultMaxHistoryEvents = 5_000;
const timerActor = 'tenure:schedule';
/** After a failure retrying could not fix, look again this much later (an operator may have fixed it). */
const failureRetryMs = 15 * 60_000;
/** After a target stayed unreachable through its retries. */
const transientRetryMs = 60_000;
/** A person waiting for a target is told when it is back; this is the fallback should that word be lost. */
const waitingRetryMs = 15 * 60_000;

/**
 * One workflow per person (`identity-{employeeId}`). HR records arrive as signals; the pure
 * state machine says where the person should be; activities make every system agree; lifecycle
 * workflow runs start as children at their instants; a durable timer waits for the next one.
 */
export async function identityWorkflow(input: IdentityWorkflowInput): Promise<void> {
  // Every handler writes into `carry` (handed to the next run) or is finished before the run closes.
  const carry: IdentityCarry = input.carried ?? freshCarry(input.employeeId);
  const { snapshot: s, inbox, triggers } = carry;

  setHandler(hrRecordSignal, (delivery) => {
    // A malformed signal must not fail the person's workflow: it is dropped with a log line.
    if ((delivery?.kind === 'upsert' && delivery.record) || delivery?.kind === 'withdraw') inbox.push(delivery);
    else log.warn('dropped a malformed hrRecord signal', { employeeId: s.employeeId });
  });
  const refresh = () => {
    carry.refreshAsked = true;
  };
  setHandler(managerAccountChangedSignal, refresh);
  setHandler(targetResumedSignal, refresh);
  setHandler(reconcileSignal, () => {
    carry.sweepAsked = true;
  });
  // A grant or removal from outside (a request, an administrator) changes groups without a plan change: sync them too.
  setHandler(accessChangedSignal, () => {
    carry.accessAsked = true;
    carry.refreshAsked = true;
  });
  setHandler(lifecycleDefinitionsChangedSignal, () => {
    triggers.definitionsChanged = true;
  });
  setHandler(runLifecycleWorkflowSignal, (request) => {
    if (typeof request?.definitionId === 'string' && typeof request.requestId === 'string') triggers.onDemand.push(request);
  });
  setHandler(groupMembershipChangedSignal, (change) => {
    if (typeof change?.group === 'string') triggers.groupChanges.push(change);
  });
  setHandler(identityStateQuery, () => s);
  // Provision now: every target is brought to the desired state, and each one's outcome answered.
  // Callers wait for the answer, so these are served before the run closes rather than carried.
  let provisionAsked = 0;
  let provisionDone = 0;
  let lastOutcomes: SyncOutcome[] = [];
  setHandler(provisionNowUpdate, async () => {
    const ticket = ++provisionAsked;
    await condition(() => provisionDone >= ticket);
    return { outcomes: lastOutcomes, state: s.state ?? 'pending', lastError: s.lastError };
  });

  // The configured targets, asked once per run and again at each sweep or provision-now, so a
  // target added to (or removed from) the configuration reaches people whose workflow runs on.
  let knownTargets: string[] | undefined;
  const targetNames = async () => (knownTargets ??= await store.listTargets());

  const info = workflowInfo();
  const cause = (actor: string): Cause => {
    s.operation += 1;
    return { actor, workflowId: info.workflowId, runId: info.runId, key: `${info.workflowId}:${info.firstExecutionRunId}:${s.operation}` };
  };
  const shouldContinueAsNew = () => {
    const { continueAsNewSuggested, historyLength } = workflowInfo();
    return continueAsNewSuggested || historyLength > (input.maxHistoryEvents ?? defaultMaxHistoryEvents);
  };

  /** A failure that retrying now cannot fix is a fact about the person, never the end of their workflow. */
  async function guard(step: string, work: () => Promise<void>): Promise<void> {
    try {
      await work();
    } catch (error) {
      if (!(error instanceof TemporalFailure)) throw error;
      s.lastError = `${step}: ${error instanceof ActivityFailure && error.cause ? error.cause.message : error.message}`;
      s.retryAt = Date.now() + failureRetryMs;
      log.warn('identity step failed', { employeeId: s.employeeId, step, error: s.lastError });
    }
  }

  const published = { state: '', department: '' };
  const publish = () => {
    const state = s.state ?? 'pending';
    const department = s.record?.department ?? '';
    if (published.state === state && published.department === department) return;
    upsertSearchAttributes([
      { key: employeeIdSearchAttribute, value: s.employeeId },
      { key: lifecycleStateSearchAttribute, value: state },
      { key: departmentSearchAttribute, value: department },
    ]);
    Object.assign(published, { state, department });
  };

  /** Brings every account to the desired state when something asks for it; answers waiting provision-now callers. */
  async function provision(actor: string): Promise<void> {
    if (carry.refreshAsked) {
      carry.refreshAsked = false;
      if (s.accounts !== 'none') s.attributesStale = true;
    }
    const provisionNow = provisionAsked > provisionDone;
    const sweep = carry.sweepAsked;
    const asked = provisionAsked;
    carry.sweepAsked = false;
    if (provisionNow || sweep) knownTargets = undefined;
    const by = provisionNow ? 'tenure:provision-now' : sweep ? 'tenure:reconcile' : actor;
    await guard('planning access', () => reconcilePersonAccess(s, carry, cause(by)));
    await guard('provisioning', async () => {
      lastOutcomes = await reconcile(s, cause, by, targetNames, provisionNow || sweep);
    });
    provisionDone = asked;
    if (s.access?.noticesDue) {
      await guard('sending access notices', async () => {
        await sync.deliverAccessNotices({ employeeId: s.employeeId });
        s.access!.noticesDue = false;
      });
    }
  }

  for (;;) {
    let actor = timerActor;
    while (inbox.length > 0 && !shouldContinueAsNew()) {
      const delivery = inbox.shift()!;
      actor = delivery.actor;
      await guard('applying an HR record', () => applyDelivery(s, delivery, cause, triggers));
      // Every word from HR may change what the person's rules give them.
      carry.accessAsked = true;
    }
    await provision(actor);
    await guard('starting lifecycle runs', () => startLifecycleRuns(s, triggers));
    publish();

    if (shouldContinueAsNew()) break;
    const wakeAt = [s.next?.at, s.lifecycle.nextAt, s.retryAt, s.access?.nextAt].filter((t): t is number => t !== undefined);
    const wait = wakeAt.length === 0 ? undefined : Math.max(Math.min(...wakeAt) - Date.now(), 1);
    await condition(
      () =>
        inbox.length > 0 ||
        carry.refreshAsked ||
        carry.sweepAsked ||
        carry.accessAsked ||
        provisionAsked > provisionDone ||
        // Lifecycle triggers wait for the first record: waking for them before it would spin.
        (s.record !== undefined && (triggers.definitionsChanged || triggers.onDemand.length > 0 || triggers.groupChanges.length > 0)),
      wait,
    );
  }

  // Provision-now updates accepted while closing are answered here; everything else rides in `carry`.
  for (;;) {
    if (provisionAsked > provisionDone) await provision('tenure:provision-now');
    await condition(() => allHandlersFinished() || provisionAsked > provisionDone);
    if (provisionAsked === provisionDone && allHandlersFinished()) break;
  }
  await continueAsNew<typeof identityWorkflow>({ ...input, carried: carry });
}

async function applyDelivery(s: IdentitySnapshot, delivery: HrDelivery, cause: (actor: string) => Cause, triggers: LifecycleTriggers): Promise<void> {
  // The relay or a retried request may hand over the same inbox row twice: the first one counts.
  if (s.recentInboxIds.includes(delivery.inboxId)) return;
  remember(s.recentInboxIds, delivery.inboxId, 200);

  const latest = latestAsOf(s);
  const ignore = (outcome: 'stale' | 'duplicate', reason: string) =>
    store.recordIgnoredDelivery({ employeeId: s.employeeId, inboxId: delivery.inboxId, outcome, reason, cause: cause(delivery.actor) });

  if (delivery.kind === 'withdraw') {
    if (latest !== undefined && delivery.asOf < latest) return ignore('stale', 'withdrawal older than the current record');
    if (s.withdrawal && delivery.asOf <= s.withdrawal.asOf) return ignore('duplicate', 'the record was already withdrawn');
    // It takes effect when HR sent it, however late it is processed; kept even before any record, so an older record arriving later is stale.
    s.withdrawal = { asOf: delivery.asOf, at: delivery.receivedAt };
    s.policy = delivery.policy;
    return store.recordWithdrawal({ employeeId: s.employeeId, inboxId: delivery.inboxId, cause: cause(delivery.actor) });
  }

  const { record } = delivery;
  if (latest !== undefined && delivery.asOf < latest) {
    return ignore('stale', `record as of ${new Date(delivery.asOf).toISOString()} is older than the applied one`);
  }
  if (s.record && delivery.asOf === s.record.asOf && !s.withdrawal) {
    return sameRecordContent(s.record, record)
      ? ignore('duplicate', 'the same record was already applied')
      : ignore('stale', 'a different record with the same asOf was applied first');
  }
  if (s.withdrawal && delivery.asOf === s.withdrawal.asOf) {
    return ignore('stale', 'a withdrawal with the same asOf was applied first');
  }

  const before = s.record && !s.withdrawal ? { hireAt: s.record.hireAt, leaveAt: s.record.leaveAt } : undefined;
  const event = describeRecordChange(before, { hireAt: record.hireAt, leaveAt: record.leaveAt }, s.previousLeaveAt);
  const changed = changedDirectoryAttributes(s.record, record);
  if (changed.length > 0 && s.accounts !== 'none') s.attributesStale = true;
  if (s.record) {
    const list = attributeChanges(s.record, record);
    if (list.length > 0) triggers.changes = { key: String(delivery.inboxId), list, previous: watchedAttributes(s.record) };
  }
  s.record = record;
  s.withdrawal = undefined;
  s.policy = delivery.policy;
  await store.applyHrRecord({ employeeId: s.employeeId, inboxId: delivery.inboxId, record, event, changed, cause: cause(delivery.actor) });
}

function isPermanent(error: unknown): error is ActivityFailure {
  return error instanceof ActivityFailure && error.cause instanceof ApplicationFailure && error.cause.nonRetryable === true;
}

/** Where the person should be now, by the pure state machine. */
function currentPlan(s: IdentitySnapshot, record: NonNullable<IdentitySnapshot['record']>, policy: NonNullable<IdentitySnapshot['policy']>): LifecyclePlan {
  // A guest leaves when their last assignment ends, whatever their record says.
  const employment = s.guest ? guestEmployment(record.hireAt, s.guest) : { hireAt: record.hireAt, leaveAt: record.leaveAt };
  return planLifecycle({ employment, withdrawnAt: s.withdrawal?.at, previousLeaveAt: s.previousLeaveAt, accounts: s.accounts }, Date.now(), policy);
}

/**
 * The person's access packages follow their record, their lifecycle state and the clock
 * (automatic assignments, grace periods, expiry, reminders); a change makes their groups follow.
 */
async function reconcilePersonAccess(s: IdentitySnapshot, carry: IdentityCarry, step: Cause): Promise<void> {
  if (!s.record || !s.policy) return;
  // A guest's access decides their state, not the other way round: a blocked guest's new assignment must stand.
  const state = s.guest ? 'active' : currentPlan(s, s.record, s.policy).state;
  const due = s.access?.nextAt !== undefined && Date.now() >= s.access.nextAt;
  if (!carry.accessAsked && !due && s.access?.state === state) return;
  carry.accessAsked = false;
  const result = await sync.reconcileAccess({ employeeId: s.employeeId, state, cause: step });
  s.access = { nextAt: result.nextAt, state, noticesDue: result.notices > 0 };
  if (result.changed && s.accounts !== 'none') s.attributesStale = true;
  if (s.guest) {
    const change = planGuest(s.guest, result.live, Date.now(), s.policy.leaverRetentionMs);
    if (change) {
      s.guest = change.standing;
      await store.recordGuestLifecycle({ employeeId: s.employeeId, event: change.event, deleteAt: change.deleteAt, cause: step });
    }
  }
}

async function reconcile(
  s: IdentitySnapshot,
  cause: (actor: string) => Cause,
  actor: string,
  targetNames: () => Promise<string[]>,
  force = false,
): Promise<SyncOutcome[]> {
  if (!s.record || !s.policy) {
    // Nothing to retry before the first record: a retry time left set would wake the loop every millisecond.
    s.retryAt = undefined;
    return [];
  }
  const plan = currentPlan(s, s.record, s.policy);
  const desired = plan.accounts === 'none' ? 'absent' : plan.accounts;
  const retryDue = s.retryAt !== undefined && Date.now() >= s.retryAt;
  if (retryDue) s.retryAt = undefined;
  const needed = force || retryDue || s.accounts !== plan.accounts || s.attributesStale || (plan.stripMemberships && s.state !== 'terminated');
  let lastError: string | undefined;
  let writeBack = false;
  let outcomes: SyncOutcome[] = [];
  if (needed && (desired !== 'absent' || s.accounts !== 'none' || force)) {
    try {
      const targets = await targetNames();
      const step = cause(actor);
      // Every target at once: one that is slow or failing holds back none of the others.
      const settled = await Promise.allSettled(
        targets.map((target) => sync.syncTarget({ employeeId: s.employeeId, target, desired, stripMemberships: plan.stripMemberships, cause: step })),
      );
      outcomes = settled.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
      const failures = settled.flatMap((r) => (r.status === 'rejected' ? [failureMessage(r.reason)] : []));
      s.targetErrors = Object.fromEntries(targets.flatMap((target, i) => (settled[i]!.status === 'rejected' ? [[target, failureMessage((settled[i] as PromiseRejectedResult).reason)]] : [])));
      // An account owed on a target whose breaker is not closed: the person waits, and says so.
      s.waiting = Object.fromEntries(outcomes.flatMap((o) => (o.status === 'waiting' && o.waiting ? [[o.target, o.waiting]] : [])));
      if (failures.length > 0) {
        lastError = failures.join('; ');
        // Every target is tried again later; those that succeeded find nothing to change.
        s.retryAt = Date.now() + (settled.some((r) => r.status === 'rejected' && isPermanent(r.reason)) ? failureRetryMs : transientRetryMs);
      } else if (Object.keys(s.waiting).length > 0) {
        s.retryAt = Date.now() + waitingRetryMs;
      } else {
        s.accounts = plan.accounts;
        s.attributesStale = false;
        s.retryAt = undefined;
      }
      const named = outcomes.find((o) => o.username && o.workEmail);
      if (named) {
        s.username = named.username;
        s.workEmail = named.workEmail;
        writeBack = named.writeBack === true;
      }
      await notifyReports([...new Set(outcomes.flatMap((o) => o.reportsToNotify ?? []))]);
    } catch (error) {
      if (!isPermanent(error)) throw error;
      lastError = error.cause?.message ?? error.message;
      s.retryAt = Date.now() + failureRetryMs;
      log.warn('provisioning failed permanently', { employeeId: s.employeeId, error: lastError });
    }
  }

  // The person's place in the lifecycle follows HR and the clock; failing systems are shown, and retried.
  s.state = plan.state;
  s.previousLeaveAt = plan.previousLeaveAt;
  s.next = plan.next;
  s.lastError = lastError;
  const { stored } = s;
  const waiting = waitingSummary(s.waiting);
  if (stored?.state !== s.state || stored.nextAt !== s.next?.at || stored.lastError !== lastError || (stored.waiting ?? '') !== waiting) {
    await store.recordLifecycleState({ employeeId: s.employeeId, from: stored?.state, to: s.state, next: s.next, lastError, targetErrors: s.targetErrors, waiting: s.waiting ?? {}, cause: cause(actor) });
    if ((stored?.waiting ?? '') !== waiting) upsertMemo({ waiting: waiting || undefined });
    s.stored = { state: s.state, nextAt: s.next?.at, lastError, waiting };
  }

  // HR never heard of a guest: nothing to write back.
  if (writeBack && !s.guest && s.username && s.workEmail && (s.writtenBack?.username !== s.username || s.writtenBack.workEmail !== s.workEmail)) {
    // The child sends what the identity store holds when it runs, so a late retry never sends stale names.
    await startChild(hrWritebackWorkflow, {
      workflowId: `${hrWritebackWorkflowId(s.employeeId)}-${workflowInfo().firstExecutionRunId.slice(0, 8)}-${s.operation}`,
      args: [{ employeeId: s.employeeId }],
      parentClosePolicy: ParentClosePolicy.ABANDON,
    });
    s.writtenBack = { username: s.username, workEmail: s.workEmail };
  }
  return outcomes;
}

/** What the person waits for, in a line operators read in Temporal UI's memo. */
function waitingSummary(waiting: IdentitySnapshot['waiting']): string {
  return Object.entries(waiting ?? {})
    .map(([target, w]) => `account on ${target} since ${w.since}: ${w.reason}`)
    .join('; ');
}

function failureMessage(error: unknown): string {
  if (error instanceof ActivityFailure && error.cause) return error.cause.message;
  return error instanceof Error ? error.message : String(error);
}

/** Reports whose manager entry appeared or went refresh their manager reference. */
async function notifyReports(reports: string[]): Promise<void> {
  await Promise.all(
    reports.map(async (employeeId) => {
      try {
        await getExternalWorkflowHandle(identityWorkflowId(employeeId)).signal(managerAccountChangedSignal);
      } catch (error) {
        log.info('report workflow not reachable', { employeeId, error: String(error) });
      }
    }),
  );
}

/** Starts the lifecycle runs that are due: time triggers, attribute and group changes, on-demand requests. */
async function startLifecycleRuns(s: IdentitySnapshot, triggers: LifecycleTriggers): Promise<void> {
  if (!s.record) return;
  const changes = triggers.changes;
  triggers.changes = undefined;
  const needsPlan = triggers.definitionsChanged || changes !== undefined || (s.lifecycle.nextAt !== undefined && Date.now() >= s.lifecycle.nextAt);
  triggers.definitionsChanged = false;
  const due: (DueRun & { previous?: Record<string, string | undefined>; requestedBy: string })[] = [];
  const plan = async (extra: Partial<PlanInput>) =>
    store.planLifecycleRuns({ employeeId: s.employeeId, started: s.lifecycle.started, withdrawn: s.withdrawal !== undefined, ...extra });
  if (needsPlan) {
    const result = await plan(changes ? { changes: { key: changes.key, list: changes.list } } : {});
    s.lifecycle.nextAt = result.nextAt;
    due.push(...result.due.map((run) => ({ ...run, requestedBy: timerActor, previous: run.key.includes('|attribute-change|') ? changes?.previous : undefined })));
  }
  for (let change = triggers.groupChanges.shift(); change; change = triggers.groupChanges.shift()) {
    const result = await plan({ groupChange: change });
    due.push(...result.due.map((run) => ({ ...run, requestedBy: timerActor })));
  }
  for (let request = triggers.onDemand.shift(); request; request = triggers.onDemand.shift()) {
    due.push({
      definitionId: request.definitionId,
      key: `${request.definitionId}|on-demand|${request.requestId}`,
      trigger: 'on demand',
      scheduledFor: Date.now(),
      suffix: `ondemand-${request.requestId}`,
      requestedBy: request.requestedBy,
    });
  }
  for (const run of due) {
    if (s.lifecycle.started.includes(run.key)) continue;
    const runId = lifecycleRunWorkflowId(run.definitionId, s.employeeId, run.suffix);
    try {
      await startChild(lifecycleRunWorkflow, {
        workflowId: runId,
        args: [{ runId, employeeId: s.employeeId, definitionId: run.definitionId, triggerKey: run.key, trigger: run.trigger, scheduledFor: run.scheduledFor, requestedBy: run.requestedBy, previous: run.previous }],
        parentClosePolicy: ParentClosePolicy.ABANDON,
        // A run that already happened stays happened.
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
        typedSearchAttributes: [
          { key: employeeIdSearchAttribute, value: s.employeeId },
          { key: lifecycleWorkflowSearchAttribute, value: run.definitionId },
          { key: departmentSearchAttribute, value: s.record.department ?? '' },
        ],
      });
    } catch (error) {
      if ((error as Error).name !== 'WorkflowExecutionAlreadyStartedError') throw error;
    }
    remember(s.lifecycle.started, run.key, 300);
  }
}
