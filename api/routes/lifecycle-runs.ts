import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { findRun, findTaskRuns, listRuns, listTaskRuns, summariseRunsByPerson, type RunRow } from '../../db/queries/lifecycle-runs';
import { runStatuses, taskStatuses } from '../../domain/lifecycle-workflows';
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
  employeeId: z.string().optional(),
  workflowId: z.string().optional().meta({ description: 'Lifecycle workflow (definition) id' }),
  status: z.enum(runStatuses).optional(),
  from: z.iso.datetime({ offset: true }).optional().meta({ description: 'Runs scheduled at or after' }),
  to: z.iso.datetime({ offset: true }).optional().meta({ description: 'Runs scheduled before' }),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  cursor: z.string().optional(),
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
function decode<T>(cursor: string | undefined, check: (value: unknown) => value is T): T | undefined {
  if (cursor === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (check(value)) return value;
  } catch {
    // fall through
  }
  throw new ApiError(400, 'validation_failed', 'cursor is not one this API gave out', [{ path: 'cursor', message: 'invalid cursor' }]);
}
const isRunCursor = (v: unknown): v is { at: string; id: string } =>
  typeof v === 'object' && v !== null && typeof (v as { at?: unknown }).at === 'string' && !Number.isNaN(Date.parse((v as { at: string }).at)) && typeof (v as { id?: unknown }).id === 'string';
const isPersonCursor = (v: unknown): v is { after: string } => typeof v === 'object' && v !== null && typeof (v as { after?: unknown }).after === 'string';

const read = [requireScope('identities:read')];
const security = [{ bearerAuth: [] }];
const runIdParam = z.object({ runId: z.string().min(1).max(300).meta({ param: { name: 'runId', in: 'path' } }) });

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
    request: { query: z.object({ ...filters, taskType: z.string().optional(), taskStatus: z.enum(taskStatuses).optional() }) },
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
  cancel: createRoute({
    method: 'post',
    path: '/v1/lifecycle-runs/{runId}/cancel',
    tags: ['Lifecycle runs'],
    summary: 'Cancel a run that has not finished',
    security,
    middleware: [requireScope('admin')],
    request: { params: runIdParam },
    responses: { 202: { description: 'Cancellation requested', content: { 'application/json': { schema: z.object({ runId: z.string() }) } } }, ...errorResponses, 404: { description: 'No such run', content: { 'application/json': { schema: errorSchema } } } },
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
    const before = decode(q.cursor, isRunCursor);
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
    const after = decode(q.cursor, isPersonCursor);
    const rows = await summariseRunsByPerson(deps.db, { ...q, ...dates(q), afterEmployeeId: after?.after, limit: q.limit + 1 });
    const items = rows.slice(0, q.limit).map((r) => ({ ...r, lastRunAt: iso(r.lastRunAt) }));
    const nextCursor = rows.length > q.limit ? encode({ after: items[items.length - 1]!.employeeId }) : null;
    return respond(c, q.format, items, nextCursor, 'lifecycle-people') as never;
  });

  app.openapi(routes.runs, async (c) => {
    const q = c.req.valid('query');
    const before = decode(q.cursor, isRunCursor);
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
        tasks: tasks.map((t) => ({ runId: t.runId, position: t.position, taskId: t.taskId, taskType: t.taskType, taskName: t.taskName, status: t.status, error: t.error, output: t.output, startedAt: iso(t.startedAt), completedAt: iso(t.completedAt) })),
      },
      200,
    );
  });

  app.openapi(routes.cancel, async (c) => {
    const { runId } = c.req.valid('param');
    const run = await findRun(deps.db, runId);
    if (!run) throw new ApiError(404, 'not_found', `no lifecycle run ${runId}`);
    if (!['queued', 'in_progress'].includes(run.status)) throw new ApiError(409, 'finished', `run ${runId} is ${run.status}`);
    await deps.temporal.client.workflow.getHandle(runId).cancel();
    return c.json({ runId }, 202);
  });

  return app;
}
