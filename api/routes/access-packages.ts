import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { findCatalog, findPackage, listPackages, listPackageVersions, setPackageEnabled } from '../../db/queries/access';
import { listRollouts, type RolloutRow } from '../../db/queries/access-rollouts';
import { listOrganisations } from '../../db/queries/guests';
import { packageReferenceProblems, rolloutCause } from '../../domain/access-admin';
import { packageIdSchema, catalogIdSchema, validatePackage, type AccessPackage, type AccessPackageVersion } from '../../domain/access-packages';
import { lifecycleValidationContext } from '../../domain/config';
import { employeeIdSchema } from '../../domain/worker-record';
import { conflictsOfPackage, impactOfChange } from '../access-impact';
import { savePackageChange, startAccessRollout, type RolloutDeps } from '../access-rollouts';
import { validationHook, type AppDeps } from '../app';
import { requireScope, type AppEnv } from '../auth';
import { ApiError, errorResponses, errorSchema, validationFailed } from '../errors';

// Access packages: created and versioned, switched on and off, a change answered before it is
// saved (?dryRun=true: who gains, who loses, who would be held or conflict), the conflicts people
// hold already, and the rollouts that take a saved change to everyone already known.

const idParam = z.object({ id: packageIdSchema.meta({ param: { name: 'id', in: 'path' }, example: 'payments' }) });
const json = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { 'application/json': { schema } } });
const notFound = json(errorSchema, 'No such access package');

const resourceSchema = z.object({ target: z.string(), group: z.string().meta({ description: 'A DN on LDAP and AD, a displayName on SCIM' }) }).meta({ id: 'AccessResource' });

const accessPackageSchema = z
  .object({
    id: z.string(),
    catalog: z.string(),
    name: z.string(),
    description: z.string().optional(),
    enabled: z.boolean(),
    version: z.number().int(),
    resources: z.array(resourceSchema),
    policies: z.array(z.record(z.string(), z.unknown())).meta({ description: 'auto (rule, gracePeriod?), request (requestors, guests, justification, stages, lifetime, hooks) or direct (lifetime); each with an id' }),
    incompatibleWith: z.array(z.string()),
    incompatibleGroups: z.array(resourceSchema),
    hooks: z.array(z.record(z.string(), z.unknown())),
  })
  .meta({ id: 'AccessPackage' });

const packageInputDoc = z.record(z.string(), z.unknown()).meta({
  id: 'AccessPackageInput',
  description:
    'id, catalog (an existing catalog), name, description?, enabled? (default true), resources[] ({target, group}), policies[] (auto: rule, gracePeriod?; request: requestors?, guests? ({type: none | organisations (organisations[]) | configured | anyone}), justification?, stages[] (approvers, fallback?, deadline?, onDeadline?), lifetime?, hooks?; direct: lifetime?), incompatibleWith[] (package ids), incompatibleGroups[], hooks[]. See the README.',
  example: {
    id: 'eng-tools',
    catalog: 'engineering',
    name: 'Engineering tools',
    resources: [{ target: 'ldap', group: 'cn=eng-tools,ou=groups,dc=tenure,dc=test' }],
    policies: [{ id: 'engineers', type: 'auto', rule: "department eq 'Engineering'", gracePeriod: 'P7D' }],
  },
});

const rolloutSchema = z
  .object({
    id: z.number().int(),
    packageId: z.string(),
    version: z.number().int(),
    reason: z.string(),
    status: z.enum(['pending', 'running', 'completed', 'superseded']).meta({ description: 'pending until the workflow picks it up; superseded by a newer change of the package' }),
    total: z.number().int().nullable().meta({ description: 'People known when it started' }),
    done: z.number().int().meta({ description: 'People asked to plan their access again' }),
    signalled: z.number().int().meta({ description: 'Of those, people whose workflow took the signal (the others have none running)' }),
    perSecond: z.number().int(),
    requestedBy: z.string(),
    workflowId: z.string(),
    createdAt: z.string(),
    startedAt: z.string().nullable(),
    finishedAt: z.string().nullable(),
  })
  .meta({ id: 'AccessRollout' });

const saveResultSchema = z
  .object({
    id: z.string(),
    version: z.number().int(),
    outcome: z.enum(['created', 'new-version', 'unchanged']),
    rollout: rolloutSchema.nullable().meta({ description: 'Started when the change can alter anyone’s access: automatic policies, resources, incompatibilities or the switch' }),
  })
  .meta({ id: 'AccessPackageSaved' });

const partySchema = z.union([z.object({ packageId: z.string() }), resourceSchema]).meta({ id: 'ConflictParty', description: 'An access package, or a group on a target however the person holds it' });
const conflictSchema = z.object({ packageId: z.string(), with: partySchema, reason: z.string() }).meta({ id: 'AccessConflict' });
const personSchema = { employeeId: z.string(), displayName: z.string(), department: z.string().nullable(), state: z.string() };

const impactSchema = z
  .object({
    dryRun: z.literal(true),
    packageId: z.string(),
    summary: z.object({ people: z.number().int().meta({ description: 'Everyone known, evaluated' }), gaining: z.number().int(), losing: z.number().int(), held: z.number().int(), conflicting: z.number().int() }),
    people: z.array(
      z.object({
        ...personSchema,
        gains: z.array(z.string()).meta({ description: 'Packages the person would gain' }),
        losses: z.array(z.object({ packageId: z.string(), reason: z.string(), until: z.string().optional().meta({ description: 'Kept until then (grace period)' }) })),
        holds: z.array(z.object({ packageId: z.string(), policyId: z.string(), conflict: z.string(), with: z.array(partySchema) })).meta({ description: 'Automatic assignments that would match but be held by a separation-of-duties conflict' }),
        conflicts: z.array(conflictSchema).meta({ description: 'Conflicts the person would hold that they do not hold now (an incompatibility declared over existing access)' }),
        groups: z.object({ gained: z.array(resourceSchema), lost: z.array(resourceSchema) }).meta({ description: 'Per target; a group a target rule keeps is not lost' }),
      }),
    ),
    unlisted: z.number().int().meta({ description: 'People affected beyond ?limit' }),
  })
  .meta({ id: 'AccessPackageDryRun' });

const dryRunQuery = z.object({
  dryRun: z.enum(['true', 'false']).optional().meta({ description: 'true: answer what the change would do, for everyone known, and save nothing' }),
  limit: z.coerce.number().int().min(1).max(10_000).default(500).meta({ description: 'How many affected people a dry run lists' }),
});

const admin = requireScope('admin');
const security = [{ bearerAuth: [] }];
const tags = ['Access packages'];
const body = { required: true, content: { 'application/json': { schema: packageInputDoc } } };

const routes = {
  list: createRoute({
    method: 'get',
    path: '/v1/access-packages',
    tags,
    summary: 'Every access package at its current version',
    security,
    middleware: admin,
    request: { query: z.object({ catalog: catalogIdSchema.optional() }) },
    responses: { 200: json(z.object({ items: z.array(accessPackageSchema) }), 'Packages'), ...errorResponses },
  }),
  create: createRoute({
    method: 'post',
    path: '/v1/access-packages',
    tags,
    summary: 'Create an access package (checked before it is saved), or answer what it would do',
    security,
    middleware: admin,
    request: { query: dryRunQuery, body },
    responses: { 200: json(impactSchema, 'Dry run: nothing saved'), 201: json(saveResultSchema, 'Saved as version 1'), ...errorResponses, 409: json(errorSchema, 'A package with that id exists') },
  }),
  get: createRoute({
    method: 'get',
    path: '/v1/access-packages/{id}',
    tags,
    summary: 'An access package, at its current or a given version',
    security,
    middleware: admin,
    request: { params: idParam, query: z.object({ version: z.coerce.number().int().positive().max(2_147_483_647).optional() }) },
    responses: { 200: json(accessPackageSchema, 'The package'), ...errorResponses, 404: notFound },
  }),
  update: createRoute({
    method: 'put',
    path: '/v1/access-packages/{id}',
    tags,
    summary: 'Save a new version, or answer what it would do',
    security,
    middleware: admin,
    request: { params: idParam, query: dryRunQuery, body },
    responses: { 200: json(z.union([saveResultSchema, impactSchema]), 'Saved, or the dry run'), ...errorResponses, 404: notFound },
  }),
  versions: createRoute({
    method: 'get',
    path: '/v1/access-packages/{id}/versions',
    tags,
    summary: 'The versions of a package, newest first',
    security,
    middleware: admin,
    request: { params: idParam },
    responses: { 200: json(z.object({ items: z.array(z.object({ version: z.number().int(), createdBy: z.string(), createdAt: z.string() })) }), 'Versions'), ...errorResponses, 404: notFound },
  }),
  enable: createRoute({
    method: 'post',
    path: '/v1/access-packages/{id}/enable',
    tags,
    summary: 'Switch a package on (?dryRun=true answers what that would do)',
    security,
    middleware: admin,
    request: { params: idParam, query: dryRunQuery },
    responses: { 200: json(z.union([saveResultSchema, impactSchema]), 'Enabled, or the dry run'), ...errorResponses, 404: notFound },
  }),
  disable: createRoute({
    method: 'post',
    path: '/v1/access-packages/{id}/disable',
    tags,
    summary: 'Switch a package off: automatic assignments end (after their grace period), no new ones (?dryRun=true answers what that would do)',
    security,
    middleware: admin,
    request: { params: idParam, query: dryRunQuery },
    responses: { 200: json(z.union([saveResultSchema, impactSchema]), 'Disabled, or the dry run'), ...errorResponses, 404: notFound },
  }),
  conflicts: createRoute({
    method: 'get',
    path: '/v1/access-packages/{id}/conflicts',
    tags,
    summary: 'People who hold this package together with a package or group declared incompatible (conflicts already present)',
    security,
    middleware: admin,
    request: { params: idParam, query: z.object({ after: employeeIdSchema.optional().meta({ description: 'The cursor from the previous page' }), limit: z.coerce.number().int().min(1).max(1000).default(100) }) },
    responses: { 200: json(z.object({ items: z.array(z.object({ ...personSchema, conflicts: z.array(conflictSchema) })), next: z.string().nullable() }), 'People in conflict, in employee id order'), ...errorResponses, 404: notFound },
  }),
  rollouts: createRoute({
    method: 'get',
    path: '/v1/access-packages/{id}/rollouts',
    tags,
    summary: 'The rollouts of saved changes to everyone already known, newest first, with their progress',
    security,
    middleware: admin,
    request: { params: idParam },
    responses: { 200: json(z.object({ items: z.array(rolloutSchema) }), 'Rollouts'), ...errorResponses, 404: notFound },
  }),
};

const presentPackage = (p: AccessPackageVersion) => ({ ...p, policies: p.policies as Record<string, unknown>[], hooks: p.hooks as Record<string, unknown>[] });

const presentRollout = (r: RolloutRow) => ({
  ...r,
  createdAt: r.createdAt.toISOString(),
  startedAt: r.startedAt?.toISOString() ?? null,
  finishedAt: r.finishedAt?.toISOString() ?? null,
});

export function accessPackageRoutes(deps: AppDeps) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  const context = lifecycleValidationContext(deps.config);
  const rolloutDeps: RolloutDeps = { db: deps.db, client: deps.temporal.client, taskQueue: deps.temporal.taskQueue, perSecond: deps.config.access.rolloutPerSecond, log: deps.log };
  const impactDeps = { db: deps.db, targets: deps.config.targets, now: deps.now };

  /** A policy that admits guests of organisations nobody connected would silently admit no one. */
  async function unknownOrganisations(accessPackage: AccessPackage) {
    const known = new Set((await listOrganisations(deps.db)).map((o) => o.id));
    return accessPackage.policies.flatMap((policy, i) =>
      policy.type === 'request' && policy.guests.type === 'organisations'
        ? policy.guests.organisations.flatMap((id, j) => (known.has(id) ? [] : [{ path: `policies.${i}.guests.organisations.${j}`, message: `no connected organisation "${id}"; create it with POST /v1/connected-organisations` }]))
        : [],
    );
  }

  /** Everything a package must be before it is saved or dry-run: valid, in an existing catalog, naming existing packages. */
  async function checked(input: unknown, pathId?: string): Promise<AccessPackage> {
    const result = validatePackage(input, context);
    if (!result.ok) throw validationFailed(result.errors);
    const accessPackage = result.accessPackage;
    const problems = [];
    if (pathId !== undefined && accessPackage.id !== pathId) problems.push({ path: 'id', message: `must be ${pathId}, the id in the path` });
    if (!(await findCatalog(deps.db, accessPackage.catalog))) problems.push({ path: 'catalog', message: `no catalog "${accessPackage.catalog}"; create it with POST /v1/catalogs` });
    const known = new Set((await listPackages(deps.db)).map((p) => p.id));
    problems.push(...packageReferenceProblems(accessPackage, known));
    problems.push(...(await unknownOrganisations(accessPackage)));
    if (problems.length > 0) throw validationFailed(problems);
    return accessPackage;
  }

  async function existing(id: string): Promise<AccessPackageVersion> {
    const found = await findPackage(deps.db, id);
    if (!found) throw new ApiError(404, 'not_found', `no access package ${id}`);
    return found;
  }

  async function dryRun(candidate: AccessPackage, version: number, limit: number) {
    const impact = await impactOfChange(impactDeps, { ...candidate, version }, limit);
    const people = impact.people.map((p) => ({ ...p, losses: p.losses.map((l) => ({ ...l, until: l.until === undefined ? undefined : new Date(l.until).toISOString() })) }));
    return { dryRun: true as const, packageId: candidate.id, ...impact, people };
  }

  async function save(accessPackage: AccessPackage, actor: string) {
    const saved = await savePackageChange(rolloutDeps, accessPackage, { source: 'api', actor });
    return { id: accessPackage.id, version: saved.version, outcome: saved.outcome, rollout: saved.rollout ? presentRollout(saved.rollout) : null };
  }

  app.openapi(routes.list, async (c) => {
    const { catalog } = c.req.valid('query');
    return c.json({ items: (await listPackages(deps.db, { catalogId: catalog })).map(presentPackage) }, 200);
  });

  app.openapi(routes.create, async (c) => {
    const input = c.req.valid('json');
    const query = c.req.valid('query');
    if (typeof input.id === 'string' && (await findPackage(deps.db, input.id))) throw new ApiError(409, 'conflict', `access package ${input.id} exists; PUT /v1/access-packages/${input.id} saves a new version`);
    const accessPackage = await checked(input);
    if (query.dryRun === 'true') return c.json(await dryRun(accessPackage, 1, query.limit), 200);
    return c.json(await save(accessPackage, c.get('apiKey').name), 201);
  });

  app.openapi(routes.get, async (c) => {
    const { id } = c.req.valid('param');
    const { version } = c.req.valid('query');
    const found = await findPackage(deps.db, id, version);
    if (!found) throw new ApiError(404, 'not_found', `no access package ${id}${version ? ` version ${version}` : ''}`);
    return c.json(presentPackage(found), 200);
  });

  app.openapi(routes.update, async (c) => {
    const { id } = c.req.valid('param');
    const query = c.req.valid('query');
    const current = await existing(id);
    const accessPackage = await checked(c.req.valid('json'), id);
    if (query.dryRun === 'true') return c.json(await dryRun(accessPackage, current.version + 1, query.limit), 200);
    return c.json(await save(accessPackage, c.get('apiKey').name), 200);
  });

  app.openapi(routes.versions, async (c) => {
    const { id } = c.req.valid('param');
    await existing(id);
    const items = await listPackageVersions(deps.db, id);
    return c.json({ items: items.map((v) => ({ ...v, createdAt: v.createdAt.toISOString() })) }, 200);
  });

  for (const [route, enabled] of [
    [routes.enable, true],
    [routes.disable, false],
  ] as const) {
    app.openapi(route, async (c) => {
      const { id } = c.req.valid('param');
      const query = c.req.valid('query');
      const before = await existing(id);
      const after = { ...before, enabled };
      if (query.dryRun === 'true') return c.json(await dryRun(after, before.version, query.limit), 200);
      await setPackageEnabled(deps.db, id, enabled);
      const reason = rolloutCause(before, after);
      const rollout = reason ? await startAccessRollout(rolloutDeps, { packageId: id, version: before.version, reason, requestedBy: c.get('apiKey').name }) : undefined;
      return c.json({ id, version: before.version, outcome: 'unchanged' as const, rollout: rollout ? presentRollout(rollout) : null }, 200);
    });
  }

  app.openapi(routes.conflicts, async (c) => {
    const { id } = c.req.valid('param');
    const { after, limit } = c.req.valid('query');
    await existing(id);
    const page = await conflictsOfPackage(impactDeps, id, { after, limit });
    return c.json({ items: page.people, next: page.next ?? null }, 200);
  });

  app.openapi(routes.rollouts, async (c) => {
    const { id } = c.req.valid('param');
    await existing(id);
    return c.json({ items: (await listRollouts(deps.db, id)).map(presentRollout) }, 200);
  });

  return app;
}
