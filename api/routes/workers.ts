import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { hasInboxRows, hasUndeliveredBefore, insertInboxRows, type InboxRow, type NewInboxRow } from '../../db/queries/hr-inbox';
import { findCaseVariants, findIdentity } from '../../db/queries/identities';
import { asOfProblem, employeeIdSchema, hrEmployeeIdSchema, instantSchema, resolveParsedRecord, resolveWorkerRecord, workerRecordSchema, type Resolution } from '../../domain/worker-record';
import { identityWorkflowId } from '../../workflows/messages';
import { validationHook, type AppDeps } from '../app';
import { requireScope, type AppEnv } from '../auth';
import { ApiError, errorResponses, errorSchema, notFoundResponse, validationFailed } from '../errors';
import { deliverRows } from '../hr-delivery';

// The HR contract: store first, then tell the person's workflow. Once the inbox row is
// committed the answer is 202 whatever happens next: if Temporal (or PostgreSQL) is away the
// relay delivers later.

const maxBatch = 1000;
/** An insert must begin this long before the request's deadline, so it has committed by then. */
const insertMarginMs = 500;
const singleBodyLimit = 64 * 1024;

const employeeIdParam = z.object({
  employeeId: hrEmployeeIdSchema.meta({ param: { name: 'employeeId', in: 'path' }, example: 'E1001' }),
});

const acceptedSchema = z
  .object({ employeeId: z.string(), workflowId: z.string(), inboxId: z.number().int() })
  .meta({ id: 'Accepted' });

const workerRecordDoc = workerRecordSchema.meta({ id: 'WorkerRecord', 
  example: {
    asOf: '2026-11-20T10:00:00Z',
    givenName: 'Zoë',
    familyName: 'Ångström-Øster',
    employeeType: 'employee',
    department: 'Engineering',
    jobTitle: 'Site Reliability Engineer',
    managerEmployeeId: 'E1000',
    timeZone: 'Europe/Oslo',
    hireDate: '2026-12-01',
  },
});

const putWorker = createRoute({
  method: 'put',
  path: '/v1/workers/{employeeId}',
  tags: ['HR'],
  summary: "Send a worker's current record",
  description:
    'The full current record; dates are calendar days in the worker\'s time zone or exact RFC 3339 instants. A record older than the last applied one is recorded and ignored; replaying one is harmless.',
  security: [{ bearerAuth: [] }],
  middleware: [requireScope('hr:write'), bodyLimit({ maxSize: singleBodyLimit, onError: tooLarge })] as const,
  request: {
    params: employeeIdParam,
    body: { required: true, content: { 'application/json': { schema: workerRecordDoc } } },
  },
  responses: {
    202: { description: 'Stored and handed to the lifecycle', content: { 'application/json': { schema: acceptedSchema } } },
    ...errorResponses,
    413: { description: 'Body too large', content: { 'application/json': { schema: errorSchema } } },
  },
});

// Items are checked one by one in the handler, so one bad record cannot fail the request.
const batchItemSchema = z.unknown().meta({
  description: 'A WorkerRecord with its employeeId added, e.g. {"employeeId": "E1001", "asOf": …}',
});

const batchResultSchema = z
  .object({
    accepted: z.number().int(),
    rejected: z.number().int(),
    results: z.array(
      z.object({
        index: z.number().int(),
        employeeId: z.string().optional(),
        status: z.enum(['accepted', 'rejected']),
        workflowId: z.string().optional(),
        errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
      }),
    ),
  })
  .meta({ id: 'BatchResult' });

const postBatch = createRoute({
  method: 'post',
  path: '/v1/workers/batch',
  tags: ['HR'],
  summary: 'Send up to 1,000 worker records',
  description: 'Each record is judged on its own: one bad record never rejects the others.',
  security: [{ bearerAuth: [] }],
  middleware: [requireScope('hr:write')] as const,
  request: {
    body: {
      required: true,
      content: { 'application/json': { schema: z.strictObject({ records: z.array(batchItemSchema).min(1).max(maxBatch) }) } },
    },
  },
  responses: {
    202: { description: 'Per-record outcome', content: { 'application/json': { schema: batchResultSchema } } },
    ...errorResponses,
    413: { description: 'Body too large', content: { 'application/json': { schema: errorSchema } } },
  },
});

const deleteWorker = createRoute({
  method: 'delete',
  path: '/v1/workers/{employeeId}',
  tags: ['HR'],
  summary: 'Withdraw a worker record (offer rescinded, no-show)',
  description: 'Before the hire instant the hire is cancelled and pre-provisioned accounts are removed; after it, the worker leaves now.',
  security: [{ bearerAuth: [] }],
  middleware: [requireScope('hr:write')] as const,
  request: {
    params: employeeIdParam,
    query: z.object({
      asOf: instantSchema.optional().meta({ description: 'HR version time of the withdrawal (RFC 3339, not more than a day ahead); defaults to now' }),
    }),
  },
  responses: {
    202: { description: 'Stored and handed to the lifecycle', content: { 'application/json': { schema: acceptedSchema } } },
    ...errorResponses,
    404: notFoundResponse,
  },
});

function tooLarge(): never {
  throw new ApiError(413, 'payload_too_large', 'the request body is too large');
}

const caseConflict = (employeeId: string, existing: string) => ({
  path: 'employeeId',
  message: `worker ${existing} already exists; ids that differ only in letter case would share one directory entry`,
});

export function workerRoutes(deps: AppDeps) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  const delivery = { client: deps.temporal.client, taskQueue: deps.temporal.taskQueue, timeoutMs: deps.deliveryTimeoutMs };
  const policy = deps.config.lifecyclePolicy;

  /**
   * Past the insert, the record is stored and the answer is 202: delivery gets a bounded time
   * (it may go on after the answer), and whatever fails is the relay's to put right.
   */
  async function afterCommit(c: Context<AppEnv>, deliver: () => Promise<unknown>): Promise<void> {
    const deadline = c.get('deadline');
    deadline?.lift();
    let timer: NodeJS.Timeout | undefined;
    const delivered = deliver().catch((error: unknown) => deps.log.warn({ err: error }, 'delivery after the insert failed; the relay delivers later'));
    // The answer keeps to the request's bound: what is not delivered by then is the relay's.
    const wait = Math.max(0, Math.min(deps.deliveryTimeoutMs, (deadline?.at ?? Infinity) - Date.now()));
    await Promise.race([delivered, new Promise((resolve) => (timer = setTimeout(resolve, wait)))]);
    clearTimeout(timer);
  }

  /**
   * A record reaches the database in time or not at all: one it gets after the request was
   * answered 503 (it waited for a database that was away) must not be stored behind the answer.
   */
  const storeBy = (c: Context<AppEnv>) => {
    const at = c.get('deadline')?.at;
    return at === undefined ? {} : { notAfter: new Date(at - insertMarginMs) };
  };

  /** Hands one stored row to Temporal now, unless an older row of the same person is still queued for the relay. */
  async function deliverNow(row: InboxRow) {
    if (await hasUndeliveredBefore(deps.db, row.employeeId, row.id)) return;
    if ((await deliverRows(deps.db, delivery, [row])) === 0) deps.log.warn({ inboxId: row.id }, 'inbox row left to the relay');
  }

  app.openapi(putWorker, async (c) => {
    const { employeeId } = c.req.valid('param');
    const resolved = resolveParsedRecord(employeeId, c.req.valid('json'), deps.config.datePolicy, '', deps.now().getTime());
    if (!resolved.ok) throw validationFailed(resolved.errors);
    const variant = (await findCaseVariants(deps.db, [employeeId])).get(employeeId);
    if (variant) throw new ApiError(409, 'id_conflict', caseConflict(employeeId, variant).message, [caseConflict(employeeId, variant)]);
    const body: unknown = await c.req.json();
    const [row] = await insertInboxRows(deps.db, [
      { employeeId, kind: 'upsert', asOf: new Date(resolved.record.asOf), payload: body, record: resolved.record, policy, actor: c.get('apiKey').name },
    ], storeBy(c));
    await afterCommit(c, () => deliverNow(row!));
    return c.json({ employeeId, workflowId: identityWorkflowId(employeeId), inboxId: row!.id }, 202);
  });

  app.openapi(postBatch, async (c) => {
    const { records } = c.req.valid('json');
    const actor = c.get('apiKey').name;
    const now = deps.now().getTime();
    // Every record is validated before anything is looked up, so no raw id ever reaches a query.
    const checked = records.map((item, index): { body?: Record<string, unknown>; rawId?: string; resolution: Resolution } => {
      if (typeof item !== 'object' || item === null || Array.isArray(item)) {
        return { resolution: { ok: false, errors: [{ path: `records.${index}`, message: 'expected a worker record object' }] } };
      }
      const { employeeId: rawId, ...body } = item as Record<string, unknown>;
      return { body, rawId: typeof rawId === 'string' ? rawId : undefined, resolution: resolveWorkerRecord(rawId, body, deps.config.datePolicy, `records.${index}`, now) };
    });
    const variants = await findCaseVariants(deps.db, checked.flatMap(({ resolution }) => (resolution.ok ? [resolution.record.employeeId] : [])));
    const results: z.infer<typeof batchResultSchema>['results'] = [];
    const rows: NewInboxRow[] = [];
    const seen = new Set<string>();
    checked.forEach(({ body, rawId, resolution }, index) => {
      if (!resolution.ok) {
        // An id is echoed only when it is a valid one: a rejected raw value stays in the error.
        const employeeId = rawId !== undefined && employeeIdSchema.safeParse(rawId).success ? rawId : undefined;
        results[index] = { index, ...(employeeId ? { employeeId } : {}), status: 'rejected', errors: resolution.errors };
        return;
      }
      const id = resolution.record.employeeId;
      const variant = variants.get(id) ?? [...seen].find((other) => other !== id && other.toLowerCase() === id.toLowerCase());
      if (variant) {
        const conflict = caseConflict(id, variant);
        results[index] = { index, employeeId: id, status: 'rejected', errors: [{ path: `records.${index}.employeeId`, message: conflict.message }] };
        return;
      }
      seen.add(id);
      results[index] = { index, employeeId: id, status: 'accepted', workflowId: identityWorkflowId(id) };
      rows.push({ employeeId: id, kind: 'upsert', asOf: new Date(resolution.record.asOf), payload: body, record: resolution.record, policy, actor });
    });
    const stored = await insertInboxRows(deps.db, rows, storeBy(c));
    await afterCommit(c, () => deliverRows(deps.db, delivery, stored));
    const accepted = stored.length;
    return c.json({ accepted, rejected: records.length - accepted, results }, 202);
  });

  app.openapi(deleteWorker, async (c) => {
    const { employeeId } = c.req.valid('param');
    const { asOf } = c.req.valid('query');
    const now = deps.now().getTime();
    // The same rule as PUT: a stamp far ahead would make every later record stale.
    const ahead = asOf === undefined ? undefined : asOfProblem(Date.parse(asOf), now);
    if (ahead) throw validationFailed([{ path: 'asOf', message: ahead }]);
    const identity = await findIdentity(deps.db, employeeId);
    if (!identity && !(await hasInboxRows(deps.db, employeeId))) {
      throw new ApiError(404, 'not_found', `no worker ${employeeId}`);
    }
    // Without an asOf the withdrawal is HR's latest word: after now, and after the record it withdraws.
    const stamp = asOf ? new Date(asOf) : new Date(Math.max(now, (identity?.recordAsOf.getTime() ?? 0) + 1));
    const [row] = await insertInboxRows(deps.db, [
      { employeeId, kind: 'withdraw', asOf: stamp, payload: null, policy, actor: c.get('apiKey').name },
    ], storeBy(c));
    await afterCommit(c, () => deliverNow(row!));
    return c.json({ employeeId, workflowId: identityWorkflowId(employeeId), inboxId: row!.id }, 202);
  });

  return app;
}
