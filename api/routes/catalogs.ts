import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { findCatalog, listCatalogs, listPackages, saveCatalog, type CatalogRow } from '../../db/queries/access';
import { catalogIdSchema, validateCatalog } from '../../domain/access-packages';
import { validationHook, type AppDeps } from '../app';
import { requireScope, type AppEnv } from '../auth';
import { ApiError, errorResponses, errorSchema, validationFailed } from '../errors';

// Catalogs: the groups of access packages and the people who own them.

const idParam = z.object({ id: catalogIdSchema.meta({ param: { name: 'id', in: 'path' }, example: 'engineering' }) });
const json = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { 'application/json': { schema } } });
const notFound = json(errorSchema, 'No such catalog');

const catalogSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string().nullable(),
    owners: z.array(z.string()).meta({ description: 'Employee ids of the owners' }),
    source: z.string().meta({ description: '"api", or file:<name> for a catalog loaded from TENURE_ACCESS_CATALOGS_DIR' }),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Catalog' });

const catalogDetailSchema = catalogSchema
  .extend({ packages: z.array(z.object({ id: z.string(), name: z.string(), enabled: z.boolean(), version: z.number().int() })) })
  .meta({ id: 'CatalogDetail' });

const catalogInputDoc = z.record(z.string(), z.unknown()).meta({
  id: 'CatalogInput',
  description: 'id (lowercase, digits, "-"), name, description?, owners? (employee ids).',
  example: { id: 'engineering', name: 'Engineering', description: 'Tools and shares of the engineering teams', owners: ['E1001'] },
});

const saveResultSchema = z.object({ id: z.string(), outcome: z.enum(['created', 'new-version', 'unchanged']) }).meta({ id: 'CatalogSaved' });

const present = (row: CatalogRow) => ({ id: row.id, name: row.name, description: row.description, owners: row.owners, source: row.source, createdAt: row.createdAt.toISOString(), updatedAt: row.updatedAt.toISOString() });

const admin = requireScope('admin');
const security = [{ bearerAuth: [] }];
const tags = ['Access packages'];

const routes = {
  list: createRoute({ method: 'get', path: '/v1/catalogs', tags, summary: 'Every catalog', security, middleware: admin, responses: { 200: json(z.object({ items: z.array(catalogSchema) }), 'Catalogs'), ...errorResponses } }),
  create: createRoute({
    method: 'post',
    path: '/v1/catalogs',
    tags,
    summary: 'Create a catalog',
    security,
    middleware: admin,
    request: { body: { required: true, content: { 'application/json': { schema: catalogInputDoc } } } },
    responses: { 201: json(saveResultSchema, 'Created'), ...errorResponses, 409: json(errorSchema, 'A catalog with that id exists') },
  }),
  get: createRoute({ method: 'get', path: '/v1/catalogs/{id}', tags, summary: 'A catalog and its packages', security, middleware: admin, request: { params: idParam }, responses: { 200: json(catalogDetailSchema, 'The catalog'), ...errorResponses, 404: notFound } }),
  update: createRoute({
    method: 'put',
    path: '/v1/catalogs/{id}',
    tags,
    summary: 'Change a catalog’s name, description or owners',
    security,
    middleware: admin,
    request: { params: idParam, body: { required: true, content: { 'application/json': { schema: catalogInputDoc } } } },
    responses: { 200: json(saveResultSchema, 'Saved'), ...errorResponses, 404: notFound },
  }),
};

export function catalogRoutes(deps: AppDeps) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

  async function save(body: unknown, pathId?: string) {
    const result = validateCatalog(body);
    if (!result.ok) throw validationFailed(result.errors);
    if (pathId !== undefined && result.catalog.id !== pathId) throw validationFailed([{ path: 'id', message: `must be ${pathId}, the id in the path` }]);
    return { id: result.catalog.id, outcome: await saveCatalog(deps.db, result.catalog, 'api') };
  }

  app.openapi(routes.list, async (c) => c.json({ items: (await listCatalogs(deps.db)).map(present) }, 200));

  app.openapi(routes.create, async (c) => {
    const body = c.req.valid('json');
    if (typeof body.id === 'string' && (await findCatalog(deps.db, body.id))) throw new ApiError(409, 'conflict', `catalog ${body.id} exists; PUT /v1/catalogs/${body.id} changes it`);
    return c.json(await save(body), 201);
  });

  app.openapi(routes.get, async (c) => {
    const { id } = c.req.valid('param');
    const row = await findCatalog(deps.db, id);
    if (!row) throw new ApiError(404, 'not_found', `no catalog ${id}`);
    const packages = await listPackages(deps.db, { catalogId: id });
    return c.json({ ...present(row), packages: packages.map((p) => ({ id: p.id, name: p.name, enabled: p.enabled, version: p.version })) }, 200);
  });

  app.openapi(routes.update, async (c) => {
    const { id } = c.req.valid('param');
    if (!(await findCatalog(deps.db, id))) throw new ApiError(404, 'not_found', `no catalog ${id}`);
    return c.json(await save(c.req.valid('json'), id), 200);
  });

  return app;
}
