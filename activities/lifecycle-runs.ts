import { ApplicationFailure } from '@temporalio/activity';
import type { Db } from '../db/client';
import { appendAuditEvents } from '../db/queries/audit';
import { findIdentity, identityFacts } from '../db/queries/identities';
import { findDefinition, listDefinitions } from '../db/queries/lifecycle-workflows';
import { findRun, findTaskRuns, insertRun, insertTaskRuns, updateRun, updateTaskRun } from '../db/queries/lifecycle-runs';
import {
  matchAttributeChange,
  matchGroupChange,
  planTimeTriggeredRuns,
  runKey,
  type AttributeChange,
  type GroupChange,
  type RunInput,
} from '../domain/lifecycle-runs';
import type { LifecycleCategory, LifecycleTask, RunStatus, TaskStatus } from '../domain/lifecycle-workflows';
import { skippedAfterFailure } from '../domain/task-waits';

// Which lifecycle workflows are due for a person, and the bookkeeping of their runs.

export interface DueRun {
  definitionId: string;
  key: string;
  trigger: string;
  scheduledFor: number;
  /** Readable tail of the run's workflow id. */
  suffix: string;
}

export interface PlanInput {
  employeeId: string;
  /** Keys of runs this person's workflow already started. */
  started: string[];
  withdrawn: boolean;
  changes?: { key: string; list: AttributeChange[] };
  groupChange?: GroupChange & { key: string };
}

export interface PlanResult {
  due: DueRun[];
  /** When the next time-triggered run is due. */
  nextAt?: number;
}

export type BeginResult =
  | { kind: 'run'; version: number; category: LifecycleCategory; tasks: LifecycleTask[]; completed: number[] }
  | { kind: 'skipped'; reason: string };

/** A task in one of these is not done again when a run is resumed or run again. */
const doneStatuses: TaskStatus[] = ['completed', 'skipped'];

const compact = (epochMs: number) => new Date(epochMs).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');

export function createLifecycleRunActivities({ db, now }: { db: Db; now: () => Date }) {
  /** A run asked to go again: back in progress, its unfinished tasks queued, the ask in the trail. */
  async function prepareRetry(input: RunInput): Promise<void> {
    await db.transaction(async (tx) => {
      const tasks = await findTaskRuns(tx, input.runId);
      for (const task of tasks.filter((t) => !doneStatuses.includes(t.status) || t.error === skippedAfterFailure)) {
        await updateTaskRun(tx, input.runId, task.position, { status: 'queued', error: null, waitingFor: null, waitingSince: null });
      }
      await updateRun(tx, input.runId, { status: 'in_progress', error: null, completedAt: null });
      await appendAuditEvents(tx, [
        {
          employeeId: input.employeeId,
          kind: 'lifecycle.run.retried',
          actor: input.requestedBy,
          system: 'lifecycle',
          summary: `run ${input.runId} runs again for the tasks that did not complete`,
          details: { runId: input.runId },
          workflowId: input.runId,
        },
      ]);
    });
  }

  return {
    /** Due runs for a person (time, attribute-change and group-change triggers) and the next instant to look again. */
    async planLifecycleRuns(input: PlanInput): Promise<PlanResult> {
      const definitions = await listDefinitions(db, { enabledOnly: true });
      if (definitions.length === 0) return { due: [] };
      const identity = await findIdentity(db, input.employeeId);
      if (!identity) return { due: [] };
      const person = identityFacts(identity, input.withdrawn);
      const started = new Set(input.started);
      const plan = planTimeTriggeredRuns(definitions, person, now().getTime(), started);
      const due: DueRun[] = plan.due.map((run) => ({ definitionId: run.definitionId, key: run.key, trigger: run.trigger, scheduledFor: run.at, suffix: compact(run.at) }));
      const at = now().getTime();
      if (input.changes) {
        for (const definition of matchAttributeChange(definitions, person, input.changes.list)) {
          const key = runKey(definition.id, 'attribute-change', input.changes.key);
          if (!started.has(key)) due.push({ definitionId: definition.id, key, trigger: `change of ${input.changes.list.map((c) => c.attribute).join(', ')}`, scheduledFor: at, suffix: `change-${input.changes.key}` });
        }
      }
      if (input.groupChange) {
        for (const definition of matchGroupChange(definitions, person, input.groupChange)) {
          const key = runKey(definition.id, `group-${input.groupChange.change}`, input.groupChange.key);
          if (!started.has(key)) due.push({ definitionId: definition.id, key, trigger: `${input.groupChange.change} ${input.groupChange.change === 'added' ? 'to' : 'from'} ${input.groupChange.group}`, scheduledFor: at, suffix: `group-${input.groupChange.key}` });
        }
      }
      return { due, nextAt: plan.upcoming[0]?.at };
    },

    /** Records the run with the definition's current version and answers the tasks to carry out. */
    async beginLifecycleRun(input: RunInput): Promise<BeginResult> {
      const definition = await findDefinition(db, input.definitionId);
      const existing = await findRun(db, input.runId);
      if (!definition || (!definition.enabled && !existing)) {
        const reason = definition ? `${input.definitionId} is disabled` : `no lifecycle workflow ${input.definitionId}`;
        if (definition) {
          await insertRun(db, { id: input.runId, workflowId: input.definitionId, employeeId: input.employeeId, category: definition.category, trigger: input.trigger, triggerKey: input.triggerKey, scheduledFor: new Date(input.scheduledFor), requestedBy: input.requestedBy, status: 'cancelled', error: reason, completedAt: now() });
        }
        return { kind: 'skipped', reason };
      }
      // A retried start keeps the version it began with; an edit applies only to runs not yet started.
      const version = existing?.version ?? definition.version;
      if (input.retry && existing) await prepareRetry(input);
      const used = version === definition.version ? definition : await findDefinition(db, input.definitionId, version);
      if (!used) throw ApplicationFailure.create({ type: 'DefinitionMissing', message: `${input.definitionId} v${version} is gone`, nonRetryable: true });
      await db.transaction(async (tx) => {
        await insertRun(tx, {
          id: input.runId,
          workflowId: input.definitionId,
          version,
          employeeId: input.employeeId,
          category: used.category,
          trigger: input.trigger,
          triggerKey: input.triggerKey,
          scheduledFor: new Date(input.scheduledFor),
          requestedBy: input.requestedBy,
          status: 'in_progress',
          input: { ...input, retry: undefined },
          startedAt: now(),
        });
        await insertTaskRuns(
          tx,
          used.tasks.map((task, position) => ({ runId: input.runId, position, taskId: task.id, taskType: task.type, taskName: task.name, status: 'queued' as const })),
        );
        await appendAuditEvents(tx, [
          {
            employeeId: input.employeeId,
            kind: 'lifecycle.run.started',
            actor: input.requestedBy,
            system: 'lifecycle',
            summary: `${used.name} (v${version}) started: ${input.trigger}`,
            details: { runId: input.runId, definitionId: input.definitionId, version },
            workflowId: input.runId,
            idempotencyKey: `${input.runId}:started`,
          },
        ]);
      });
      const tasks = await findTaskRuns(db, input.runId);
      // A run resumed after a crash does not repeat what it finished; one run again repeats only what did not complete.
      const finished: TaskStatus[] = input.retry ? doneStatuses : ['completed', 'failed', 'skipped', 'cancelled'];
      const completed = tasks.filter((t) => finished.includes(t.status)).map((t) => t.position);
      return { kind: 'run', version, category: used.category, tasks: used.tasks, completed };
    },

    async recordTaskStatus(input: { runId: string; position: number; status: TaskStatus; error?: string; waitingFor?: string; output?: Record<string, unknown>; attempts?: number }): Promise<void> {
      const at = now();
      await updateTaskRun(db, input.runId, input.position, {
        status: input.status,
        error: input.error ?? null,
        // What it waits for shows while it waits; since when is the first time it did.
        waitingFor: input.status === 'waiting' ? (input.waitingFor ?? null) : null,
        ...(input.status === 'waiting' ? {} : { waitingSince: null }),
        ...(input.output ? { output: input.output } : {}),
        ...(input.attempts ? { attempts: input.attempts } : {}),
        ...(input.status === 'in_progress' ? { startedAt: at } : ['completed', 'failed', 'skipped', 'cancelled'].includes(input.status) ? { completedAt: at } : {}),
      });
    },

    /** Positions of the run's tasks that did not complete (or get skipped). */
    async unfinishedTasks(input: { runId: string }): Promise<number[]> {
      const tasks = await findTaskRuns(db, input.runId);
      return tasks.filter((t) => !doneStatuses.includes(t.status)).map((t) => t.position);
    },

    /** `execution` tells apart the runs of one run id that went again. */
    async finishLifecycleRun(input: { runId: string; employeeId: string; status: RunStatus; error?: string; execution?: string }): Promise<void> {
      await db.transaction(async (tx) => {
        await updateRun(tx, input.runId, { status: input.status, error: input.error ?? null, completedAt: now() });
        await appendAuditEvents(tx, [
          {
            employeeId: input.employeeId,
            kind: `lifecycle.run.${input.status}`,
            actor: 'tenure',
            system: 'lifecycle',
            summary: `run ${input.runId} ${input.status.replace(/_/g, ' ')}${input.error ? `: ${input.error}` : ''}`,
            details: { runId: input.runId },
            workflowId: input.runId,
            idempotencyKey: `${input.runId}:${input.execution ?? ''}:finished`,
          },
        ]);
      });
    },
  };
}
