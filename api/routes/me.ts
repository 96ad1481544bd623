import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import { findAssignment, listPackages, listRequests, liveAssignments, pendingApprovals } from '../../db/queries/access';
import { removeAssignment } from '../../db/queries/access-changes';
import { findIdentity, type IdentityRow } from '../../db/queries/identities';
import { assignmentIdSchema, packageIdSchema } from '../../domain/access-packages';
import { accessChangedSignal, identityWorkflowId } from '../../workflows/messages';
import { presentAssignment, presentRequest, assignmentSchema, requestablePackageSchema, requestSchema } from '../access-schemas';
import { requestablePackages, startAccessRequest } from '../access-service';
import { validationHook, type AppDeps } from '../app';
import { requireScope, type AppEnv } from '../auth';
import { ApiError, errorResponses, errorSchema } from '../errors';

// The person a self-service key is bound to (`api-key create --employee E1001`): what they may
// request, their requests and access, and the approvals waiting for them.

const json = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { 'application/json': { schema } } });
const security = [{ bearerAuth: [] }];
const me = [requireScope('self-service')];
const notFound = json(errorSchema, 'No such request or assignment, or not yours');

/** The bound person, or 403 for a key that acts as nobody. */
export const requirePerson = createMiddleware<AppEnv>(async (c, next) => {
  if (!c.get('apiKey').employeeId) throw new ApiError(403, 'forbidden', 'this API key acts as nobody: create one with api-key create --employee <id>');
  await next();
});

async function person(deps: AppDeps, c: Context<AppEnv>): Promise<IdentityRow> {
  const employeeId = c.get('apiKey').employeeId!;
  const identity = await findIdentity(deps.db, employeeId);
  if (!identity) throw new ApiError(404, 'not_found', `${employeeId} is not known to Tenure yet`);
  return identity;
}

const requestBody = z.strictObject({
  packageId: packageIdSchema,
  policyId: z.string().max(64).optional(),
  justification: z.string().max(2000).optional(),
  until: z.iso.datetime({ offset: true }).optional().meta({ description: 'When the access should end; within the policy’s lifetime' }),
});

const assignmentParam = z.object({ id: assignmentIdSchema.meta({ param: { name: 'id', in: 'path' } }) });

const routes = {
  whoami: createRoute({ method: 'get', path: '/v1/me', tags: ['Me'], summary: 'The person this key acts as', security, middleware: [...me, requirePerson], responses: { 200: json(z.object({ employeeId: z.string(), displayName: z.string(), state: z.string(), username: z.string().nullable() }), 'The person'), ...errorResponses, 404: notFound } }),
  packages: createRoute({ method: 'get', path: '/v1/me/access-packages', tags: ['Me'], summary: 'Access packages I may request, with their stages, lifetime and any separation-of-duties conflict', security, middleware: [...me, requirePerson], responses: { 200: json(z.object({ items: z.array(requestablePackageSchema) }), 'Requestable packages'), ...errorResponses, 404: notFound } }),
  requests: createRoute({ method: 'get', path: '/v1/me/access-requests', tags: ['Me'], summary: 'My requests and where each stands', security, middleware: [...me, requirePerson], responses: { 200: json(z.object({ items: z.array(requestSchema) }), 'My requests'), ...errorResponses } }),
  request: createRoute({
    method: 'post',
    path: '/v1/me/access-requests',
    tags: ['Me'],
    summary: 'Ask for an access package',
    security,
    middleware: [...me, requirePerson],
    request: { body: { required: true, content: { 'application/json': { schema: requestBody } } } },
    responses: { 202: json(requestSchema, 'Stored; its approvals begin'), ...errorResponses, 404: notFound, 409: json(errorSchema, 'A conflict (separation of duties), a pending request, or access already held') },
  }),
  assignments: createRoute({ method: 'get', path: '/v1/me/assignments', tags: ['Me'], summary: 'My access packages, how each came and when it ends', security, middleware: [...me, requirePerson], responses: { 200: json(z.object({ items: z.array(assignmentSchema) }), 'My assignments'), ...errorResponses } }),
  remove: createRoute({ method: 'delete', path: '/v1/me/assignments/{id}', tags: ['Me'], summary: 'Give up an access package', security, middleware: [...me, requirePerson], request: { params: assignmentParam }, responses: { 200: json(assignmentSchema, 'Ended'), ...errorResponses, 404: notFound } }),
  extend: createRoute({
    method: 'post',
    path: '/v1/me/assignments/{id}/extend',
    tags: ['Me'],
    summary: 'Ask to keep an access package longer; the same policy’s approvals decide',
    security,
    middleware: [...me, requirePerson],
    request: { params: assignmentParam, body: { required: true, content: { 'application/json': { schema: z.strictObject({ justification: z.string().max(2000).optional(), until: z.iso.datetime({ offset: true }).optional() }) } } } },
    responses: { 202: json(requestSchema, 'The extension request'), ...errorResponses, 404: notFound, 409: json(errorSchema, 'Not extendable') },
  }),
  approvals: createRoute({ method: 'get', path: '/v1/me/approvals', tags: ['Me'], summary: 'Requests waiting for my decision', security, middleware: [...me, requirePerson], responses: { 200: json(z.object({ items: z.array(requestSchema) }), 'Waiting for me'), ...errorResponses } }),
};

export function meRoutes(deps: AppDeps) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  const packageNames = async () => new Map((await listPackages(deps.db)).map((p) => [p.id, p]));
  const mine = async (c: Context<AppEnv>, id: string) => {
    const assignment = await findAssignment(deps.db, id);
    if (!assignment || assignment.employeeId !== c.get('apiKey').employeeId || assignment.status === 'ended') throw new ApiError(404, 'not_found', `no assignment ${id} of yours`);
    return assignment;
  };

  app.openapi(routes.whoami, async (c) => {
    const identity = await person(deps, c);
    return c.json({ employeeId: identity.employeeId, displayName: identity.displayName, state: identity.state, username: identity.username }, 200);
  });

  app.openapi(routes.packages, async (c) => {
    return c.json({ items: await requestablePackages(deps, await person(deps, c)) }, 200);
  });

  app.openapi(routes.requests, async (c) => {
    const items = await listRequests(deps.db, { employeeId: c.get('apiKey').employeeId! });
    return c.json({ items: items.map((r) => presentRequest(r)) }, 200);
  });

  app.openapi(routes.request, async (c) => {
    const identity = await person(deps, c);
    const body = c.req.valid('json');
    const row = await startAccessRequest(deps, { employeeId: identity.employeeId, requestedBy: identity.employeeId, requester: identity, ...body });
    return c.json(presentRequest(row), 202);
  });

  app.openapi(routes.assignments, async (c) => {
    const [rows, names] = await Promise.all([liveAssignments(deps.db, c.get('apiKey').employeeId!), packageNames()]);
    return c.json({ items: rows.map((r) => presentAssignment(r, names)) }, 200);
  });

  app.openapi(routes.remove, async (c) => {
    const { id } = c.req.valid('param');
    const assignment = await mine(c, id);
    const by = assignment.employeeId;
    const ended = await removeAssignment(deps.db, assignment.id, { by, reason: 'given up by the person', now: deps.now(), cause: { actor: by, key: `self-remove:${assignment.id}` } });
    if (!ended) throw new ApiError(404, 'not_found', `no assignment ${id} of yours`);
    await deps.temporal.client.workflow.getHandle(identityWorkflowId(by)).signal(accessChangedSignal);
    return c.json(presentAssignment(ended, await packageNames()), 200);
  });

  app.openapi(routes.extend, async (c) => {
    const { id } = c.req.valid('param');
    const assignment = await mine(c, id);
    if (assignment.source === 'auto') throw new ApiError(409, 'not_extendable', 'access given by a rule lasts while the rule matches', [{ path: 'id', message: 'an automatic assignment' }]);
    const identity = await person(deps, c);
    const body = c.req.valid('json');
    const row = await startAccessRequest(deps, { employeeId: identity.employeeId, requestedBy: identity.employeeId, requester: identity, packageId: assignment.packageId, ...body, extends: { assignmentId: assignment.id, policyId: assignment.source === 'request' ? (assignment.policyId ?? undefined) : undefined } });
    return c.json(presentRequest(row), 202);
  });

  app.openapi(routes.approvals, async (c) => {
    const items = await pendingApprovals(deps.db, c.get('apiKey').employeeId!);
    return c.json({ items: items.map((r) => presentRequest(r)) }, 200);
  });

  return app;
}
