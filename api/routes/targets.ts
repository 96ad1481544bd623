import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { findIdentity } from '../../db/queries/identities';
import { listTargetStatus, pendingFor, resumeTarget, targetCounts } from '../../db/queries/targets';
import { employeeIdSchema } from '../../domain/worker-record';
import { identityWorkflowId, provisionNowUpdate, targetResumedSignal } from '../../workflows/messages';
import { validationHook, type AppDeps } from '../app';
import { requireScope, type AppEnv } from '../auth';
import { ApiError, errorResponses, errorSchema } from '../errors';

// Provisioning targets as operators see them, resuming a paused one, and provisioning a person now.

const targetSchema = z
  .object({
    name: z.string(),
    type: z.string(),
    health: z.enum(['ok', 'failing', 'paused', 'unknown']),
    paused: z.boolean(),
    pausedReason: z.string().nullable(),
    consecutiveFailures: z.number().int(),
    lastError: z.string().nullable(),
    lastSuccessAt: z.string().nullable(),
    lastFailureAt: z.string().nullable(),
    accounts: z.number().int(),
    pending: z.number().int().meta({ description: 'People whose changes wait for this target' }),
  })
  .meta({ id: 'Target' });

const iso = (date: Date | null | undefined) => (date ? date.toISOString() : null);
const notFound = { description: 'No such target or identity', content: { 'application/json': { schema: errorSchema } } };

const list = createRoute({
  method: 'get',
  path: '/v1/targets',
  tags: ['Provisioning'],
  summary: 'Every provisioning target with its health and counts',
  security: [{ bearerAuth: [] }],
  middleware: [requireScope('identities:read')],
  responses: { 200: { description: 'Targets', content: { 'application/json': { schema: z.object({ items: z.array(targetSchema) }) } } }, ...errorResponses },
});

const resume = createRoute({
  method: 'post',
  path: '/v1/targets/{name}/resume',
  tags: ['Provisioning'],
  summary: 'Resume a paused target; everyone whose changes waited for it is brought up to date',
  security: [{ bearerAuth: [] }],
  middleware: [requireScope('admin')],
  request: { params: z.object({ name: z.string().max(64) }) },
  responses: { 202: { description: 'Resumed', content: { 'application/json': { schema: z.object({ name: z.string(), pending: z.number().int() }) } } }, ...errorResponses, 404: notFound },
});

const provision = createRoute({
  method: 'post',
  path: '/v1/identities/{employeeId}/provision',
  tags: ['Provisioning'],
  summary: 'Apply the desired state to every target now; answers each target’s outcome and the attributes sent (secrets redacted)',
  security: [{ bearerAuth: [] }],
  middleware: [requireScope('admin')],
  request: { params: z.object({ employeeId: employeeIdSchema }) },
  responses: {
    200: {
      description: 'Per target: what happened',
      content: {
        'application/json': {
          schema: z.object({
            employeeId: z.string(),
            state: z.string(),
            lastError: z.string().nullable(),
            targets: z.array(z.object({ target: z.string(), status: z.string(), accountId: z.string().nullable(), enabled: z.boolean().nullable(), sent: z.record(z.string(), z.unknown()).nullable() })),
          }),
        },
      },
    },
    ...errorResponses,
    404: notFound,
    504: { description: 'The person’s workflow did not answer in time', content: { 'application/json': { schema: errorSchema } } },
  },
});

export function targetRoutes(deps: AppDeps) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

  app.openapi(list, async (c) => {
    const [statuses, counts] = await Promise.all([listTargetStatus(deps.db), targetCounts(deps.db)]);
    const items = deps.config.targets.map(({ config }) => {
      const status = statuses.find((s) => s.name === config.name);
      const count = counts.get(config.name) ?? { accounts: 0, pending: 0 };
      const health = status?.paused ? 'paused' : !status ? 'unknown' : status.consecutiveFailures > 0 ? 'failing' : 'ok';
      return {
        name: config.name,
        type: config.type,
        health: health as 'ok' | 'failing' | 'paused' | 'unknown',
        paused: status?.paused ?? false,
        pausedReason: status?.pausedReason ?? null,
        consecutiveFailures: status?.consecutiveFailures ?? 0,
        lastError: status?.lastError ?? null,
        lastSuccessAt: iso(status?.lastSuccessAt),
        lastFailureAt: iso(status?.lastFailureAt),
        ...count,
      };
    });
    return c.json({ items }, 200);
  });

  app.openapi(resume, async (c) => {
    const { name } = c.req.valid('param');
    if (!deps.config.targets.some((t) => t.config.name === name)) throw new ApiError(404, 'not_found', `no target ${name}`);
    await resumeTarget(deps.db, name);
    const waiting = await pendingFor(deps.db, name);
    const queue = [...waiting];
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
          await deps.temporal.client.workflow
            .getHandle(identityWorkflowId(id))
            .signal(targetResumedSignal)
            .catch((error: Error) => deps.log.warn(`could not tell ${id} that ${name} resumed: ${error.message}`));
        }
      }),
    );
    return c.json({ name, pending: waiting.length }, 202);
  });

  app.openapi(provision, async (c) => {
    const { employeeId } = c.req.valid('param');
    if (!(await findIdentity(deps.db, employeeId))) throw new ApiError(404, 'not_found', `no identity ${employeeId}`);
    try {
      const result = await deps.temporal.client.withDeadline(Date.now() + 60_000, () =>
        deps.temporal.client.workflow.getHandle(identityWorkflowId(employeeId)).executeUpdate(provisionNowUpdate),
      );
      return c.json(
        {
          employeeId,
          state: result.state,
          lastError: result.lastError ?? null,
          targets: result.outcomes.map((o) => ({
            target: o.target,
            status: o.status,
            accountId: o.accountId ?? null,
            enabled: o.enabled ?? null,
            // An attribute removed on the target is sent as null.
            sent: o.sent ? Object.fromEntries(Object.entries(o.sent).map(([k, v]) => [k, v ?? null])) : null,
          })),
        },
        200,
      );
    } catch (error) {
      if (error instanceof WorkflowUpdateFailedError) throw new ApiError(409, 'not_applied', (error.cause?.message ?? error.message).split('\n')[0]!);
      throw new ApiError(503, 'unavailable', `the person's workflow did not answer: ${(error as Error).message.split('\n')[0]}`);
    }
  });

  return app;
}
