import { activityInfo, heartbeat } from '@temporalio/activity';
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { Db, DbOrTx } from '../db/client';
import { appendAuditEvents } from '../db/queries/audit';
import { closeBreaker, findTargetStatus, pendingPage, recordFailedProbe, type Transition } from '../db/queries/targets';
import type { FailureKind } from '../domain/breaker';
import type { CompiledTarget } from '../domain/targets';
import { identityWorkflowId, targetBreakerWorkflowId, targetResumedSignal } from '../workflows/messages';
import { TargetRefusedError, TargetThrottledError, type TargetConnector } from './connectors/target-connector';

// The breaker's watch over a target whose breaker is open or quarantined: probe it when due,
// close it when it answers, then bring everyone who waited up to date at the policy's pace.

export interface TargetBreakerDeps {
  db: Db;
  temporal: Client;
  targets: CompiledTarget[];
  connectors: Map<string, TargetConnector>;
  now: () => Date;
}

export const breakerActor = 'tenure:breaker';

/** How the breaker reads an error: a refusal of Tenure itself, or a target that cannot be reached. */
export function failureKind(error: unknown): FailureKind {
  return error instanceof TargetRefusedError && error.scope === 'target' ? 'refused' : 'unreachable';
}

const describe: Record<Transition['to'], string> = {
  open: 'unreachable: calls stop until a probe succeeds',
  quarantined: 'refused Tenure: quarantined, tried again rarely',
  closed: 'back in use',
};

/** The audit row of a breaker transition. */
export async function auditTransition(db: DbOrTx, name: string, transition: Transition, actor: string): Promise<void> {
  const { row } = transition;
  const since = (row.stateSince ?? new Date()).toISOString();
  await appendAuditEvents(db, [
    {
      kind: `target.${transition.to}`,
      actor,
      system: name,
      summary: `${name} ${describe[transition.to]}${row.stateReason ? ` (${row.stateReason})` : ''}`,
      details: { from: transition.from, to: transition.to, reason: row.stateReason, nextProbeAt: row.nextProbeAt?.toISOString() ?? null },
      idempotencyKey: `target:${name}:${transition.to}:${since}`,
    },
  ]);
}

/** Starts the watch over a target if none runs; several workers may ask at once. */
export async function watchTarget(temporal: Client, taskQueue: string, target: string): Promise<void> {
  try {
    await temporal.workflow.start('targetBreakerWorkflow', { workflowId: targetBreakerWorkflowId(taskQueue, target), taskQueue, args: [{ target }] });
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
  }
}

export function createTargetBreakerActivities(deps: TargetBreakerDeps) {
  const { db } = deps;
  const byName = new Map(deps.targets.map((t) => [t.config.name, t]));
  const policyOf = (name: string) => {
    const target = byName.get(name);
    if (!target) throw new Error(`no provisioning target "${name}" is configured`);
    return target.breaker;
  };

  return {
    async targetBreakerStatus(input: { target: string }): Promise<{ state: 'closed' | 'open' | 'quarantined'; nextProbeAt?: number }> {
      const row = await findTargetStatus(db, input.target);
      return { state: row?.state ?? 'closed', nextProbeAt: row?.nextProbeAt?.getTime() };
    },

    /** Tries the target once; closes the breaker when it answers, else spaces the next probe out. */
    async probeTarget(input: { target: string }): Promise<{ state: 'closed' | 'open' | 'quarantined' }> {
      const connector = deps.connectors.get(input.target);
      if (!connector) throw new Error(`no provisioning target "${input.target}" is configured`);
      try {
        await connector.check();
      } catch (error) {
        const now = deps.now();
        const message = ((error as Error).message ?? String(error)).slice(0, 500);
        const notBeforeMs = error instanceof TargetThrottledError ? error.retryAfterMs : undefined;
        const { row, transition } = await recordFailedProbe(db, input.target, { kind: failureKind(error), error: message, now, policy: policyOf(input.target), notBeforeMs });
        if (transition) await auditTransition(db, input.target, transition, breakerActor);
        return { state: row?.state ?? 'closed' };
      }
      const transition = await closeBreaker(db, input.target, deps.now());
      if (transition) await auditTransition(db, input.target, transition, breakerActor);
      return { state: 'closed' };
    },

    /**
     * Tells everyone waiting for a closed target to bring their accounts up to date, at the
     * policy's pace so the target is not tripped again; stops if the breaker opens meanwhile.
     * Each person's own sync clears their waiting row.
     */
    async drainTarget(input: { target: string }): Promise<{ signalled: number; reopened: boolean }> {
      const perSecond = policyOf(input.target).drainPerSecond;
      const resumeFrom = activityInfo().heartbeatDetails as { since: string; employeeId: string } | undefined;
      let after = resumeFrom ? { since: new Date(resumeFrom.since), employeeId: resumeFrom.employeeId } : undefined;
      let signalled = 0;
      for (;;) {
        const status = await findTargetStatus(db, input.target);
        if (status && status.state !== 'closed') return { signalled, reopened: true };
        const started = Date.now();
        const page = await pendingPage(db, input.target, after, Math.max(1, Math.ceil(perSecond)));
        if (page.length === 0) return { signalled, reopened: false };
        await Promise.all(
          page.map(async ({ employeeId }) => {
            try {
              await deps.temporal.workflow.getHandle(identityWorkflowId(employeeId)).signal(targetResumedSignal);
              signalled += 1;
            } catch (error) {
              // A person whose workflow is gone has nothing left to bring up to date.
              if ((error as Error).name !== 'WorkflowNotFoundError') throw error;
            }
          }),
        );
        const last = page[page.length - 1]!;
        after = { since: last.since, employeeId: last.employeeId };
        heartbeat({ since: last.since.toISOString(), employeeId: last.employeeId });
        const rest = 1000 * (page.length / perSecond) - (Date.now() - started);
        if (rest > 0) await new Promise((resolve) => setTimeout(resolve, rest));
      }
    },
  };
}
