import { allHandlersFinished, ApplicationFailure, CancellationScope, condition, getExternalWorkflowHandle, isCancellation, log, proxyActivities, setHandler } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { AccessDecision, AccessRequestState, RequestStatus } from '../domain/access-requests';
import { refusalOfDecision } from '../domain/access-requests';
import { isGuestId } from '../domain/guest-lifecycle';
import { accessChangedSignal, accessRequestStateQuery, cancelAccessRequestUpdate, decideAccessRequestUpdate, identityWorkflowId, resumeAccessHookUpdate } from './messages';

const steps = proxyActivities<Activities>({
  // Short steps: one a dead worker held is retried soon.
  startToCloseTimeout: '30 seconds',
  // Mail servers and the database come back; a request keeps its place until they do.
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '5 minutes' },
});
/** The mail telling the person how it ended, tried for a day; the decision itself never waits for it. */
const notice = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  scheduleToCloseTimeout: '1 day',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '10 minutes' },
});

/**
 * One access request (`access-request-{id}`): the policy's stages in order, each waiting for one
 * decision by a current approver (a Workflow Update the validator admits only from them) or its
 * deadline, where it escalates to the fallback approvers or is denied — never silently. An
 * approval grants the access (checked again for separation of duties); every step is in the trail.
 */
export async function accessRequestWorkflow(input: { requestId: string }): Promise<RequestStatus> {
  const state: AccessRequestState = { requestId: input.requestId, status: 'pending', stage: 0, stageCount: 0, approvers: [] };
  let people = { requestedBy: '', employeeId: '' };
  let decision: AccessDecision | undefined;
  let cancelled: { by: string; reason: string } | undefined;
  /** Bumped each time the request settles after a decision, so the deciding update answers the state that follows. */
  let settled = 0;
  /** Who approved each stage, in order: a guest's sponsor is the one of them who sponsors their organisation. */
  const approvedBy: string[] = [];
  const hookAnswers = new Map<string, { outcome: 'completed' | 'failed'; message?: string } | undefined>();

  setHandler(accessRequestStateQuery, () => state);
  setHandler(
    decideAccessRequestUpdate,
    async (given) => {
      const ticket = settled + 1;
      // Taken at once, so no second decision on the stage passes the validator meanwhile.
      decision = given;
      await steps.recordAccessDecision({ requestId: input.requestId, stage: state.stage, decision: given });
      await condition(() => settled >= ticket);
      return state;
    },
    {
      validator: (given) => {
        const refusal = refusalOfDecision(state, given, people, decision !== undefined || cancelled !== undefined);
        if (refusal) throw ApplicationFailure.create({ type: 'DecisionRefused', message: refusal, nonRetryable: true });
      },
    },
  );
  setHandler(
    cancelAccessRequestUpdate,
    async (request) => {
      const ticket = settled + 1;
      cancelled = request;
      await condition(() => settled >= ticket);
      return state;
    },
    {
      validator: (_request) => {
        if (state.status !== 'pending' || decision !== undefined || cancelled !== undefined) throw ApplicationFailure.create({ type: 'DecisionRefused', message: `request ${input.requestId} is not pending`, nonRetryable: true });
      },
    },
  );
  setHandler(
    resumeAccessHookUpdate,
    (answer) => {
      hookAnswers.set(answer.on, { outcome: answer.outcome, message: answer.message });
      return { accepted: true as const };
    },
    {
      validator: (answer) => {
        if (!hookAnswers.has(answer.on) || hookAnswers.get(answer.on)) throw new Error(`request ${input.requestId} is not waiting for its ${answer.on} extension`);
      },
    },
  );

  const plan = await steps.beginAccessRequest(input);
  people = { requestedBy: plan.requestedBy, employeeId: plan.employeeId };
  state.stageCount = plan.stageCount;

  /** Calls the policy's extensions at this point; one launched-and-waiting that fails or never answers answers why. */
  async function hooks(on: 'created' | 'approved' | 'denied'): Promise<string | undefined> {
    for (const hook of plan.hooks.filter((h) => h.on === on)) {
      if (hook.mode === 'launch-and-wait') hookAnswers.set(on, undefined);
      await steps.callAccessRequestHook({ requestId: input.requestId, on, extension: hook.extension, mode: hook.mode, timeoutMs: hook.timeoutMs });
      if (hook.mode === 'launch-and-continue') continue;
      const answered = await condition(() => hookAnswers.get(on) !== undefined, hook.timeoutMs);
      const answer = hookAnswers.get(on);
      hookAnswers.delete(on);
      if (!answered) return `${hook.extension} did not answer within ${Math.round(hook.timeoutMs / 1000)} s`;
      if (answer?.outcome === 'failed') return `${hook.extension} refused: ${answer.message ?? 'no reason given'}`;
    }
    return undefined;
  }

  async function finish(status: Exclude<RequestStatus, 'pending'>, reason?: string, assignmentId?: string): Promise<RequestStatus> {
    await steps.finishAccessRequest({ requestId: input.requestId, status, reason, assignmentId });
    Object.assign(state, { status, reason, approvers: [], deadline: undefined });
    settled += 1;
    if (status === 'approved') {
      try {
        await getExternalWorkflowHandle(identityWorkflowId(plan.employeeId)).signal(accessChangedSignal);
      } catch (error) {
        log.warn('the person’s workflow could not be told of the grant', { error: String(error) });
      }
    }
    try {
      await notice.notifyAccessDecision(input);
    } catch (error) {
      log.warn('the decision mail could not be sent within a day', { error: String(error) });
    }
    const later = await hooks(status === 'approved' ? 'approved' : 'denied');
    if (later) log.warn('an extension after the decision did not complete', { reason: later });
    await condition(allHandlersFinished);
    return status;
  }

  /**
   * The approvers' mail goes out beside the wait, not before it: a mail server that is down
   * delays the mail (retried until the stage ends), never a decision made over the API.
   */
  function notify(stage: number): CancellationScope {
    const scope = new CancellationScope();
    scope.run(() => steps.notifyAccessApprovers({ requestId: input.requestId, stage })).catch((error: unknown) => {
      if (!isCancellation(error)) log.warn('approval mail failed', { error: String(error) });
    });
    return scope;
  }

  const refused = await hooks('created');
  if (refused) return finish('denied', refused);

  for (let stage = 1; stage <= plan.stageCount; stage++) {
    let opened = await steps.openAccessStage({ requestId: input.requestId, stage, escalate: false });
    Object.assign(state, { stage, approvers: opened.approvers, deadline: Date.now() + opened.deadlineMs });
    // The approval of the stage before answers with this one.
    settled += 1;
    if (opened.approvers.length === 0) return finish('denied', `nobody can decide stage ${stage}: no approver or fallback approver is there`);
    let mailing = notify(stage);
    for (;;) {
      const decided = await condition(() => decision !== undefined || cancelled !== undefined, opened.deadlineMs);
      mailing.cancel();
      if (decided) break;
      if (opened.canEscalate) {
        await steps.recordAccessDecision({ requestId: input.requestId, stage, decision: { approver: 'tenure:deadline', decision: 'escalate', justification: 'no decision by the deadline', via: 'deadline' } });
        opened = await steps.openAccessStage({ requestId: input.requestId, stage, escalate: true });
        Object.assign(state, { approvers: opened.approvers, deadline: Date.now() + opened.deadlineMs });
        if (opened.approvers.length > 0) {
          mailing = notify(stage);
          continue;
        }
      }
      const why = `no decision on stage ${stage} within ${Math.round(opened.deadlineMs / 1000)} s${opened.canEscalate ? '' : ', even after escalation'}`;
      await steps.recordAccessDecision({ requestId: input.requestId, stage, decision: { approver: 'tenure:deadline', decision: 'deny', justification: why, via: 'deadline' } });
      return finish('denied', why);
    }
    if (cancelled) return finish('cancelled', `${cancelled.by}: ${cancelled.reason}`);
    if (decision!.decision === 'deny') return finish('denied', `denied by ${decision!.approver}${decision!.justification ? `: ${decision!.justification}` : ''}`);
    approvedBy.push(decision!.approver);
    decision = undefined;
  }

  const granted = await steps.grantRequestedAccess(input);
  if (!granted.ok) return finish('denied', granted.reason);
  // A guest becomes an identity (or is brought back) only once the access is theirs.
  if (isGuestId(plan.employeeId)) await steps.admitGuest({ requestId: input.requestId, approvers: approvedBy });
  return finish('approved', undefined, granted.assignmentId);
}
