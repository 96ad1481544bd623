import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  condition,
  getExternalWorkflowHandle,
  isCancellation,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { RunInput } from '../domain/lifecycle-runs';
import type { LifecycleTask, MailTemplate, RunStatus } from '../domain/lifecycle-workflows';
import { defaultMaxWait, skippedAfterFailure, taskNotReadyType, taskPollDelayMs } from '../domain/task-waits';
import { groupMembershipChangedSignal, identityWorkflowId, resumeTaskUpdate, type ResumeTask } from './messages';

// One run of a lifecycle workflow definition for one person: its tasks in order. A task that
// needs what time can bring (an address, a username, an account, a target that is back) waits
// for it, visibly and up to its maxWait; only a reason time cannot fix fails it, and a failed
// task stops the run unless it may continue on error.

const store = proxyLocalActivities<Activities>({ startToCloseTimeout: '30 seconds', retry: { initialInterval: '1 second', maximumInterval: '1 minute' } });

// A few quick attempts; after them an outage turns into waiting, bounded by the task's maxWait.
const tasks = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '10 seconds', maximumAttempts: 3 },
});

/** A failure retrying cannot fix (as opposed to one that waiting may). */
function isFinal(error: unknown): boolean {
  const cause = error instanceof ActivityFailure ? error.cause : error;
  return cause instanceof ApplicationFailure && cause.nonRetryable === true && cause.type !== taskNotReadyType;
}

function reason(error: unknown): string {
  if (error instanceof ActivityFailure && error.cause) return error.cause.message;
  return error instanceof Error ? error.message : String(error);
}

function durationMs(iso: string): number {
  // Workflows carry no date library: the definition was validated, so this grammar is enough.
  const match = /^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(iso);
  if (!match) throw ApplicationFailure.nonRetryable(`bad duration ${iso}`, 'BadDefinition');
  const [, w, d, h, m, s] = match.map((v) => Number(v ?? 0));
  return ((((w! * 7 + d!) * 24 + h!) * 60 + m!) * 60 + s!) * 1000;
}

export async function lifecycleRunWorkflow(input: RunInput): Promise<RunStatus> {
  const started = await store.beginLifecycleRun(input);
  if (started.kind === 'skipped') return 'cancelled';
  const begun = started;

  const context = { runId: input.runId, employeeId: input.employeeId, requestedBy: input.requestedBy };
  // Tasks an extension may report on: registered before the call goes out, so a fast answer is not lost.
  const awaiting = new Map<string, ResumeTask | undefined>();
  setHandler(
    resumeTaskUpdate,
    (resume) => {
      awaiting.set(resume.taskId, resume);
      return { accepted: true as const };
    },
    {
      validator: (resume) => {
        if (!awaiting.has(resume.taskId) || awaiting.get(resume.taskId)) throw new Error(`task ${resume.taskId} is not waiting for an answer`);
      },
    },
  );

  async function perform(task: LifecycleTask): Promise<Record<string, unknown>> {
    const ctx = { ...context, taskId: task.id };
    const args = task.args;
    const template = args.template as MailTemplate | undefined;
    switch (task.type) {
      case 'send-welcome-email':
      case 'send-onboarding-reminder':
      case 'notify-manager-of-move':
      case 'email-manager-before-last-day':
      case 'email-manager-on-last-day':
      case 'email-manager-after-last-day':
        return tasks.sendLifecycleMail({ ...ctx, type: task.type, template, previous: input.previous });
      case 'generate-temporary-access-pass':
        return tasks.issueTemporaryAccessPass({ ...ctx, lifetimeMs: durationMs(args.lifetime as string), oneTime: args.oneTime as boolean, template });
      case 'enable-account':
      case 'disable-account':
      case 'delete-account': {
        // On every target, through the same convergent step the person's lifecycle uses.
        const desired = task.type === 'enable-account' ? 'enabled' : task.type === 'disable-account' ? 'disabled' : 'absent';
        const cause = { actor: `lifecycle:${input.runId}`, workflowId: input.runId, runId: input.runId, key: `${input.runId}:${task.id}` };
        const targets = await store.listTargets();
        const outcomes = await Promise.all(targets.map((target) => tasks.syncTarget({ employeeId: input.employeeId, target, desired, stripMemberships: desired === 'absent', cause })));
        const waiting = outcomes.filter((o) => o.status === 'waiting').map((o) => o.target);
        if (waiting.length > 0) throw ApplicationFailure.create({ type: taskNotReadyType, message: `${waiting.join(', ')} to be reachable`, nonRetryable: true });
        return { targets: outcomes.map((o) => ({ target: o.target, status: o.status })) };
      }
      case 'add-to-groups':
      case 'remove-from-groups':
      case 'remove-from-all-groups': {
        const groups = args.groups as string[] | undefined;
        const result = await tasks.changeGroupMemberships({
          ...ctx,
          target: args.target as string | undefined,
          add: task.type === 'add-to-groups' ? groups : undefined,
          remove: task.type === 'remove-from-groups' ? groups : undefined,
          removeAll: task.type === 'remove-from-all-groups',
        });
        await tellIdentity(task.id, result.added, 'added');
        await tellIdentity(task.id, result.removed, 'removed');
        return result;
      }
      case 'run-custom-extension': {
        const timeoutMs = durationMs(args.timeout as string);
        const mode = args.mode as 'launch-and-continue' | 'launch-and-wait';
        if (mode === 'launch-and-wait') awaiting.set(task.id, undefined);
        const output = await tasks.callCustomExtension({ ...ctx, extension: args.extension as string, mode, timeoutMs });
        if (mode === 'launch-and-continue') return output;
        const position = begun.tasks.indexOf(task);
        await store.recordTaskStatus({ runId: input.runId, position, status: 'waiting' });
        const answered = await condition(() => awaiting.get(task.id) !== undefined, timeoutMs);
        if (!answered) throw ApplicationFailure.nonRetryable(`no answer from ${String(args.extension)} within ${String(args.timeout)}`, 'ExtensionTimedOut');
        const resume = awaiting.get(task.id)!;
        if (resume.outcome === 'failed') throw ApplicationFailure.nonRetryable(resume.message ?? `${String(args.extension)} reported failure`, 'ExtensionFailed');
        return { ...output, outcome: resume.outcome, ...(resume.message ? { message: resume.message } : {}) };
      }
    }
  }

  /** Group changes can trigger other lifecycle workflows: the person's workflow decides. */
  async function tellIdentity(taskId: string, groups: string[], change: 'added' | 'removed') {
    for (const group of groups) {
      try {
        await getExternalWorkflowHandle(identityWorkflowId(input.employeeId)).signal(groupMembershipChangedSignal, { group, change, key: `${input.runId}-${taskId}` });
      } catch {
        // The person's workflow is gone: nothing left to trigger.
      }
    }
  }

  /** Runs the task, waiting out what it needs until its maxWait; the run shows what it waits for. */
  async function performWhenReady(task: LifecycleTask, position: number): Promise<Record<string, unknown>> {
    const maxWait = task.maxWait ?? defaultMaxWait;
    const startedAt = Date.now();
    let shown: string | undefined;
    for (let polls = 0; ; polls++) {
      try {
        return await perform(task);
      } catch (error) {
        if (isCancellation(error) || isFinal(error)) throw error;
        const waitingFor = reason(error);
        const waited = Date.now() - startedAt;
        if (waited >= durationMs(maxWait)) throw ApplicationFailure.nonRetryable(`waited ${maxWait} for ${waitingFor}`, 'WaitedTooLong');
        if (waitingFor !== shown) {
          await store.recordTaskStatus({ runId: input.runId, position, status: 'waiting', waitingFor });
          shown = waitingFor;
        }
        await sleep(Math.min(taskPollDelayMs(waited, polls), durationMs(maxWait) - waited));
      }
    }
  }

  let failedReason: string | undefined;
  let hadErrors = false;
  try {
    for (const [position, task] of begun.tasks.entries()) {
      if (begun.completed.includes(position)) continue;
      if (failedReason !== undefined) {
        await store.recordTaskStatus({ runId: input.runId, position, status: 'skipped', error: skippedAfterFailure });
      } else if (!task.enabled) {
        await store.recordTaskStatus({ runId: input.runId, position, status: 'skipped', error: 'task disabled' });
      } else {
        await store.recordTaskStatus({ runId: input.runId, position, status: 'in_progress' });
        try {
          const output = await performWhenReady(task, position);
          await store.recordTaskStatus({ runId: input.runId, position, status: 'completed', output });
        } catch (error) {
          if (isCancellation(error)) throw error;
          const why = reason(error);
          await store.recordTaskStatus({ runId: input.runId, position, status: 'failed', error: why });
          if (task.continueOnError) hadErrors = true;
          else failedReason = `${task.id}: ${why}`;
        }
      }
    }
  } catch (error) {
    if (!isCancellation(error)) throw error;
    await CancellationScope.nonCancellable(async () => {
      // What was done stays done (a run again skips it); the rest is cancelled.
      for (const position of await store.unfinishedTasks({ runId: input.runId })) {
        await store.recordTaskStatus({ runId: input.runId, position, status: 'cancelled', error: 'run cancelled' });
      }
      await store.finishLifecycleRun({ runId: input.runId, employeeId: input.employeeId, status: 'cancelled', error: 'cancelled by an operator', execution: workflowInfo().runId });
    });
    return 'cancelled';
  }
  const status: RunStatus = failedReason !== undefined ? 'failed' : hadErrors ? 'completed_with_errors' : 'completed';
  await store.finishLifecycleRun({ runId: input.runId, employeeId: input.employeeId, status, error: failedReason, execution: workflowInfo().runId });
  return status;
}
