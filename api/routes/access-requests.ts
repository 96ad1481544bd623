import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { bodyLimit } from 'hono/body-limit';
import { assignmentsOf, decisionsOf, findPackage, findRequest, listPackages, listRequests } from '../../db/queries/access';
import { grantAssignment, removeAssignment } from '../../db/queries/access-changes';
import { findIdentity } from '../../db/queries/identities';
import { isLeaving } from '../../domain/access-impact';
import { assignmentEnd, assignmentIdSchema, packageIdSchema } from '../../domain/access-packages';
import { requestStatuses } from '../../domain/access-requests';
import { verifySignature } from '../../domain/signature';
import { employeeIdSchema } from '../../domain/worker-record';
import { accessChangedSignal, accessRequestWorkflowId, identityWorkflowId, resumeAccessHookUpdate } from '../../workflows/messages';
import { assignmentSchema, presentAssignment, presentRequest, requestSchema } from '../access-schemas';
import { cancelAccessRequest, decideAccessRequest, ruleGroupsFor, startAccessRequest } from '../access-service';
import { validationHook, type AppDeps } from '../app';
import { requireScope, type AppEnv } from '../auth';
import { ApiError, errorResponses, errorSchema } from '../errors';
import { noDeadline } from '../deadline';
import { requirePerson } from './me';

// Requests as approvers and administrators see them, decisions, and direct assignments by an
// administrator; the signed way back for extensions that a request waits for.

const json = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { 'application/json': { schema } } });
const security = [{ bearerAuth: [] }];
const admin = [requireScope('admin')];
const requestIdParam = z.object({ id: z.string().regex(/^r[0-9a-f]{12}$/, { error: 'a request id like r0123456789ab' }).meta({ param: { name: 'id', in: 'path' } }) });
const notFound = json(errorSchema, 'No such request or assignment');
const stateSchema = z.object({ requestId: z.string(), status: z.enum(requestStatuses), stage: z.number().int(), stageCount: z.number().int(), approvers: z.array(z.string()), deadline: z.number().optional(), reason: z.string().optional() }).meta({ id: 'AccessRequestState' });

const routes = {
  list: createRoute({
    method: 'get',
    path: '/v1/access-requests',
    tags: ['Access requests'],
    summary: 'Requests, newest first',
    security,
    middleware: admin,
    request: { query: z.object({ employeeId: employeeIdSchema.optional(), packageId: packageIdSchema.optional(), status: z.enum(requestStatuses).optional(), limit: z.coerce.number().int().min(1).max(500).default(100) }) },
    responses: { 200: json(z.object({ items: z.array(requestSchema) }), 'Requests'), ...errorResponses },
  }),
  get: createRoute({ method: 'get', path: '/v1/access-requests/{id}', tags: ['Access requests'], summary: 'A request with every decision on it', security, middleware: admin, request: { params: requestIdParam }, responses: { 200: json(requestSchema, 'The request'), ...errorResponses, 404: notFound } }),
  create: createRoute({
    method: 'post',
    path: '/v1/access-requests',
    tags: ['Access requests'],
    summary: 'Ask for access on someone’s behalf (an administrator); the policy’s approvals still decide',
    security,
    middleware: admin,
    request: { body: { required: true, content: { 'application/json': { schema: z.strictObject({ employeeId: employeeIdSchema, packageId: packageIdSchema, policyId: z.string().max(64).optional(), justification: z.string().max(2000).optional(), until: z.iso.datetime({ offset: true }).optional() }) } } } },
    responses: { 202: json(requestSchema, 'Stored; its approvals begin'), ...errorResponses, 404: notFound, 409: json(errorSchema, 'A conflict, a pending request, or access already held') },
  }),
  decide: createRoute({
    method: 'post',
    path: '/v1/access-requests/{id}/decision',
    tags: ['Access requests'],
    summary: 'Approve or deny the stage waiting for me; answers the request’s new state',
    security,
    middleware: [requireScope('self-service'), requirePerson, noDeadline],
    request: { params: requestIdParam, body: { required: true, content: { 'application/json': { schema: z.strictObject({ decision: z.enum(['approve', 'deny']), justification: z.string().max(2000).optional() }) } } } },
    responses: { 200: json(stateSchema, 'The request after the decision'), ...errorResponses, 404: notFound, 409: json(errorSchema, 'The request is not pending') },
  }),
  cancel: createRoute({
    method: 'post',
    path: '/v1/access-requests/{id}/cancel',
    tags: ['Access requests'],
    summary: 'Withdraw a pending request',
    security,
    middleware: admin,
    request: { params: requestIdParam, body: { required: true, content: { 'application/json': { schema: z.strictObject({ reason: z.string().min(1).max(2000) }) } } } },
    responses: { 200: json(stateSchema, 'Withdrawn'), ...errorResponses, 404: notFound, 409: json(errorSchema, 'The request is not pending') },
  }),
  assignments: createRoute({
    method: 'get',
    path: '/v1/access-assignments',
    tags: ['Access assignments'],
    summary: 'Assignments, by person or package',
    security,
    middleware: admin,
    request: { query: z.object({ employeeId: employeeIdSchema.optional(), packageId: packageIdSchema.optional(), live: z.enum(['true', 'false']).default('true') }) },
    responses: { 200: json(z.object({ items: z.array(assignmentSchema) }), 'Assignments'), ...errorResponses },
  }),
  assign: createRoute({
    method: 'post',
    path: '/v1/access-assignments',
    tags: ['Access assignments'],
    summary: 'Assign a package directly (an administrator, with a reason)',
    security,
    middleware: admin,
    request: { body: { required: true, content: { 'application/json': { schema: z.strictObject({ employeeId: employeeIdSchema, packageId: packageIdSchema, reason: z.string().min(1).max(2000), until: z.iso.datetime({ offset: true }).optional() }) } } } },
    responses: { 201: json(assignmentSchema, 'Granted'), ...errorResponses, 404: notFound, 409: json(errorSchema, 'A separation-of-duties conflict, or the person left') },
  }),
  unassign: createRoute({
    method: 'post',
    path: '/v1/access-assignments/{id}/remove',
    tags: ['Access assignments'],
    summary: 'End an assignment (an administrator, with a reason)',
    security,
    middleware: admin,
    request: { params: z.object({ id: assignmentIdSchema }), body: { required: true, content: { 'application/json': { schema: z.strictObject({ reason: z.string().min(1).max(2000) }) } } } },
    responses: { 200: json(assignmentSchema, 'Ended'), ...errorResponses, 404: notFound },
  }),
};

export function accessRequestRoutes(deps: AppDeps) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  const names = async () => new Map((await listPackages(deps.db)).map((p) => [p.id, p]));
  const tell = (employeeId: string) => deps.temporal.client.workflow.getHandle(identityWorkflowId(employeeId)).signal(accessChangedSignal);

  app.openapi(routes.list, async (c) => {
    const q = c.req.valid('query');
    return c.json({ items: (await listRequests(deps.db, q)).map((r) => presentRequest(r)) }, 200);
  });

  app.openapi(routes.get, async (c) => {
    const { id } = c.req.valid('param');
    const row = await findRequest(deps.db, id);
    if (!row) throw new ApiError(404, 'not_found', `no access request ${id}`);
    return c.json(presentRequest(row, await decisionsOf(deps.db, id)), 200);
  });

  app.openapi(routes.create, async (c) => {
    const body = c.req.valid('json');
    const row = await startAccessRequest(deps, { ...body, requestedBy: c.get('apiKey').name });
    return c.json(presentRequest(row), 202);
  });

  app.openapi(routes.decide, async (c) => {
    const { id } = c.req.valid('param');
    if (!(await findRequest(deps.db, id))) throw new ApiError(404, 'not_found', `no access request ${id}`);
    const { decision, justification } = c.req.valid('json');
    const state = await decideAccessRequest(deps, id, { approver: c.get('apiKey').employeeId!, decision, justification, via: 'api' });
    return c.json(state, 200);
  });

  app.openapi(routes.cancel, async (c) => {
    const { id } = c.req.valid('param');
    if (!(await findRequest(deps.db, id))) throw new ApiError(404, 'not_found', `no access request ${id}`);
    return c.json(await cancelAccessRequest(deps, id, c.get('apiKey').name, c.req.valid('json').reason), 200);
  });

  app.openapi(routes.assignments, async (c) => {
    const q = c.req.valid('query');
    const rows = await assignmentsOf(deps.db, { employeeId: q.employeeId, packageId: q.packageId, live: q.live === 'true' });
    const packages = await names();
    return c.json({ items: rows.map((r) => presentAssignment(r, packages)) }, 200);
  });

  app.openapi(routes.assign, async (c) => {
    const body = c.req.valid('json');
    const identity = await findIdentity(deps.db, body.employeeId);
    if (!identity) throw new ApiError(404, 'not_found', `no identity ${body.employeeId}`, [{ path: 'employeeId', message: 'no such person' }]);
    if (isLeaving(identity.state)) throw new ApiError(409, 'left', `the person ${body.employeeId} has left`, [{ path: 'employeeId', message: `the person is ${identity.state}` }]);
    const accessPackage = await findPackage(deps.db, body.packageId);
    if (!accessPackage) throw new ApiError(404, 'not_found', `no access package ${body.packageId}`, [{ path: 'packageId', message: 'no such package' }]);
    const direct = accessPackage.policies.find((p) => p.type === 'direct');
    const now = deps.now();
    const end = assignmentEnd(direct && direct.type === 'direct' ? direct.lifetime : { none: true }, now.getTime(), body.until === undefined ? undefined : Date.parse(body.until));
    if (end.problem) throw new ApiError(400, 'validation_failed', end.problem, [{ path: 'until', message: end.problem }]);
    const actor = c.get('apiKey').name;
    const id = `admin-${crypto.randomUUID()}`;
    const granted = await grantAssignment(
      deps.db,
      { id, employeeId: body.employeeId, packageId: body.packageId, source: 'admin', policyId: direct?.id, grantedBy: actor, reason: body.reason, endsAt: end.endsAt === undefined ? undefined : new Date(end.endsAt) },
      { ruleGroups: ruleGroupsFor(deps, identity), now, cause: { actor, key: id } },
    );
    if (!granted.ok) throw new ApiError(409, 'conflict', `separation of duties: ${granted.conflict}`, [{ path: 'packageId', message: granted.conflict }]);
    await tell(body.employeeId);
    return c.json(presentAssignment(granted.assignment, await names()), 201);
  });

  app.openapi(routes.unassign, async (c) => {
    const { id } = c.req.valid('param');
    const actor = c.get('apiKey').name;
    const ended = await removeAssignment(deps.db, id, { by: actor, reason: c.req.valid('json').reason, now: deps.now(), cause: { actor, key: `remove:${id}` } });
    if (!ended) throw new ApiError(404, 'not_found', `no live assignment ${id}`);
    await tell(ended.employeeId);
    return c.json(presentAssignment(ended, await names()), 200);
  });

  return app;
}

function parseJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}

const hookParams = z.object({ id: z.string().regex(/^r[0-9a-f]{12}$/), on: z.enum(['created', 'approved', 'denied']) });
const hookAnswer = z.strictObject({ outcome: z.enum(['completed', 'failed']), message: z.string().max(2000).optional() });

/** `POST /v1/access-requests/{id}/hooks/{on}/resume`: an extension the request waits for answers, signed with its secret. */
export function accessHookCallbackRoutes(deps: AppDeps) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  const route = createRoute({
    method: 'post',
    path: '/v1/access-requests/{id}/hooks/{on}/resume',
    tags: ['Access requests'],
    summary: 'A launched-and-waiting extension at a request stage reports completed or failed',
    description: 'Signed like the call it received: X-Tenure-Timestamp and X-Tenure-Signature: sha256=HMAC-SHA256(secret, "<timestamp>.<body>").',
    middleware: [bodyLimit({ maxSize: 8 * 1024, onError: () => { throw new ApiError(413, 'payload_too_large', 'a callback is at most 8 KiB'); } })] as const,
    request: { params: hookParams },
    responses: {
      202: json(z.object({ accepted: z.literal(true) }), 'The request goes on'),
      400: errorResponses[400],
      401: json(errorSchema, 'Missing or wrong signature'),
      404: notFound,
      409: json(errorSchema, 'The request is not waiting for this extension'),
      413: json(errorSchema, 'Body too large'),
    },
  });
  app.openapi(route, async (c) => {
    const { id, on } = c.req.valid('param');
    const request = await findRequest(deps.db, id);
    const accessPackage = request && (await findPackage(deps.db, request.packageId, request.packageVersion));
    const policy = accessPackage?.policies.find((p) => p.id === request?.policyId);
    const hook = policy?.type === 'request' ? policy.hooks.find((h) => h.on === on && h.mode === 'launch-and-wait') : undefined;
    if (!request || !hook) throw new ApiError(404, 'not_found', 'no request waiting for an extension there');
    const secret = deps.config.customExtensions[hook.extension]?.secret;
    const raw = await c.req.text();
    if (!secret || !(await verifySignature(secret, c.req.header('x-tenure-timestamp'), raw, c.req.header('x-tenure-signature'), deps.now()))) {
      throw new ApiError(401, 'bad_signature', 'the request is not signed with the extension secret (or the timestamp is too old)');
    }
    const parsed = hookAnswer.safeParse(parseJson(raw));
    if (!parsed.success) throw new ApiError(400, 'validation_failed', 'the body must be {"outcome": "completed" | "failed", "message"?: string}', [{ path: 'outcome', message: 'expected completed or failed' }]);
    try {
      await deps.temporal.client.workflow.getHandle(accessRequestWorkflowId(id)).executeUpdate(resumeAccessHookUpdate, { args: [{ on, ...parsed.data }] });
    } catch (error) {
      if (error instanceof WorkflowUpdateFailedError) throw new ApiError(409, 'not_waiting', `request ${id} is not waiting for its ${on} extension`);
      throw error;
    }
    return c.json({ accepted: true as const }, 202);
  });
  return app;
}
