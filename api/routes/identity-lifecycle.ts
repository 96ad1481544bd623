import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { consumePass, findLivePasses, hashPass } from '../../db/queries/access-passes';
import { appendAuditEvents } from '../../db/queries/audit';
import { findIdentity, identityFacts } from '../../db/queries/identities';
import { findDefinition, listDefinitions } from '../../db/queries/lifecycle-workflows';
import { findRun, findTaskRun, listRuns } from '../../db/queries/lifecycle-runs';
import { inScope, planTimeTriggeredRuns, triggerInstant } from '../../domain/lifecycle-runs';
import { verifySignature } from '../../domain/signature';
import { employeeIdSchema } from '../../domain/worker-record';
import { resumeTaskUpdate } from '../../workflows/messages';
import { validationHook, type AppDeps } from '../app';
import { requireScope, type AppEnv } from '../auth';
import { ApiError, errorResponses, errorSchema } from '../errors';

// What lifecycle workflows will do for a person (preview), the temporary access pass check a
// sign-in system calls, and the signed way back for custom extensions.

const employeeIdParam = z.object({ employeeId: employeeIdSchema.meta({ param: { name: 'employeeId', in: 'path' }, example: 'E1001' }) });
const notFound = { description: 'No such identity', content: { 'application/json': { schema: errorSchema } } };

const previewItem = z.object({
  workflowId: z.string(),
  name: z.string(),
  category: z.string(),
  version: z.number().int(),
  trigger: z.string(),
  status: z.enum(['scheduled', 'due', 'ran', 'missed', 'out-of-scope', 'not-applicable', 'on-change', 'on-group-change', 'on-demand']),
  at: z.string().nullable(),
  runId: z.string().nullable(),
});

const preview = createRoute({
  method: 'get',
  path: '/v1/identities/{employeeId}/lifecycle-preview',
  tags: ['Lifecycle workflows'],
  summary: 'Which lifecycle workflows apply to this person, and at which instants their runs start',
  security: [{ bearerAuth: [] }],
  middleware: [requireScope('identities:read')],
  request: { params: employeeIdParam },
  responses: { 200: { description: 'The preview', content: { 'application/json': { schema: z.object({ employeeId: z.string(), at: z.string(), items: z.array(previewItem) }).meta({ id: 'LifecyclePreview' }) } } }, ...errorResponses, 404: notFound },
});

const verifyPass = createRoute({
  method: 'post',
  path: '/v1/identities/{employeeId}/tap/verify',
  tags: ['Temporary access passes'],
  summary: 'Check a temporary access pass (a one-time pass is used up)',
  security: [{ bearerAuth: [] }],
  middleware: [requireScope('tap:verify')],
  request: { params: employeeIdParam, body: { required: true, content: { 'application/json': { schema: z.strictObject({ pass: z.string().min(1).max(100) }) } } } },
  responses: {
    200: { description: 'valid: whether the pass signs this person in', content: { 'application/json': { schema: z.object({ valid: z.boolean(), expiresAt: z.string().optional(), oneTime: z.boolean().optional() }) } } },
    ...errorResponses,
  },
});

export function identityLifecycleRoutes(deps: AppDeps) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

  app.openapi(preview, async (c) => {
    const { employeeId } = c.req.valid('param');
    const identity = await findIdentity(deps.db, employeeId);
    if (!identity) throw new ApiError(404, 'not_found', `no identity ${employeeId}`);
    const now = deps.now().getTime();
    const [definitions, runs] = await Promise.all([listDefinitions(deps.db, { enabledOnly: true }), listRuns(deps.db, { employeeId, limit: 1000 })]);
    const ran = new Map(runs.map((run) => [run.triggerKey, run.id]));
    const person = identityFacts(identity, identity.state === 'cancelled');
    // The same planner the person's workflow asks, with the runs that already happened.
    const plan = planTimeTriggeredRuns(definitions, person, now, new Set());
    const statusOf = new Map<string, { status: z.infer<typeof previewItem>['status']; at: number; key: string }>();
    for (const [status, list] of [['scheduled', plan.upcoming], ['due', plan.due], ['missed', plan.missed]] as const) {
      for (const run of list) statusOf.set(run.definitionId, { status, at: run.at, key: run.key });
    }
    const items = definitions.map((definition) => {
      const base = { workflowId: definition.id, name: definition.name, category: definition.category, version: definition.version };
      const { trigger } = definition;
      if (trigger.type !== 'time') {
        const status = trigger.type === 'attribute-change' ? ('on-change' as const) : trigger.type === 'group-change' ? ('on-group-change' as const) : ('on-demand' as const);
        return { ...base, trigger: trigger.type as string, status: inScope(definition, person.attributes) ? status : ('out-of-scope' as const), at: null, runId: null };
      }
      const describe = `${trigger.on} ${trigger.offset}${trigger.localTime ? ` at ${trigger.localTime}` : ''}`;
      const planned = statusOf.get(definition.id);
      if (!planned) {
        const at = triggerInstant(trigger, person);
        const status = at === undefined || person.withdrawn ? ('not-applicable' as const) : ('out-of-scope' as const);
        return { ...base, trigger: describe, status, at: at === undefined ? null : new Date(at).toISOString(), runId: null };
      }
      const runId = ran.get(planned.key) ?? null;
      return { ...base, trigger: describe, status: runId ? ('ran' as const) : planned.status, at: new Date(planned.at).toISOString(), runId };
    });
    return c.json({ employeeId, at: new Date(now).toISOString(), items }, 200);
  });

  app.openapi(verifyPass, async (c) => {
    const { employeeId } = c.req.valid('param');
    const { pass } = c.req.valid('json');
    const now = deps.now();
    const candidates = await findLivePasses(deps.db, employeeId, now);
    // Every live pass is compared, so the time taken says nothing about which one matched.
    const match = candidates.map((row) => ({ row, ok: hashPass(row.salt, pass) === row.hash })).find((x) => x.ok)?.row;
    const valid = match !== undefined && (!match.oneTime || (await consumePass(deps.db, match.id)));
    await appendAuditEvents(deps.db, [
      {
        employeeId,
        kind: valid ? 'access-pass.accepted' : 'access-pass.refused',
        actor: c.get('apiKey').name,
        system: 'tenure',
        summary: valid ? `temporary access pass accepted${match.oneTime ? ' and used up' : ''}` : 'a temporary access pass was refused',
        details: {},
      },
    ]);
    return c.json(valid ? { valid, expiresAt: match.expiresAt.toISOString(), oneTime: match.oneTime } : { valid: false }, 200);
  });

  return app;
}

const resumeBody = z.strictObject({ outcome: z.enum(['completed', 'failed']), message: z.string().max(2000).optional() });

/**
 * `POST /v1/lifecycle-runs/{runId}/tasks/{taskId}/resume`: a custom extension reports back.
 * Authenticated by the extension's signature, not an API key, so it is mounted before the
 * key check.
 */
export function extensionCallbackRoutes(deps: AppDeps) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  const route = createRoute({
    method: 'post',
    path: '/v1/lifecycle-runs/{runId}/tasks/{taskId}/resume',
    tags: ['Lifecycle runs'],
    summary: 'A launched-and-waiting custom extension reports completed or failed',
    description:
      'Signed like the call the extension received: X-Tenure-Timestamp (Unix seconds) and X-Tenure-Signature: sha256=HMAC-SHA256(secret, "<timestamp>.<body>"). Body: {"outcome": "completed" | "failed", "message"?}.',
    request: { params: z.object({ runId: z.string().max(300), taskId: z.string().max(64) }) },
    responses: {
      202: { description: 'The run resumes', content: { 'application/json': { schema: z.object({ accepted: z.literal(true) }) } } },
      400: errorResponses[400],
      401: { description: 'Missing or wrong signature', content: { 'application/json': { schema: errorSchema } } },
      404: { description: 'No such run or task', content: { 'application/json': { schema: errorSchema } } },
      409: { description: 'The task is not waiting for an answer', content: { 'application/json': { schema: errorSchema } } },
    },
  });
  app.openapi(route, async (c) => {
    const { runId, taskId } = c.req.valid('param');
    const raw = await c.req.text();
    const run = await findRun(deps.db, runId);
    const task = run && (await findTaskRun(deps.db, runId, taskId));
    if (!run || !task || task.taskType !== 'run-custom-extension') throw new ApiError(404, 'not_found', `no custom extension task ${taskId} in run ${runId}`);
    const definition = await findDefinition(deps.db, run.workflowId, run.version ?? undefined);
    const extension = definition?.tasks.find((t) => t.id === taskId)?.args.extension as string | undefined;
    const secret = extension ? deps.config.customExtensions[extension]?.secret : undefined;
    if (!secret || !(await verifySignature(secret, c.req.header('x-tenure-timestamp'), raw, c.req.header('x-tenure-signature'), deps.now()))) {
      throw new ApiError(401, 'bad_signature', 'the request is not signed with the extension secret (or the timestamp is too old)');
    }
    let body: z.infer<typeof resumeBody>;
    try {
      body = resumeBody.parse(JSON.parse(raw));
    } catch {
      throw new ApiError(400, 'validation_failed', 'the body must be {"outcome": "completed" | "failed", "message"?: string}', [{ path: 'outcome', message: 'expected completed or failed' }]);
    }
    try {
      await deps.temporal.client.workflow.getHandle(runId).executeUpdate(resumeTaskUpdate, { args: [{ taskId, ...body }] });
    } catch (error) {
      if (error instanceof WorkflowUpdateFailedError) throw new ApiError(409, 'not_waiting', `task ${taskId} is not waiting for an answer`);
      throw error;
    }
    return c.json({ accepted: true as const }, 202);
  });
  return app;
}
