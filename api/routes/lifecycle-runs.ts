import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { WorkflowExecutionAlreadyStartedError, WorkflowIdReusePolicy, WorkflowNotFoundError } from '@temporalio/client';
import type { Context } from 'hono';
import { appendAuditEvents } from '../../db/queries/audit';
import { findIdentity } from '../../db/queries/identities';
import { findRun, findTaskRuns, listRuns, listTaskRuns, summariseRunsByPerson, type RunRow } from '../../db/queries/lifecycle-runs';
import { definitionIdSchema, runIdSchema, runStatuses, taskStatuses, taskTypeNames, type TaskType } from '../../domain/lifecycle-workflows';
import { employeeIdSchema, instantSchema } from '../../domain/worker-record';
import { departmentSearchAttribute, employeeIdSearchAttribute, lifecycleWorkflowSearchAttribute } from '../../workflows/messages';
import { validationHook, type AppDeps } from '../app';
import { requireScope, type AppEnv } from '../auth';
import { toCsv } from '../csv';
import { ApiError, errorResponses, errorSchema } from '../errors';

// Lifecycle runs as operators look at them: by run, by task and by person, with filters and
// CSV export; and cancelling a run.

const json = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { 'application/json': { schema }, 'text/csv': { schema: z.string() } },
});
const iso = (date: Date | null) => (date ? date.toISOString() : null);

const filters = {
  employeeId: employeeIdSchema.optional(),
  workflowId: definitionIdSchema.optional().meta({ description: 'Lifecycle workflow (definition) id' }),
  status: z.enum(runStatuses).optional(),
  from: instantSchema.optional().meta({ description: 'Runs scheduled at or after (RFC 3339)' }),
  to: instantSchema.optional().meta({ description: 'Runs scheduled before (RFC 3339)' }),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  cursor: z.string().max(1000).optional(),
  format: z.enum(['json', 'csv']).default('json'),
};

const runSchema = z
  .object({
    runId: z.string(),
    workflowId: z.string(),
    version: z.number().int().nullable(),
    employeeId: z.string(),
    category: z.string(),
    trigger: z.string(),
    scheduledFor: z.string(),
    requestedBy: z.string(),
    status: z.enum(runStatuses),
    error: z.string().nullable(),
    startedAt: z.string().nullable(),
    completedAt: z.string().nullable(),
  })
  .meta({ id: 'LifecycleRun' });

const taskSchema = z
  .object({
    runId: z.string(),
    position: z.number().int(),
    taskId: z.string(),
    taskType: z.string(),
    taskName: z.string(),
    status: z.enum(taskStatuses),
    error: z.string().nullable(),
    waitingFor: z.string().nullable().meta({ description: 'While the task waits (status waiting): what for, e.g. "an account on ldap"' }),
    waitingSince: z.string().nullable(),
    output: z.record(z.string(), z.unknown()).nullable(),
    startedAt: z.string().nullable(),
    completedAt: z.string().nullable(),
  })
  .meta({ id: 'LifecycleTaskRun' });

const page = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item), nextCursor: z.string().nullable() });

function presentRun(run: RunRow) {
  return {
    runId: run.id,
    workflowId: run.workflowId,
    version: run.version,
    employeeId: run.employeeId,
    category: run.category,
    trigger: run.trigger,
    scheduledFor: run.scheduledFor.toISOString(),
    requestedBy: run.requestedBy,
    status: run.status,
    error: run.error,
    startedAt: iso(run.startedAt),
    completedAt: iso(run.completedAt),
  };
}

const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
/** A cursor is input like any other: decoded, then held to the same schemas as the values it carries. */
function decode<T>(cursor: string | undefined, schema: z.ZodType<T>): T | undefined {
  if (cursor === undefined) return undefined;
  try {
    const parsed = schema.safeParse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
    if (parsed.success) return parsed.data;
  } catch {
    // fall through
  }
  throw new ApiError(400, 'validation_failed', 'cursor is not one this API gave out', [{ path: 'cursor', message: 'invalid cursor' }]);
}
const runCursor = z.strictObject({ at: instantSchema, id: runIdSchema });
const personCursor = z.strictObject({ after: employeeIdSchema });

const read = [requireScope('identities:read')];
const security = [{ bearerAuth: [] }];
const runIdParam = z.object({ runId: runIdSchema.meta({ param: { name: 'runId', in: 'path' } }) });

const routes = {
  runs: createRoute({
    method: 'get',
    path: '/v1/lifecycle-runs',
    tags: ['Lifecycle runs'],
    summary: 'Runs, newest first (by run)',
    security,
    middleware: read,
    request: { query: z.object(filters) },
    responses: { 200: json(page(runSchema), 'A page of runs'), ...errorResponses },
  }),
  tasks: createRoute({
    method: 'get',
    path: '/v1/lifecycle-runs/tasks',
    tags: ['Lifecycle runs'],
    summary: 'Task runs with their run (by task)',
    security,
    middleware: read,
    request: { query: z.object({ ...filters, taskType: z.enum(taskTypeNames as [TaskType, ...TaskType[]]).optional(), taskStatus: z.enum(taskStatuses).optional() }) },
    responses: { 200: json(page(taskSchema.extend({ employeeId: z.string(), workflowId: z.string(), runStatus: z.enum(runStatuses), scheduledFor: z.string() })), 'A page of task runs'), ...errorResponses },
  }),
  people: createRoute({
    method: 'get',
    path: '/v1/lifecycle-runs/people',
    tags: ['Lifecycle runs'],
    summary: 'How each person’s runs went (by person)',
    security,
    middleware: read,
    request: { query: z.object(filters) },
    responses: {
      200: json(
        page(
          z.object({
            employeeId: z.string(),
            displayName: z.string().nullable(),
            runs: z.number().int(),
            completed: z.number().int(),
            completedWithErrors: z.number().int(),
            failed: z.number().int(),
            inProgress: z.number().int(),
            lastRunAt: z.string().nullable(),
          }),
        ),
        'One line per person',
      ),
      ...errorResponses,
    },
  }),
  run: createRoute({
    method: 'get',
    path: '/v1/lifecycle-runs/{runId}',
    tags: ['Lifecycle runs'],
    summary: 'A run and its tasks',
    security,
    middleware: read,
    request: { params: runIdParam },
    responses: { 200: json(runSchema.extend({ tasks: z.array(taskSchema) }), 'The run'), ...errorResponses, 404: { description: 'No such run', content: { 'application/json': { schema: errorSchema } } } },
  }),
  retry: createRoute({
    method: 'post',
    path: '/v1/lifecycle-runs/{runId}/retry',
    tags: ['Lifecycle runs'],
    summary: 'Run a failed or cancelled run again, for the tasks that did not complete (those that did are not repeated)',
    security,
    middleware: [requireScope('admin')],
    request: { params: runIdParam },
    responses: {
      202: { description: 'The run goes again', content: { 'application/json': { schema: z.object({ runId: z.string() }) } } },
      ...errorResponses,
      404: { description: 'No such run', content: { 'application/json': { schema: errorSchema } } },
      409: { description: 'The run has not ended, completed, or was recorded before runs could go again', content: { 'application/json': { schema: errorSchema } } },
    },
  }),
  cancel: createRoute({
    method: 'post',
    path: '/v1/lifecycle-runs/{runId}/cancel',
    tags: ['Lifecycle runs'],
    summary: 'Cancel a run that has not finished',
    security,
    middleware: [requireScope('admin')],
    request: { params: runIdParam },
    responses: {
      202: { description: 'Cancellation requested', content: { 'application/json': { schema: z.object({ runId: z.string() }) } } },
      ...errorResponses,
      404: { description: 'No such run', content: { 'application/json': { schema: errorSchema } } },
      409: { description: 'The run has finished', content: { 'application/json': { schema: errorSchema } } },
    },
  }),
};

function respond(c: Context<AppEnv>, format: 'json' | 'csv', items: Record<string, unknown>[], nextCursor: string | null, name: string) {
  if (format === 'json') return c.json({ items, nextCursor }, 200);
  // CSV carries the page; the cursor for the next one is in a header.
  c.header('content-disposition', `attachment; filename="${name}.csv"`);
  if (nextCursor) c.header('x-next-cursor', nextCursor);
  return c.body(toCsv(items), 200, { 'content-type': 'text/csv; charset=utf-8' });
}

export function lifecycleRunRoutes(deps: AppDeps) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  const dates = (q: { from?: string; to?: string }) => ({ from: q.from ? new Date(q.from) : undefined, to: q.to ? new Date(q.to) : undefined });

  app.openapi(routes.tasks, async (c) => {
    const q = c.req.valid('query');
    const before = decode(q.cursor, runCursor);
    const rows = await listTaskRuns(deps.db, { ...q, ...dates(q), before: before && { at: new Date(before.at), id: before.id }, limit: q.limit + 1 });
    // A page ends on a run boundary, so a run's tasks never straddle two pages.
    let items = rows.slice(0, q.limit);
    let nextCursor: string | null = null;
    if (rows.length > q.limit) {
      const lastRun = items[items.length - 1]!.runId;
      const complete = items.filter((row) => row.runId !== lastRun);
      items = complete.length > 0 ? complete : items;
      const last = items[items.length - 1]!;
      nextCursor = encode({ at: last.scheduledFor.toISOString(), id: last.runId });
    }
    const present = items.map((t) => ({
      runId: t.runId,
      position: t.position,
      taskId: t.taskId,
      taskType: t.taskType,
      taskName: t.taskName,
      status: t.status,
      error: t.error,
      waitingFor: t.waitingFor,
      waitingSince: iso(t.waitingSince),
      output: t.output,
      startedAt: iso(t.startedAt),
      completedAt: iso(t.completedAt),
      employeeId: t.employeeId,
      workflowId: t.workflowId,
      runStatus: t.runStatus,
      scheduledFor: t.scheduledFor.toISOString(),
    }));
    return respond(c, q.format, present, nextCursor, 'lifecycle-tasks') as never;
  });

  app.openapi(routes.people, async (c) => {
    const q = c.req.valid('query');
    const after = decode(q.cursor, personCursor);
    const rows = await summariseRunsByPerson(deps.db, { ...q, ...dates(q), afterEmployeeId: after?.after, limit: q.limit + 1 });
    const items = rows.slice(0, q.limit).map((r) => ({ ...r, lastRunAt: iso(r.lastRunAt) }));
    const nextCursor = rows.length > q.limit ? encode({ after: items[items.length - 1]!.employeeId }) : null;
    return respond(c, q.format, items, nextCursor, 'lifecycle-people') as never;
  });

  app.openapi(routes.runs, async (c) => {
    const q = c.req.valid('query');
    const before = decode(q.cursor, runCursor);
    const rows = await listRuns(deps.db, { ...q, ...dates(q), before: before && { at: new Date(before.at), id: before.id }, limit: q.limit + 1 });
    const items = rows.slice(0, q.limit);
    const last = items[items.length - 1];
    const nextCursor = rows.length > q.limit && last ? encode({ at: last.scheduledFor.toISOString(), id: last.id }) : null;
    return respond(c, q.format, items.map(presentRun), nextCursor, 'lifecycle-runs') as never;
  });

  app.openapi(routes.run, async (c) => {
    const { runId } = c.req.valid('param');
    const run = await findRun(deps.db, runId);
    if (!run) throw new ApiError(404, 'not_found', `no lifecycle run ${runId}`);
    const tasks = await findTaskRuns(deps.db, runId);
    return c.json(
      {
        ...presentRun(run),
        tasks: tasks.map((t) => ({ runId: t.runId, position: t.position, taskId: t.taskId, taskType: t.taskType, taskName: t.taskName, status: t.status, error: t.error, waitingFor: t.waitingFor, waitingSince: iso(t.waitingSince), output: t.output, startedAt: iso(t.startedAt), completedAt: iso(t.completedAt) })),
      },
      200,
    );
  });

  app.openapi(routes.retry, async (c) => {
    const { runId } = c.req.valid('param');
    const run = await findRun(deps.db, runId);
    if (!run) throw new ApiError(404, 'not_found', `no lifecycle run ${runId}`);
    if (!['failed', 'cancelled', 'completed_with_errors'].includes(run.status)) throw new ApiError(409, 'not_ended', `run ${runId} is ${run.status}; only a failed, cancelled or partly failed run goes again`);
    if (!run.input) throw new ApiError(409, 'no_input', `run ${runId} was recorded before runs could go again`);
    const requestedBy = c.get('apiKey').name;
    const person = await findIdentity(deps.db, run.employeeId);
    try {
      await deps.temporal.client.workflow.start('lifecycleRunWorkflow', {
        workflowId: runId,
        taskQueue: deps.temporal.taskQueue,
        args: [{ ...run.input, requestedBy, retry: true }],
        // The run's id stays: its closed execution makes way for this one.
        workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
        typedSearchAttributes: [
          { key: employeeIdSearchAttribute, value: run.employeeId },
          { key: lifecycleWorkflowSearchAttribute, value: run.workflowId },
          { key: departmentSearchAttribute, value: person?.department ?? '' },
        ],
      });
    } catch (error) {
      if (error instanceof WorkflowExecutionAlreadyStartedError) throw new ApiError(409, 'running', `run ${runId} is already going again`);
      throw error;
    }
    await appendAuditEvents(deps.db, [{ employeeId: run.employeeId, kind: 'lifecycle.run.retry-requested', actor: requestedBy, system: 'lifecycle', summary: `${requestedBy} ran ${runId} again`, details: { runId }, workflowId: runId }]);
    return c.json({ runId }, 202);
  });

  app.openapi(routes.cancel, async (c) => {
    const { runId } = c.req.valid('param');
    const run = await findRun(deps.db, runId);
    if (!run) throw new ApiError(404, 'not_found', `no lifecycle run ${runId}`);
    if (!['queued', 'in_progress'].includes(run.status)) throw new ApiError(409, 'finished', `run ${runId} is ${run.status}`);
    const { client } = deps.temporal;
    try {
      await client.withDeadline(Date.now() + deps.deliveryTimeoutMs, () => client.workflow.getHandle(runId).cancel());
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) throw new ApiError(404, 'not_found', `lifecycle run ${runId} has no workflow running in Temporal`);
      throw error;
    }
    return c.json({ runId }, 202);
  });

  return app;
}
