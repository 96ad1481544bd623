import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { appendAuditEvents } from '../../db/queries/audit';
import { deleteOrganisation, DomainTakenError, findOrganisation, listOrganisations, saveOrganisation, type OrganisationRow } from '../../db/queries/guests';
import { findIdentities } from '../../db/queries/identities';
import { organisationIdSchema, organisationStates, validateOrganisation, type ConnectedOrganisation } from '../../domain/connected-organisations';
import { validationHook, type AppDeps } from '../app';
import { requireScope, type AppEnv } from '../auth';
import { ApiError, errorResponses, errorSchema, validationFailed } from '../errors';

// Connected organisations: the partners whose people may sign in as guests, by mail domain, and
// the internal sponsors who vouch for them. Administrators only.

const json = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { 'application/json': { schema } } });
const idParam = z.object({ id: organisationIdSchema.meta({ param: { name: 'id', in: 'path' }, example: 'contoso' }) });
const notFound = json(errorSchema, 'No such connected organisation');
const security = [{ bearerAuth: [] }];
const tags = ['Guests'];
const admin = requireScope('admin');

const organisationSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    domains: z.array(z.string()),
    sponsors: z.array(z.string()).meta({ description: 'Employee ids of the internal sponsors (approver kind "sponsors")' }),
    state: z.enum(organisationStates).meta({ description: 'configured by an administrator, or proposed when a guest of an unknown domain asked for a package open to anyone' }),
    source: z.string().meta({ description: '"api", "proposed", or file:<name> for one loaded from guests.organisationsFile' }),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'ConnectedOrganisation' });

const inputDoc = z.record(z.string(), z.unknown()).meta({
  id: 'ConnectedOrganisationInput',
  description: 'id (lowercase, digits, "-"), name, domains[] (mail domains, each in one organisation only), sponsors[]? (employee ids of people Tenure knows), state? (configured | proposed; default configured).',
  example: { id: 'contoso', name: 'Contoso Ltd', domains: ['contoso.com'], sponsors: ['E1001'], state: 'configured' },
});

const present = (row: OrganisationRow) => ({ id: row.id, name: row.name, domains: row.domains, sponsors: row.sponsors, state: row.state, source: row.source, createdAt: row.createdAt.toISOString(), updatedAt: row.updatedAt.toISOString() });

const routes = {
  list: createRoute({
    method: 'get',
    path: '/v1/connected-organisations',
    tags,
    summary: 'Connected organisations, configured and proposed',
    security,
    middleware: admin,
    request: { query: z.object({ state: z.enum(organisationStates).optional() }) },
    responses: { 200: json(z.object({ items: z.array(organisationSchema) }), 'Connected organisations'), ...errorResponses },
  }),
  get: createRoute({ method: 'get', path: '/v1/connected-organisations/{id}', tags, summary: 'One connected organisation', security, middleware: admin, request: { params: idParam }, responses: { 200: json(organisationSchema, 'The organisation'), ...errorResponses, 404: notFound } }),
  create: createRoute({
    method: 'post',
    path: '/v1/connected-organisations',
    tags,
    summary: 'Connect an organisation',
    security,
    middleware: admin,
    request: { body: { required: true, content: { 'application/json': { schema: inputDoc } } } },
    responses: { 201: json(organisationSchema, 'Created'), ...errorResponses, 409: json(errorSchema, 'The id exists, or a domain belongs to another organisation') },
  }),
  update: createRoute({
    method: 'put',
    path: '/v1/connected-organisations/{id}',
    tags,
    summary: 'Change an organisation (a proposed one becomes configured by saying so)',
    security,
    middleware: admin,
    request: { params: idParam, body: { required: true, content: { 'application/json': { schema: inputDoc } } } },
    responses: { 200: json(organisationSchema, 'Saved'), ...errorResponses, 404: notFound, 409: json(errorSchema, 'A domain belongs to another organisation') },
  }),
  remove: createRoute({
    method: 'delete',
    path: '/v1/connected-organisations/{id}',
    tags,
    summary: 'Disconnect an organisation that has no guests',
    security,
    middleware: admin,
    request: { params: idParam },
    responses: { 204: { description: 'Deleted' }, ...errorResponses, 404: notFound, 409: json(errorSchema, 'The organisation has guests') },
  }),
};

export function connectedOrganisationRoutes(deps: AppDeps) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

  /** Validates the body (and that every sponsor is a person Tenure knows), then saves it with its audit row. */
  async function save(body: unknown, actor: string, pathId?: string): Promise<{ organisation: ConnectedOrganisation; outcome: 'created' | 'changed' | 'unchanged' }> {
    const result = validateOrganisation(body);
    if (!result.ok) throw validationFailed(result.errors);
    const { organisation } = result;
    if (pathId !== undefined && organisation.id !== pathId) throw validationFailed([{ path: 'id', message: `must be ${pathId}, the id in the path` }]);
    const known = new Set((await findIdentities(deps.db, organisation.sponsors)).filter((i) => i.type === 'worker').map((i) => i.employeeId));
    const unknown = organisation.sponsors.flatMap((id, i) => (known.has(id) ? [] : [{ path: `sponsors.${i}`, message: `no employee ${id}` }]));
    if (unknown.length > 0) throw validationFailed(unknown);
    let outcome: 'created' | 'changed' | 'unchanged';
    try {
      outcome = await saveOrganisation(deps.db, organisation, 'api');
    } catch (error) {
      if (!(error instanceof DomainTakenError)) throw error;
      const index = organisation.domains.indexOf(error.domain);
      throw new ApiError(409, 'domain_taken', error.message, [{ path: `domains.${index}`, message: `belongs to ${error.owner}` }]);
    }
    if (outcome !== 'unchanged') {
      await appendAuditEvents(deps.db, [
        { kind: `organisation.${outcome}`, actor, system: 'guests', summary: `${actor} ${outcome} connected organisation ${organisation.id} (${organisation.state}, ${organisation.domains.join(', ')})`, details: { ...organisation } },
      ]);
    }
    return { organisation, outcome };
  }

  const found = async (id: string) => {
    const row = await findOrganisation(deps.db, id);
    if (!row) throw new ApiError(404, 'not_found', `no connected organisation ${id}`);
    return row;
  };

  app.openapi(routes.list, async (c) => c.json({ items: (await listOrganisations(deps.db, c.req.valid('query'))).map(present) }, 200));

  app.openapi(routes.get, async (c) => c.json(present(await found(c.req.valid('param').id)), 200));

  app.openapi(routes.create, async (c) => {
    const body: unknown = c.req.valid('json');
    const id = validateOrganisation(body);
    if (id.ok && (await findOrganisation(deps.db, id.organisation.id))) throw new ApiError(409, 'exists', `connected organisation ${id.organisation.id} exists: PUT /v1/connected-organisations/${id.organisation.id} changes it`, [{ path: 'id', message: 'taken' }]);
    const { organisation } = await save(body, c.get('apiKey').name);
    return c.json(present(await found(organisation.id)), 201);
  });

  app.openapi(routes.update, async (c) => {
    const { id } = c.req.valid('param');
    await found(id);
    await save(c.req.valid('json'), c.get('apiKey').name, id);
    return c.json(present(await found(id)), 200);
  });

  app.openapi(routes.remove, async (c) => {
    const { id } = c.req.valid('param');
    const actor = c.get('apiKey').name;
    const outcome = await deleteOrganisation(deps.db, id);
    if (outcome === 'missing') throw new ApiError(404, 'not_found', `no connected organisation ${id}`);
    if (outcome === 'has-guests') throw new ApiError(409, 'has_guests', `connected organisation ${id} has guests; they keep it`, [{ path: 'id', message: 'has guests' }]);
    await appendAuditEvents(deps.db, [{ kind: 'organisation.deleted', actor, system: 'guests', summary: `${actor} disconnected organisation ${id}`, details: { id } }]);
    return c.body(null, 204);
  });

  return app;
}
