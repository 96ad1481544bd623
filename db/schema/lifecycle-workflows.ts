import { sql } from 'drizzle-orm';
import { boolean, check, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import type { LifecycleDefinition, RunStatus, TaskStatus } from '../../domain/lifecycle-workflows';
import type { RunInput } from '../../domain/lifecycle-runs';

/** A lifecycle workflow definition; its content lives in versions, the switch here. */
export const lifecycleWorkflows = pgTable(
  'lifecycle_workflows',
  {
    id: text().primaryKey(),
    name: text().notNull(),
    category: text().notNull(),
    enabled: boolean().notNull(),
    currentVersion: integer().notNull(),
    /** Where it came from: "api" or the YAML file that defines it. */
    source: text().notNull(),
    createdAt: timestamp({ withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    updatedAt: timestamp({ withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [check('lifecycle_workflows_category_check', sql`${t.category} in ('joiner', 'mover', 'leaver')`)],
);

/** Every saved content of a definition; runs name the version they used. */
export const lifecycleWorkflowVersions = pgTable(
  'lifecycle_workflow_versions',
  {
    workflowId: text()
      .notNull()
      .references(() => lifecycleWorkflows.id),
    version: integer().notNull(),
    definition: jsonb().$type<LifecycleDefinition>().notNull(),
    createdBy: text().notNull(),
    createdAt: timestamp({ withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.workflowId, t.version] })],
);


/** One run of a definition for one person; the id is the Temporal workflow id. */
export const lifecycleRuns = pgTable(
  'lifecycle_runs',
  {
    id: text().primaryKey(),
    workflowId: text()
      .notNull()
      .references(() => lifecycleWorkflows.id),
    version: integer(),
    employeeId: text().notNull(),
    category: text().notNull(),
    /** What fired it, e.g. "hireDate -P7D", "attribute-change", "on-demand". */
    trigger: text().notNull(),
    triggerKey: text().notNull(),
    scheduledFor: timestamp({ withTimezone: true, mode: 'date' }).notNull(),
    requestedBy: text().notNull(),
    status: text().$type<RunStatus>().notNull(),
    error: text(),
    /** What the run was started with, so it can be run again for the tasks that did not complete. */
    input: jsonb().$type<RunInput>(),
    createdAt: timestamp({ withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    startedAt: timestamp({ withTimezone: true, mode: 'date' }),
    completedAt: timestamp({ withTimezone: true, mode: 'date' }),
  },
  (t) => [
    uniqueIndex('lifecycle_runs_one_per_trigger').on(t.employeeId, t.triggerKey),
    index().on(t.employeeId, t.createdAt),
    index().on(t.workflowId, t.createdAt),
    index().on(t.status),
    index().on(t.createdAt),
    check('lifecycle_runs_status_check', sql`${t.status} in ('queued', 'in_progress', 'completed', 'completed_with_errors', 'failed', 'cancelled')`),
  ],
);

export const lifecycleTaskRuns = pgTable(
  'lifecycle_task_runs',
  {
    runId: text()
      .notNull()
      .references(() => lifecycleRuns.id),
    position: integer().notNull(),
    taskId: text().notNull(),
    taskType: text().notNull(),
    taskName: text().notNull(),
    status: text().$type<TaskStatus>().notNull(),
    attempts: integer().notNull().default(0),
    error: text(),
    /** While the task waits for something time can bring (an account, an address): what, and since when. */
    waitingFor: text(),
    waitingSince: timestamp({ withTimezone: true, mode: 'date' }),
    /** What the task did (message ids, groups); never a secret. */
    output: jsonb().$type<Record<string, unknown>>(),
    startedAt: timestamp({ withTimezone: true, mode: 'date' }),
    completedAt: timestamp({ withTimezone: true, mode: 'date' }),
  },
  (t) => [
    primaryKey({ columns: [t.runId, t.position] }),
    uniqueIndex('lifecycle_task_runs_task_id').on(t.runId, t.taskId),
    index().on(t.taskType, t.status),
    check('lifecycle_task_runs_status_check', sql`${t.status} in ('queued', 'in_progress', 'waiting', 'completed', 'failed', 'skipped', 'cancelled')`),
  ],
);

/** Temporary access passes: only a salted SHA-256 and the expiry are kept. */
export const temporaryAccessPasses = pgTable(
  'temporary_access_passes',
  {
    id: text().primaryKey(),
    employeeId: text().notNull(),
    salt: text().notNull(),
    hash: text().notNull(),
    oneTime: boolean().notNull(),
    expiresAt: timestamp({ withTimezone: true, mode: 'date' }).notNull(),
    usedAt: timestamp({ withTimezone: true, mode: 'date' }),
    /** Set after too many wrong guesses for the person: the pass never signs anyone in again. */
    lockedAt: timestamp({ withTimezone: true, mode: 'date' }),
    runId: text(),
    taskId: text(),
    createdAt: timestamp({ withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [index().on(t.employeeId, t.expiresAt), uniqueIndex('temporary_access_passes_per_task').on(t.runId, t.taskId)],
);

/** Group memberships Tenure manages, mirrored from the directory. */
export const groupMemberships = pgTable(
  'group_memberships',
  {
    employeeId: text().notNull(),
    system: text().notNull(),
    groupDn: text().notNull(),
    groupName: text().notNull(),
    addedAt: timestamp({ withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    addedByRun: text(),
  },
  (t) => [primaryKey({ columns: [t.employeeId, t.system, t.groupDn] })],
);
