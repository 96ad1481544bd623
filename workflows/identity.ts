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
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { Cause } from '../activities/types';
import { describeRecordChange, planLifecycle, type LifecyclePlan } from '../domain/lifecycle';
import { changedDirectoryAttributes, sameRecordContent } from '../domain/hr-record';
import { hrWritebackWorkflow } from './hr-writeback';
import { initialSnapshot, latestAsOf, type IdentitySnapshot } from './identity-state';
import {
  departmentSearchAttribute,
  employeeIdSearchAttribute,
  hrRecordSignal,
  hrWritebackWorkflowId,
  identityStateQuery,
  identityWorkflowId,
  lifecycleStateSearchAttribute,
  managerAccountChangedSignal,
  type HrDelivery,
  type IdentityWorkflowInput,
} from './messages';

// Outages retry until the system is back; activities mark facts that retrying cannot fix as non-retryable.
const retry = { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '2 minutes' } as const;

/** Steps that reach connected systems: full activities, visible and retried on their own. */
const acts = proxyActivities<Activities>({
  // LDAP and SQL steps take milliseconds; a worker that died mid-step is noticed after this.
  startToCloseTimeout: '30 seconds',
  retry,
});

/** Identity-store bookkeeping: local activities, run inside the workflow task without a round trip. */
const store = proxyLocalActivities<Activities>({ startToCloseTimeout: '30 seconds', retry });

/** Continue-as-new well before Temporal's history limits, even if the server does not suggest it. */
const defaultMaxHistoryEvents = 5_000;
const timerActor = 'tenure:schedule';

/**
 * One workflow per person (`identity-{employeeId}`). HR records arrive as signals; the pure
 * state machine says where the person should be; activities make every system agree; a
 * durable timer waits for the next instant that changes anything.
 */
export async function identityWorkflow(input: IdentityWorkflowInput): Promise<void> {
  const s: IdentitySnapshot = input.carried ?? initialSnapshot(input.employeeId);
  const inbox: HrDelivery[] = [...(input.pending ?? [])];
  let managerChanged = false;

  setHandler(hrRecordSignal, (delivery) => {
    inbox.push(delivery);
  });
  setHandler(managerAccountChangedSignal, () => {
    managerChanged = true;
  });
  setHandler(identityStateQuery, () => s);

  const info = workflowInfo();
  const cause = (actor: string): Cause => {
    s.operation += 1;
    return { actor, workflowId: info.workflowId, runId: info.runId, key: `${info.workflowId}:${info.firstExecutionRunId}:${s.operation}` };
  };

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

  for (;;) {
    let actor = timerActor;
    while (inbox.length > 0) {
      const delivery = inbox.shift()!;
      actor = delivery.actor;
      await applyDelivery(s, delivery, cause);
    }
    if (managerChanged) {
      managerChanged = false;
      if (s.accounts !== 'none') s.attributesStale = true;
    }
    await reconcile(s, cause, actor);
    publish();

    const { continueAsNewSuggested, historyLength } = workflowInfo();
    if (continueAsNewSuggested || historyLength > (input.maxHistoryEvents ?? defaultMaxHistoryEvents)) break;
    const wait = s.next === undefined ? undefined : Math.max(s.next.at - Date.now(), 0);
    await condition(() => inbox.length > 0 || managerChanged, wait === undefined ? undefined : Math.max(wait, 1));
  }

  await condition(allHandlersFinished);
  if (managerChanged && s.accounts !== 'none') s.attributesStale = true;
  await continueAsNew<typeof identityWorkflow>({ ...input, carried: s, pending: inbox });
}

async function applyDelivery(s: IdentitySnapshot, delivery: HrDelivery, cause: (actor: string) => Cause): Promise<void> {
  s.policy = delivery.policy;
  const latest = latestAsOf(s);
  const ignore = (outcome: 'stale' | 'duplicate', reason: string) =>
    store.recordIgnoredDelivery({ employeeId: s.employeeId, inboxId: delivery.inboxId, outcome, reason, cause: cause(delivery.actor) });

  if (delivery.kind === 'withdraw') {
    if (!s.record) return ignore('stale', 'withdrawal of a worker with no applied record');
    if (latest !== undefined && delivery.asOf < latest) return ignore('stale', 'withdrawal older than the current record');
    if (s.withdrawal) return ignore('duplicate', 'the record was already withdrawn');
    s.withdrawal = { asOf: delivery.asOf, at: Date.now() };
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
  s.record = record;
  s.withdrawal = undefined;
  await store.applyHrRecord({ employeeId: s.employeeId, inboxId: delivery.inboxId, event, changed, cause: cause(delivery.actor) });
}

function isPermanent(error: unknown): error is ActivityFailure {
  return error instanceof ActivityFailure && error.cause instanceof ApplicationFailure && error.cause.nonRetryable === true;
}

async function reconcile(s: IdentitySnapshot, cause: (actor: string) => Cause, actor: string): Promise<void> {
  if (!s.record || !s.policy) return;
  const employment = { hireAt: s.record.hireAt, leaveAt: s.record.leaveAt };
  const plan: LifecyclePlan = planLifecycle(
    { employment, withdrawnAt: s.withdrawal?.at, previousLeaveAt: s.previousLeaveAt, accounts: s.accounts },
    Date.now(),
    s.policy,
  );
  let lastError: string | undefined;
  let writeBack = false;
  let reports: string[] = [];
  try {
    if (plan.accounts === 'none' && s.accounts !== 'none') {
      reports = await acts.deleteAccounts({ employeeId: s.employeeId, cause: cause(actor) });
      s.accounts = 'none';
      s.attributesStale = false;
    } else if (
      plan.accounts !== 'none' &&
      (s.accounts !== plan.accounts || s.attributesStale || (plan.stripMemberships && s.state !== 'terminated'))
    ) {
      const result = await acts.ensureAccounts({
        employeeId: s.employeeId,
        enabled: plan.accounts === 'enabled',
        stripMemberships: plan.stripMemberships,
        cause: cause(actor),
      });
      s.accounts = plan.accounts;
      s.attributesStale = false;
      s.username = result.username;
      s.workEmail = result.workEmail;
      writeBack = result.writeBack;
      reports = result.reportsToNotify;
    }
  } catch (error) {
    if (!isPermanent(error)) throw error;
    lastError = error.cause?.message ?? error.message;
    log.warn('provisioning failed permanently', { employeeId: s.employeeId, error: lastError });
  }

  if (lastError === undefined) {
    s.state = plan.state;
    s.previousLeaveAt = plan.previousLeaveAt;
  } else {
    // Nothing changed in the systems: keep the state, but make the failure visible.
    s.state ??= 'pending';
  }
  s.next = plan.next;
  s.lastError = lastError;
  const { stored } = s;
  if (s.state && (stored?.state !== s.state || stored.nextAt !== s.next?.at || stored.lastError !== lastError)) {
    await store.recordLifecycleState({ employeeId: s.employeeId, from: stored?.state, to: s.state, next: s.next, lastError, cause: cause(actor) });
    s.stored = { state: s.state, nextAt: s.next?.at, lastError };
  }
  await notifyReports(reports);
  if (writeBack && s.username && s.workEmail && (s.writtenBack?.username !== s.username || s.writtenBack.workEmail !== s.workEmail)) {
    const target = { username: s.username, workEmail: s.workEmail };
    await startChild(hrWritebackWorkflow, {
      workflowId: `${hrWritebackWorkflowId(s.employeeId)}-${s.operation}`,
      args: [{ employeeId: s.employeeId, ...target }],
      parentClosePolicy: ParentClosePolicy.ABANDON,
    });
    s.writtenBack = target;
  }
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
