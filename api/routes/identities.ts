import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { listPackages, listRequests, liveAssignments } from '../../db/queries/access';
import { findAuditEvents } from '../../db/queries/audit';
import { findMemberships } from '../../db/queries/group-memberships';
import { findAccounts, findIdentity, listIdentities, type AccountRow, type IdentityRow } from '../../db/queries/identities';
import { hasInboxRows } from '../../db/queries/hr-inbox';
import { lifecycleStates } from '../../domain/lifecycle';
import { plainText } from '../../domain/text';
import { employeeIdSchema } from '../../domain/worker-record';
import { validationHook, type AppDeps } from '../app';
import { requireScope, type AppEnv } from '../auth';
import { assignmentSchema, presentAssignment, presentRequest, requestSchema } from '../access-schemas';
import { ApiError, errorResponses, notFoundResponse } from '../errors';

const iso = (date: Date | null) => (date ? date.toISOString() : null);

const accountSchema = z
  .object({
    system: z.string(),
    id: z.string().meta({ description: 'The account id in that system (a DN for LDAP)' }),
    username: z.string(),
    enabled: z.boolean(),
    attributes: z.record(z.string(), z.string()),
    lastError: z.string().nullable().meta({ description: 'Why the last change to this account failed, if it did' }),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Account' });

const identitySummarySchema = z
  .object({
    employeeId: z.string(),
    type: z.enum(['worker', 'guest']).meta({ description: 'worker (from HR) or guest (from an approved guest request; their manager is their sponsor)' }),
    state: z.enum(lifecycleStates),
    username: z.string().nullable(),
    workEmail: z.string().nullable(),
    displayName: z.string(),
    department: z.string().nullable(),
    jobTitle: z.string().nullable(),
    managerEmployeeId: z.string().nullable(),
    hireAt: z.string(),
    leaveAt: z.string().nullable(),
    nextAction: z.object({ action: z.string(), at: z.string() }).nullable(),
    workflowId: z.string(),
  })
  .meta({ id: 'IdentitySummary' });

const identitySchema = identitySummarySchema
  .extend({
    attributes: z.object({
      givenName: z.string(),
      familyName: z.string(),
      preferredName: z.string().nullable(),
      employeeType: z.string(),
      location: z.string().nullable(),
      timeZone: z.string(),
      personalEmail: z.string().nullable(),
    }),
    manager: z
      .object({ employeeId: z.string(), displayName: z.string().nullable(), username: z.string().nullable() })
      .nullable(),
    accounts: z.array(accountSchema),
    groups: z
      .array(
        z.object({
          system: z.string(),
          group: z.string().meta({ description: 'A DN on LDAP and AD, a displayName on SCIM' }),
          since: z.string(),
          lifecycleRun: z.string().nullable().meta({ description: 'The lifecycle run that added it; null when a target group rule gives it' }),
        }),
      )
      .meta({ description: 'Group memberships Tenure gave: by target group rules and by lifecycle tasks' }),
    recordAsOf: z.string(),
    lastError: z.string().nullable(),
    targetErrors: z.record(z.string(), z.string()).meta({ description: 'Per target, why its last sync failed (also for targets with no account yet)' }),
    assignments: z.array(assignmentSchema).meta({ description: 'Access packages the person holds (or that wait for a conflict to go), with their end; GET …/access explains each' }),
    pendingRequests: z.array(requestSchema).meta({ description: 'Requests for the person waiting for a decision' }),
    waiting: z
      .array(z.object({ target: z.string(), since: z.string(), reason: z.string() }))
      .meta({ description: 'Accounts owed but not there yet: the target is unreachable or refused Tenure (its breaker is open or quarantined)' }),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Identity' });

const eventSchema = z
  .object({
    id: z.number().int(),
    occurredAt: z.string(),
    kind: z.string(),
    actor: z.string(),
    system: z.string().nullable(),
    summary: z.string(),
    details: z.record(z.string(), z.unknown()),
    workflowId: z.string().nullable(),
    runId: z.string().nullable(),
  })
  .meta({ id: 'AuditEvent' });

const employeeIdParam = z.object({
  employeeId: employeeIdSchema.meta({ param: { name: 'employeeId', in: 'path' }, example: 'E1001' }),
});

const pageQuery = {
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().max(200).optional().meta({ description: 'nextCursor of the previous page' }),
};

const getIdentity = createRoute({
  method: 'get',
  path: '/v1/identities/{employeeId}',
  tags: ['Identities'],
  summary: 'A person: state, names, accounts and the next scheduled action',
  security: [{ bearerAuth: [] }],
  middleware: [requireScope('identities:read')] as const,
  request: { params: employeeIdParam },
  responses: {
    200: { description: 'The identity', content: { 'application/json': { schema: identitySchema } } },
    ...errorResponses,
    404: notFoundResponse,
  },
});

const listRoute = createRoute({
  method: 'get',
  path: '/v1/identities',
  tags: ['Identities'],
  summary: 'List identities, filtered, in pages',
  security: [{ bearerAuth: [] }],
  middleware: [requireScope('identities:read')] as const,
  request: {
    query: z.object({
      state: z.enum(lifecycleStates).optional(),
      type: z.enum(['worker', 'guest']).optional(),
      department: plainText(128).optional(),
      q: plainText(200).optional().meta({ description: 'Text in the employee id, name, username or work email' }),
      ...pageQuery,
    }),
  },
  responses: {
    200: {
      description: 'A page of identities',
      content: { 'application/json': { schema: z.object({ items: z.array(identitySummarySchema), nextCursor: z.string().nullable() }) } },
    },
    ...errorResponses,
  },
});

const eventsRoute = createRoute({
  method: 'get',
  path: '/v1/identities/{employeeId}/events',
  tags: ['Identities'],
  summary: "The person's audit trail, oldest first",
  security: [{ bearerAuth: [] }],
  middleware: [requireScope('identities:read')] as const,
  request: { params: employeeIdParam, query: z.object(pageQuery) },
  responses: {
    200: {
      description: 'A page of audit events',
      content: { 'application/json': { schema: z.object({ items: z.array(eventSchema), nextCursor: z.string().nullable() }) } },
    },
    ...errorResponses,
    404: notFoundResponse,
  },
});

const encodeCursor = (value: string | number) => Buffer.from(JSON.stringify({ after: value })).toString('base64url');

/** Cursors are checked like any input: an employee id, or an audit event id. */
const cursorValue = { string: employeeIdSchema, number: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER) };

function decodeCursor<T extends string | number>(cursor: string | undefined, type: 'string' | 'number'): T | undefined {
  if (cursor === undefined) return undefined;
  try {
    const { after } = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { after?: unknown };
    const parsed = cursorValue[type].safeParse(after);
    if (parsed.success) return parsed.data as T;
  } catch {
    // fall through to the error below
  }
  throw new ApiError(400, 'validation_failed', 'cursor is not one this API gave out', [{ path: 'cursor', message: 'invalid cursor' }]);
}

function summary(row: IdentityRow) {
  return {
    employeeId: row.employeeId,
    type: row.type,
    state: row.state as (typeof lifecycleStates)[number],
    username: row.username,
    workEmail: row.workEmail,
    displayName: row.displayName,
    department: row.department,
    jobTitle: row.jobTitle,
    managerEmployeeId: row.managerEmployeeId,
    hireAt: row.hireAt.toISOString(),
    leaveAt: iso(row.leaveAt),
    nextAction: row.nextAction && row.nextActionAt ? { action: row.nextAction, at: row.nextActionAt.toISOString() } : null,
    workflowId: row.workflowId,
  };
}

function account(row: AccountRow, errors: Record<string, string>) {
  return {
    lastError: errors[row.system] ?? null,
    system: row.system,
    id: row.externalId,
    username: row.username,
    enabled: row.enabled,
    attributes: row.attributes,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

export function identityRoutes(deps: AppDeps) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

  app.openapi(getIdentity, async (c) => {
    const { employeeId } = c.req.valid('param');
    const row = await findIdentity(deps.db, employeeId);
    if (!row) throw new ApiError(404, 'not_found', `no identity ${employeeId} (a record just sent may still be on its way)`);
    const [accounts, memberships, manager, assignments, pending, packages] = await Promise.all([
      findAccounts(deps.db, employeeId),
      findMemberships(deps.db, employeeId),
      row.managerEmployeeId ? findIdentity(deps.db, row.managerEmployeeId) : undefined,
      liveAssignments(deps.db, employeeId),
      listRequests(deps.db, { employeeId, status: 'pending' }),
      listPackages(deps.db),
    ]);
    const packageNames = new Map(packages.map((p) => [p.id, p]));
    return c.json(
      {
        ...summary(row),
        attributes: {
          givenName: row.givenName,
          familyName: row.familyName,
          preferredName: row.preferredName,
          employeeType: row.employeeType,
          location: row.location,
          timeZone: row.timeZone,
          personalEmail: row.record.personalEmail ?? null,
        },
        manager: row.managerEmployeeId
          ? { employeeId: row.managerEmployeeId, displayName: manager?.displayName ?? null, username: manager?.username ?? null }
          : null,
        accounts: accounts.map((a) => account(a, row.targetErrors)),
        groups: memberships.map((m) => ({ system: m.system, group: m.groupDn, since: m.addedAt.toISOString(), lifecycleRun: m.addedByRun })),
        recordAsOf: row.recordAsOf.toISOString(),
        lastError: row.lastError,
        targetErrors: row.targetErrors,
        assignments: assignments.map((a) => presentAssignment(a, packageNames)),
        pendingRequests: pending.map((r) => presentRequest(r)),
        waiting: Object.entries(row.waiting).map(([target, w]) => ({ target, ...w })),
        createdAt: row.createdAt.toISOString(),
        updatedAt: row.updatedAt.toISOString(),
      },
      200,
    );
  });

  app.openapi(listRoute, async (c) => {
    const query = c.req.valid('query');
    const rows = await listIdentities(deps.db, {
      state: query.state,
      type: query.type,
      department: query.department,
      text: query.q,
      after: decodeCursor<string>(query.cursor, 'string'),
      limit: query.limit + 1,
    });
    const page = rows.slice(0, query.limit);
    const nextCursor = rows.length > query.limit ? encodeCursor(page[page.length - 1]!.employeeId) : null;
    return c.json({ items: page.map(summary), nextCursor }, 200);
  });

  app.openapi(eventsRoute, async (c) => {
    const { employeeId } = c.req.valid('param');
    const query = c.req.valid('query');
    const after = decodeCursor<number>(query.cursor, 'number');
    // A trail belongs to a worker Tenure knows: an id nobody sent has none, whatever rows name it.
    if (!(await findIdentity(deps.db, employeeId)) && !(await hasInboxRows(deps.db, employeeId))) {
      throw new ApiError(404, 'not_found', `no worker ${employeeId}`);
    }
    const rows = await findAuditEvents(deps.db, { employeeId, after, limit: query.limit + 1 });
    const page = rows.slice(0, query.limit);
    const nextCursor = rows.length > query.limit ? encodeCursor(page[page.length - 1]!.id) : null;
    return c.json(
      {
        items: page.map((e) => ({ ...e, occurredAt: e.occurredAt.toISOString(), idempotencyKey: undefined })),
        nextCursor,
      },
      200,
    );
  });

  return app;
}
