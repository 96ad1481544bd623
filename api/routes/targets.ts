import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { WorkflowNotFoundError, WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { findIdentity } from '../../db/queries/identities';
import { appendAuditEvents } from '../../db/queries/audit';
import { listTargetStatus, probeSoon, targetCounts } from '../../db/queries/targets';
import { breakerStates } from '../../domain/breaker';
import { targetNameSchema } from '../../domain/targets';
import { employeeIdSchema } from '../../domain/worker-record';
import { identityWorkflowId, probeTargetSignal, provisionNowUpdate, targetBreakerWorkflowId } from '../../workflows/messages';
import { validationHook, type AppDeps } from '../app';
import { requireScope, type AppEnv } from '../auth';
import { noDeadline } from '../deadline';
import { ApiError, errorResponses, errorSchema } from '../errors';

// Provisioning targets as operators see them (with their circuit breaker), resuming one at
// once, and provisioning a person now.

const targetSchema = z
  .object({
    name: z.string(),
    type: z.string(),
    state: z.enum(breakerStates).meta({ description: 'closed: in use; open: unreachable, probed with backoff; quarantined: refused Tenure, tried again rarely' }),
    since: z.string().nullable().meta({ description: 'When the breaker took its state' }),
    reason: z.string().nullable(),
    nextProbeAt: z.string().nullable().meta({ description: 'When an open or quarantined target is tried next' }),
    failing: z
      .object({ since: z.string(), failures: z.number().int() })
      .nullable()
      .meta({ description: 'The current run of failures with no success in between' }),
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
  summary: 'Probe a target now (an operator fixed the cause); once it answers, everyone who waited is brought up to date',
  security: [{ bearerAuth: [] }],
  middleware: [requireScope('admin')],
  request: { params: z.object({ name: targetNameSchema }) },
  responses: {
    202: { description: 'A probe is under way', content: { 'application/json': { schema: z.object({ name: z.string(), state: z.enum(breakerStates), pending: z.number().int() }) } } },
    ...errorResponses,
    404: notFound,
  },
});

const provision = createRoute({
  method: 'post',
  path: '/v1/identities/{employeeId}/provision',
  tags: ['Provisioning'],
  summary: 'Apply the desired state to every target now; answers each target’s outcome and the attributes sent (secrets redacted)',
  security: [{ bearerAuth: [] }],
  middleware: [requireScope('admin'), noDeadline],
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
    409: { description: 'The workflow refused the update, or is not running', content: { 'application/json': { schema: errorSchema } } },
    504: { description: 'Temporal answers, but the person’s workflow did not within 60 s', content: { 'application/json': { schema: errorSchema } } },
  },
});

/**
 * Server failures that mean the person's run closed (continued as new) around the update: the
 * handler never ran to its end there, and provisioning again is harmless, so the next run answers.
 */
const closedAroundUpdate = new Set(['AcceptedUpdateCompletedWorkflow', 'UnprocessedUpdate']);
const maxProvisionAttempts = 3;

function runClosedAround(error: unknown): boolean {
  if (error instanceof WorkflowUpdateFailedError) return error.cause instanceof ApplicationFailure && closedAroundUpdate.has(error.cause.type ?? '');
  return error instanceof WorkflowNotFoundError && error.message.includes('aborted by closing workflow');
}

async function provisionNow(deps: AppDeps, employeeId: string, deadline: number) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await deps.temporal.client.withDeadline(deadline, () => deps.temporal.client.workflow.getHandle(identityWorkflowId(employeeId)).executeUpdate(provisionNowUpdate));
    } catch (error) {
      if (attempt >= maxProvisionAttempts || !runClosedAround(error)) throw error;
    }
  }
}

export function targetRoutes(deps: AppDeps) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

  app.openapi(list, async (c) => {
    const [statuses, counts] = await Promise.all([listTargetStatus(deps.db), targetCounts(deps.db)]);
    const items = deps.config.targets.map(({ config }) => {
      const status = statuses.find((s) => s.name === config.name);
      const count = counts.get(config.name) ?? { accounts: 0, pending: 0 };
      return {
        name: config.name,
        type: config.type,
        state: status?.state ?? 'closed',
        since: iso(status?.stateSince),
        reason: status?.stateReason ?? null,
        nextProbeAt: iso(status?.nextProbeAt),
        failing: status?.failingSince ? { since: status.failingSince.toISOString(), failures: status.streakFailures } : null,
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
    const status = await probeSoon(deps.db, name, deps.now());
    // The target's watch probes it now (starting if none runs) and drains the people waiting once it answers.
    await deps.temporal.client.workflow.signalWithStart('targetBreakerWorkflow', {
      workflowId: targetBreakerWorkflowId(deps.temporal.taskQueue, name),
      taskQueue: deps.temporal.taskQueue,
      args: [{ target: name }],
      signal: probeTargetSignal,
    });
    await appendAuditEvents(deps.db, [{ kind: 'target.probe-requested', actor: c.get('apiKey').name, system: name, summary: `${c.get('apiKey').name} asked to probe ${name} now`, details: { state: status?.state ?? 'closed' } }]);
    const pending = (await targetCounts(deps.db)).get(name)?.pending ?? 0;
    return c.json({ name, state: status?.state ?? 'closed', pending }, 202);
  });

  app.openapi(provision, async (c) => {
    const { employeeId } = c.req.valid('param');
    if (!(await findIdentity(deps.db, employeeId))) throw new ApiError(404, 'not_found', `no identity ${employeeId}`);
    // Temporal answers first, so an outage is a quick 503 rather than a minute's wait for the update.
    await deps.temporal.ping();
    try {
      const result = await provisionNow(deps, employeeId, Date.now() + 60_000);
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
      if (error instanceof WorkflowNotFoundError) throw new ApiError(409, 'not_running', `the workflow of ${employeeId} is not running`);
      if (error instanceof WorkflowUpdateRPCTimeoutOrCancelledError) throw new ApiError(504, 'timeout', `the workflow of ${employeeId} did not answer within 60 s`);
      throw error;
    }
  });

  return app;
}
