import { randomBytes } from 'node:crypto';
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { Context } from 'hono';
import { findIdentity } from '../../db/queries/identities';
import { findDefinition, listDefinitions, listVersions, saveDefinition, setDefinitionEnabled, type StoredDefinition } from '../../db/queries/lifecycle-workflows';
import { lifecycleValidationContext } from '../../domain/config';
import { definitionIdSchema, lifecycleCategories, validateDefinition, type LifecycleDefinition } from '../../domain/lifecycle-workflows';
import { employeeIdSchema } from '../../domain/worker-record';
import { identityWorkflowId, lifecycleRunWorkflowId, runLifecycleWorkflowSignal } from '../../workflows/messages';
import { validationHook, type AppDeps } from '../app';
import { requireScope, type AppEnv } from '../auth';
import { noDeadline } from '../deadline';
import { ApiError, errorResponses, errorSchema, validationFailed } from '../errors';
import { startLifecycleReplan } from '../lifecycle-replan';

// Lifecycle workflow definitions: created, versioned, switched on and off, run on demand.

const idParam = z.object({ id: definitionIdSchema.meta({ param: { name: 'id', in: 'path' }, example: 'onboard-new-hire' }) });
const json = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { 'application/json': { schema } } });
const notFound = json(errorSchema, 'No such lifecycle workflow');

const definitionSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string().optional(),
    category: z.enum(lifecycleCategories),
    enabled: z.boolean(),
    version: z.number().int(),
    source: z.string(),
    trigger: z.record(z.string(), z.unknown()),
    scope: z.string().optional(),
    caseSensitive: z.boolean(),
    catchUp: z.string(),
    tasks: z.array(z.object({ id: z.string(), type: z.string(), name: z.string(), enabled: z.boolean(), continueOnError: z.boolean(), args: z.record(z.string(), z.unknown()) })),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'LifecycleWorkflow' });

const definitionInputDoc = z.record(z.string(), z.unknown()).meta({ id: 'LifecycleWorkflowInput', 
  description:
    'id, name, description?, category (joiner|mover|leaver), enabled?, trigger (time: on hireDate|leaveDate|created with a signed ISO 8601 offset and optional localTime; attribute-change; group-change; on-demand), scope? (rule), caseSensitive?, catchUp? (default P3D), tasks[] (type, id?, enabled?, continueOnError?, args?). See the README.',
  example: {
    id: 'onboard-new-hire',
    name: 'Onboard new hire',
    category: 'joiner',
    trigger: { type: 'time', on: 'hireDate', offset: 'P0D' },
    scope: "employeeType eq 'employee'",
    tasks: [{ type: 'send-welcome-email' }, { type: 'add-to-groups', args: { groups: ['all-staff'] } }],
  },
});

const saveResultSchema = z.object({ id: z.string(), version: z.number().int(), outcome: z.enum(['created', 'new-version', 'unchanged']) }).meta({ id: 'LifecycleWorkflowSaved' });

function present(definition: StoredDefinition) {
  return {
    ...definition,
    trigger: definition.trigger as Record<string, unknown>,
    createdAt: definition.createdAt.toISOString(),
    updatedAt: definition.updatedAt.toISOString(),
  };
}

const admin = requireScope('admin');
const security = [{ bearerAuth: [] }];

const routes = {
  list: createRoute({ method: 'get', path: '/v1/lifecycle-workflows', tags: ['Lifecycle workflows'], summary: 'Every definition at its current version', security, middleware: admin, responses: { 200: json(z.object({ items: z.array(definitionSchema) }), 'Definitions'), ...errorResponses } }),
  create: createRoute({
    method: 'post',
    path: '/v1/lifecycle-workflows',
    tags: ['Lifecycle workflows'],
    summary: 'Create a definition (checked before it is saved)',
    security,
    middleware: admin,
    request: { body: { required: true, content: { 'application/json': { schema: definitionInputDoc } } } },
    responses: { 201: json(saveResultSchema, 'Saved as version 1'), ...errorResponses, 409: json(errorSchema, 'A definition with that id exists') },
  }),
  get: createRoute({
    method: 'get',
    path: '/v1/lifecycle-workflows/{id}',
    tags: ['Lifecycle workflows'],
    summary: 'A definition, at its current or a given version',
    security,
    middleware: admin,
    request: { params: idParam, query: z.object({ version: z.coerce.number().int().positive().max(2_147_483_647).optional() }) },
    responses: { 200: json(definitionSchema, 'The definition'), ...errorResponses, 404: notFound },
  }),
  update: createRoute({
    method: 'put',
    path: '/v1/lifecycle-workflows/{id}',
    tags: ['Lifecycle workflows'],
    summary: 'Save a new version; runs not yet started use it',
    security,
    middleware: admin,
    request: { params: idParam, body: { required: true, content: { 'application/json': { schema: definitionInputDoc } } } },
    responses: { 200: json(saveResultSchema, 'Saved'), ...errorResponses, 404: notFound },
  }),
  versions: createRoute({
    method: 'get',
    path: '/v1/lifecycle-workflows/{id}/versions',
    tags: ['Lifecycle workflows'],
    summary: 'The versions of a definition, newest first',
    security,
    middleware: admin,
    request: { params: idParam },
    responses: { 200: json(z.object({ items: z.array(z.object({ version: z.number().int(), createdBy: z.string(), createdAt: z.string() })) }), 'Versions'), ...errorResponses, 404: notFound },
  }),
  enable: createRoute({ method: 'post', path: '/v1/lifecycle-workflows/{id}/enable', tags: ['Lifecycle workflows'], summary: 'Switch a definition on', security, middleware: admin, request: { params: idParam }, responses: { 200: json(definitionSchema, 'Enabled'), ...errorResponses, 404: notFound } }),
  disable: createRoute({ method: 'post', path: '/v1/lifecycle-workflows/{id}/disable', tags: ['Lifecycle workflows'], summary: 'Switch a definition off; runs not yet started will not start', security, middleware: admin, request: { params: idParam }, responses: { 200: json(definitionSchema, 'Disabled'), ...errorResponses, 404: notFound } }),
  run: createRoute({
    method: 'post',
    path: '/v1/lifecycle-workflows/{id}/run',
    tags: ['Lifecycle workflows'],
    summary: 'Run a definition now for a list of people (on demand, no limit on the list)',
    security,
    middleware: [admin, noDeadline] as const,
    request: { params: idParam, body: { required: true, content: { 'application/json': { schema: z.strictObject({ employeeIds: z.array(employeeIdSchema).min(1).max(10_000) }) } } } },
    responses: {
      202: json(z.object({ results: z.array(z.object({ employeeId: z.string(), status: z.enum(['started', 'rejected']), runId: z.string().optional(), error: z.string().optional() })) }), 'Per person: the run id, or why not'),
      ...errorResponses,
      404: notFound,
      409: json(errorSchema, 'The definition is disabled'),
    },
  }),
};

export function lifecycleWorkflowRoutes(deps: AppDeps) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  const context = lifecycleValidationContext(deps.config);

  /** After a change is saved, people plan again; that is best effort within its own bound, so the request deadline no longer applies. */
  const replanEveryone = (c: Context<AppEnv>) => {
    c.get('deadline')?.lift();
    return startLifecycleReplan(deps.temporal.client, deps.temporal.taskQueue, deps.log, deps.deliveryTimeoutMs);
  };

  /** A definition as an administrator wrote it, checked before anything is looked up by its id. */
  function valid(body: unknown, pathId?: string): LifecycleDefinition {
    const result = validateDefinition(body, context);
    if (!result.ok) throw validationFailed(result.errors);
    if (pathId !== undefined && result.definition.id !== pathId) {
      throw validationFailed([{ path: 'id', message: `must be ${pathId}, the id in the path` }]);
    }
    return result.definition;
  }

  async function save(c: Context<AppEnv>, definition: LifecycleDefinition) {
    const saved = await saveDefinition(deps.db, definition, { source: 'api', actor: c.get('apiKey').name });
    if (saved.outcome !== 'unchanged') await replanEveryone(c);
    return { id: definition.id, ...saved };
  }

  async function existing(id: string): Promise<StoredDefinition> {
    const found = await findDefinition(deps.db, id);
    if (!found) throw new ApiError(404, 'not_found', `no lifecycle workflow ${id}`);
    return found;
  }

  app.openapi(routes.list, async (c) => c.json({ items: (await listDefinitions(deps.db)).map(present) }, 200));

  app.openapi(routes.create, async (c) => {
    const definition = valid(c.req.valid('json'));
    const { id } = definition;
    if (await findDefinition(deps.db, id)) throw new ApiError(409, 'conflict', `lifecycle workflow ${id} exists; PUT /v1/lifecycle-workflows/${id} saves a new version`);
    return c.json(await save(c, definition), 201);
  });

  app.openapi(routes.get, async (c) => {
    const { id } = c.req.valid('param');
    const { version } = c.req.valid('query');
    const found = await findDefinition(deps.db, id, version);
    if (!found) throw new ApiError(404, 'not_found', `no lifecycle workflow ${id}${version ? ` version ${version}` : ''}`);
    return c.json(present(found), 200);
  });

  app.openapi(routes.update, async (c) => {
    const { id } = c.req.valid('param');
    await existing(id);
    return c.json(await save(c, valid(c.req.valid('json'), id)), 200);
  });

  app.openapi(routes.versions, async (c) => {
    const { id } = c.req.valid('param');
    await existing(id);
    const items = await listVersions(deps.db, id);
    return c.json({ items: items.map((v) => ({ ...v, createdAt: v.createdAt.toISOString() })) }, 200);
  });

  for (const [route, enabled] of [
    [routes.enable, true],
    [routes.disable, false],
  ] as const) {
    app.openapi(route, async (c) => {
      const { id } = c.req.valid('param');
      if (!(await setDefinitionEnabled(deps.db, id, enabled))) throw new ApiError(404, 'not_found', `no lifecycle workflow ${id}`);
      await replanEveryone(c);
      return c.json(present(await existing(id)), 200);
    });
  }

  app.openapi(routes.run, async (c) => {
    const { id } = c.req.valid('param');
    const definition = await existing(id);
    if (!definition.enabled) throw new ApiError(409, 'disabled', `lifecycle workflow ${id} is disabled; enable it first`);
    const { employeeIds } = c.req.valid('json');
    const requestedBy = c.get('apiKey').name;
    const { client } = deps.temporal;
    const results = [];
    for (const employeeId of [...new Set(employeeIds)]) {
      if (!(await findIdentity(deps.db, employeeId))) {
        results.push({ employeeId, status: 'rejected' as const, error: `no identity ${employeeId}` });
        continue;
      }
      const requestId = randomBytes(6).toString('hex');
      try {
        await client.withDeadline(Date.now() + deps.deliveryTimeoutMs, () =>
          client.workflow.getHandle(identityWorkflowId(employeeId)).signal(runLifecycleWorkflowSignal, { definitionId: id, requestId, requestedBy }),
        );
        results.push({ employeeId, status: 'started' as const, runId: lifecycleRunWorkflowId(id, employeeId, `ondemand-${requestId}`) });
      } catch (error) {
        // An unreachable Temporal is the whole request's answer (503, in onError); a person without a running workflow is theirs.
        if (!(error instanceof WorkflowNotFoundError)) throw error;
        results.push({ employeeId, status: 'rejected' as const, error: `the workflow of ${employeeId} is not running` });
      }
    }
    return c.json({ results }, 202);
  });

  return app;
}

