import { and, asc, desc, eq, gte, lt, sql, type SQL } from 'drizzle-orm';
import type { DbOrTx } from '../client';
import type { RunStatus, TaskStatus } from '../../domain/lifecycle-workflows';
import { identities, lifecycleRuns, lifecycleTaskRuns } from '../schema';

export type RunRow = typeof lifecycleRuns.$inferSelect;
export type TaskRunRow = typeof lifecycleTaskRuns.$inferSelect;
export type NewRun = typeof lifecycleRuns.$inferInsert;

/** Records a run; a second call for the same person and trigger answers the first run. */
export async function insertRun(db: DbOrTx, run: NewRun): Promise<RunRow> {
  const [inserted] = await db.insert(lifecycleRuns).values(run).onConflictDoNothing().returning();
  if (inserted) return inserted;
  const [existing] = await db
    .select()
    .from(lifecycleRuns)
    .where(and(eq(lifecycleRuns.employeeId, run.employeeId), eq(lifecycleRuns.triggerKey, run.triggerKey)));
  return existing!;
}

export async function findRun(db: DbOrTx, id: string): Promise<RunRow | undefined> {
  const [row] = await db.select().from(lifecycleRuns).where(eq(lifecycleRuns.id, id));
  return row;
}

export async function updateRun(db: DbOrTx, id: string, patch: Partial<Pick<RunRow, 'status' | 'version' | 'error' | 'startedAt' | 'completedAt'>>): Promise<void> {
  await db.update(lifecycleRuns).set(patch).where(eq(lifecycleRuns.id, id));
}

export async function insertTaskRuns(db: DbOrTx, rows: (typeof lifecycleTaskRuns.$inferInsert)[]): Promise<void> {
  if (rows.length === 0) return;
  await db.insert(lifecycleTaskRuns).values(rows).onConflictDoNothing();
}

export async function updateTaskRun(
  db: DbOrTx,
  runId: string,
  position: number,
  patch: { status: TaskStatus; error?: string | null; waitingFor?: string | null; waitingSince?: Date | null; output?: Record<string, unknown>; attempts?: number; startedAt?: Date; completedAt?: Date },
): Promise<void> {
  await db
    .update(lifecycleTaskRuns)
    // The first wait sets `waitingSince`; later ones keep it.
    .set(patch.status === 'waiting' && patch.waitingSince === undefined ? { ...patch, waitingSince: sql`coalesce(${lifecycleTaskRuns.waitingSince}, now())` } : patch)
    .where(and(eq(lifecycleTaskRuns.runId, runId), eq(lifecycleTaskRuns.position, position)));
}

/** Keeps what a task did the moment it did it (a mail accepted by the server), before the workflow hears of it. */
export async function recordTaskOutput(db: DbOrTx, runId: string, taskId: string, output: Record<string, unknown>): Promise<void> {
  await db.update(lifecycleTaskRuns).set({ output }).where(and(eq(lifecycleTaskRuns.runId, runId), eq(lifecycleTaskRuns.taskId, taskId)));
}

export async function findTaskRun(db: DbOrTx, runId: string, taskId: string): Promise<TaskRunRow | undefined> {
  const [row] = await db.select().from(lifecycleTaskRuns).where(and(eq(lifecycleTaskRuns.runId, runId), eq(lifecycleTaskRuns.taskId, taskId)));
  return row;
}

export async function findTaskRuns(db: DbOrTx, runId: string): Promise<TaskRunRow[]> {
  return db.select().from(lifecycleTaskRuns).where(eq(lifecycleTaskRuns.runId, runId)).orderBy(asc(lifecycleTaskRuns.position));
}

export interface RunFilter {
  employeeId?: string;
  workflowId?: string;
  status?: RunStatus;
  from?: Date;
  to?: Date;
}

function runConditions(filter: RunFilter): (SQL | undefined)[] {
  return [
    filter.employeeId ? eq(lifecycleRuns.employeeId, filter.employeeId) : undefined,
    filter.workflowId ? eq(lifecycleRuns.workflowId, filter.workflowId) : undefined,
    filter.status ? eq(lifecycleRuns.status, filter.status) : undefined,
    filter.from ? gte(lifecycleRuns.scheduledFor, filter.from) : undefined,
    filter.to ? lt(lifecycleRuns.scheduledFor, filter.to) : undefined,
  ];
}

/** Runs, newest first; `before` is the (scheduledFor, id) of the last row of the previous page. */
export async function listRuns(db: DbOrTx, filter: RunFilter & { before?: { at: Date; id: string }; limit: number }): Promise<RunRow[]> {
  const page = filter.before ? sql`(${lifecycleRuns.scheduledFor}, ${lifecycleRuns.id}) < (${filter.before.at.toISOString()}::timestamptz, ${filter.before.id})` : undefined;
  return db
    .select()
    .from(lifecycleRuns)
    .where(and(...runConditions(filter), page))
    .orderBy(desc(lifecycleRuns.scheduledFor), desc(lifecycleRuns.id))
    .limit(filter.limit);
}

export type TaskViewRow = TaskRunRow & { employeeId: string; workflowId: string; version: number | null; runStatus: RunStatus; scheduledFor: Date };

/** Task runs with their run, newest runs first. */
export async function listTaskRuns(
  db: DbOrTx,
  filter: RunFilter & { taskType?: string; taskStatus?: TaskStatus; before?: { at: Date; id: string }; limit: number },
): Promise<TaskViewRow[]> {
  const page = filter.before ? sql`(${lifecycleRuns.scheduledFor}, ${lifecycleRuns.id}) < (${filter.before.at.toISOString()}::timestamptz, ${filter.before.id})` : undefined;
  const rows = await db
    .select({ task: lifecycleTaskRuns, run: lifecycleRuns })
    .from(lifecycleTaskRuns)
    .innerJoin(lifecycleRuns, eq(lifecycleRuns.id, lifecycleTaskRuns.runId))
    .where(
      and(
        ...runConditions(filter),
        filter.taskType ? eq(lifecycleTaskRuns.taskType, filter.taskType) : undefined,
        filter.taskStatus ? eq(lifecycleTaskRuns.status, filter.taskStatus) : undefined,
        page,
      ),
    )
    .orderBy(desc(lifecycleRuns.scheduledFor), desc(lifecycleRuns.id), asc(lifecycleTaskRuns.position))
    .limit(filter.limit);
  return rows.map(({ task, run }) => ({ ...task, employeeId: run.employeeId, workflowId: run.workflowId, version: run.version, runStatus: run.status, scheduledFor: run.scheduledFor }));
}

export interface PersonRunSummary {
  employeeId: string;
  displayName: string | null;
  runs: number;
  completed: number;
  completedWithErrors: number;
  failed: number;
  inProgress: number;
  lastRunAt: Date | null;
}

/** One line per person: how their runs went. */
export async function summariseRunsByPerson(db: DbOrTx, filter: RunFilter & { limit: number; afterEmployeeId?: string }): Promise<PersonRunSummary[]> {
  const count = (status: RunStatus[]) => sql<number>`count(*) filter (where ${lifecycleRuns.status} in ${status})::int`;
  return db
    .select({
      employeeId: lifecycleRuns.employeeId,
      displayName: sql<string | null>`max(${identities.displayName})`,
      runs: sql<number>`count(*)::int`,
      completed: count(['completed']),
      completedWithErrors: count(['completed_with_errors']),
      failed: count(['failed']),
      inProgress: count(['queued', 'in_progress']),
      lastRunAt: sql<Date | null>`max(${lifecycleRuns.scheduledFor})`.mapWith((v: string | null) => (v ? new Date(v) : null)),
    })
    .from(lifecycleRuns)
    .leftJoin(identities, eq(identities.employeeId, lifecycleRuns.employeeId))
    .where(and(...runConditions(filter), filter.afterEmployeeId ? sql`${lifecycleRuns.employeeId} > ${filter.afterEmployeeId}` : undefined))
    .groupBy(lifecycleRuns.employeeId)
    .orderBy(asc(lifecycleRuns.employeeId))
    .limit(filter.limit);
}
