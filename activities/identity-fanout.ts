import { activityInfo, cancellationSignal, heartbeat, sleep } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import type { SignalDefinition } from '@temporalio/common';
import { and, asc, count, gt, inArray } from 'drizzle-orm';
import type { Db } from '../db/client';
import { finishRollout, findRollout, recordRolloutProgress, startRollout } from '../db/queries/access-rollouts';
import { identities } from '../db/schema';
import type { LifecycleState } from '../domain/lifecycle';
import { accessChangedSignal, identityWorkflowId, lifecycleDefinitionsChangedSignal, reconcileSignal } from '../workflows/messages';

// Signals every person's workflow, page by page: after a lifecycle definition changed, for the
// periodic drift sweep, and to roll a changed access package out to everyone already known.

const pageSize = 500;
const concurrency = 16;

/** People whose accounts exist or are owed: the sweep leaves the deleted and cancelled alone. */
const reconcilableStates: LifecycleState[] = ['prehire', 'active', 'terminated'];

/** How far a pass got: the last employee id done, in id order. Also its heartbeat, so a retry resumes there. */
export interface FanOutProgress {
  after: string;
  done: number;
  signalled: number;
}

interface FanOutOptions {
  states?: LifecycleState[];
  /** At most this many people per second, so the pass leaves room for live changes; unbounded when absent. */
  perSecond?: number;
  /** Told after each batch; answering false stops the pass. */
  onProgress?: (progress: FanOutProgress) => Promise<boolean>;
}

/** Where an earlier attempt stopped; the first versions heartbeat the bare last id. */
function resumePoint(details: unknown): FanOutProgress {
  if (typeof details === 'string') return { after: details, done: 0, signalled: 0 };
  const d: Record<string, unknown> = typeof details === 'object' && details !== null ? { ...details } : {};
  const count = (value: unknown) => (typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : 0);
  return { after: typeof d.after === 'string' ? d.after : '', done: count(d.done), signalled: count(d.signalled) };
}

export function createFanOutActivities({ db, temporal }: { db: Db; temporal: Client }) {
  async function signalOne(signal: SignalDefinition<[]>, employeeId: string): Promise<boolean> {
    try {
      await temporal.workflow.getHandle(identityWorkflowId(employeeId)).signal(signal);
      return true;
    } catch (error) {
      // A person whose workflow is gone has nothing to do.
      if ((error as Error).name !== 'WorkflowNotFoundError') throw error;
      return false;
    }
  }

  /** Pages through identities in id order, in batches at the given pace; a retry resumes after the last batch it finished. */
  async function signalEach(signal: SignalDefinition<[]>, options: FanOutOptions = {}): Promise<FanOutProgress> {
    const progress = resumePoint(activityInfo().heartbeatDetails);
    const batchSize = options.perSecond ? Math.max(1, Math.min(concurrency, Math.floor(options.perSecond / 2))) : concurrency;
    const startedAt = performance.now();
    let paced = 0;
    for (;;) {
      const page = await db
        .select({ employeeId: identities.employeeId })
        .from(identities)
        .where(and(gt(identities.employeeId, progress.after), options.states ? inArray(identities.state, options.states) : undefined))
        .orderBy(asc(identities.employeeId))
        .limit(pageSize);
      if (page.length === 0) return progress;
      for (let i = 0; i < page.length; i += batchSize) {
        if (cancellationSignal().aborted) throw cancellationSignal().reason;
        const batch = page.slice(i, i + batchSize).map((row) => row.employeeId);
        if (options.perSecond) {
          const wait = startedAt + (paced / options.perSecond) * 1000 - performance.now();
          if (wait > 0) await sleep(wait);
          paced += batch.length;
        }
        const delivered = await Promise.all(batch.map((id) => signalOne(signal, id)));
        progress.after = batch[batch.length - 1]!;
        progress.done += batch.length;
        progress.signalled += delivered.filter(Boolean).length;
        heartbeat({ ...progress });
        if (options.onProgress && !(await options.onProgress(progress))) return progress;
      }
    }
  }

  return {
    notifyIdentitiesOfDefinitionChange: async () => (await signalEach(lifecycleDefinitionsChangedSignal)).signalled,
    /** Asks everyone with accounts to compare them with their desired state; answers how many were asked. */
    askIdentitiesToReconcile: async () => (await signalEach(reconcileSignal, { states: reconcilableStates })).signalled,

    /**
     * Asks everyone already known to plan their access again after a package change, at the
     * rollout's pace, keeping its progress row current; a newer change of the same package
     * supersedes it and it stops.
     */
    async rollOutAccessChange(input: { rolloutId: number }): Promise<{ done: number; signalled: number; superseded: boolean }> {
      const rollout = await findRollout(db, input.rolloutId);
      if (!rollout || rollout.status === 'completed' || rollout.status === 'superseded') return { done: rollout?.done ?? 0, signalled: rollout?.signalled ?? 0, superseded: rollout?.status === 'superseded' };
      const [{ people } = { people: 0 }] = await db.select({ people: count() }).from(identities);
      if (!(await startRollout(db, rollout.id, people))) return { done: 0, signalled: 0, superseded: true };
      let writtenAt = 0;
      let superseded = false;
      const result = await signalEach(accessChangedSignal, {
        perSecond: rollout.perSecond,
        onProgress: async (progress) => {
          // Progress is for people to read: once a second is often enough.
          if (performance.now() - writtenAt < 1000) return true;
          writtenAt = performance.now();
          superseded = !(await recordRolloutProgress(db, rollout.id, progress));
          return !superseded;
        },
      });
      if (!superseded) await finishRollout(db, rollout.id, result);
      return { done: result.done, signalled: result.signalled, superseded };
    },
  };
}
