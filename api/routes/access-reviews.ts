import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { Context } from 'hono';
import { campaignItems, campaignProgress, findCampaign, findReview, listCampaigns, listReviews, listReviewVersions, saveReview, setReviewEnabled, type CampaignRow, type StoredReview } from '../../db/queries/access-reviews';
import { campaignIdSchema, reviewIdSchema, upcomingOccurrences, validateReview, type AccessReview } from '../../domain/access-reviews';
import { employeeIdSchema } from '../../domain/worker-record';
import { applyReviewSignal, remindReviewersSignal, stopReviewSignal } from '../../workflows/messages';
import { ensureReviewSchedule, triggerReview } from '../access-review-schedules';
import { presentItems, reviewItemSchema } from '../access-review-service';
import { validationHook, type AppDeps } from '../app';
import { requireScope, type AppEnv } from '../auth';
import { toCsv } from '../csv';
import { ApiError, errorResponses, errorSchema, validationFailed } from '../errors';

// Access review definitions (created, versioned, switched on and off, each with its Temporal
// Schedule) and their campaigns: progress by stage and reviewer, remind now, stop early, apply,
// results per campaign and per reviewer, and the auditor's export.

const json = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { 'application/json': { schema } } });
const csv = (description: string) => ({ description, content: { 'text/csv': { schema: z.string() } } });
const security = [{ bearerAuth: [] }];
const admin = requireScope('admin');
const idParam = z.object({ id: reviewIdSchema.meta({ param: { name: 'id', in: 'path' }, example: 'quarterly-managers' }) });
const campaignParam = z.object({ campaignId: campaignIdSchema.meta({ param: { name: 'campaignId', in: 'path' } }) });
const notFound = json(errorSchema, 'No such review or campaign');

const reviewInputDoc = z.record(z.string(), z.unknown()).meta({
  id: 'AccessReviewInput',
  description:
    'id, name, description?, enabled?, scope (packages: [ids] | catalog: id | all-packages), who? (everyone | guests | inactive with days), stages[1–3] (reviewers: manager | self | owners | people; fallback?; duration?; passOn?), recurrence (frequency weekly|monthly|quarterly|semi-annually|annually|once|every, every?, start, end? never|date|after, duration), reminders? (fractions of a stage, default [0.5]), openMail?, noResponse? (no-change|remove|approve|recommendation), apply? (auto|manual), inactiveDays?. See the README.',
  example: { id: 'quarterly-managers', name: 'Quarterly manager review', scope: { type: 'all-packages' }, stages: [{ reviewers: [{ type: 'manager' }], fallback: [{ type: 'owners' }] }], recurrence: { frequency: 'quarterly', start: '2027-01-04T09:00:00Z', duration: 'P14D' }, noResponse: 'recommendation' },
});
const reviewSchema = z.record(z.string(), z.unknown()).meta({ id: 'AccessReview', description: 'The definition with every default filled, its version, source and the next occurrences' });
const savedSchema = z.object({ id: z.string(), version: z.number().int(), outcome: z.enum(['created', 'new-version', 'unchanged']) }).meta({ id: 'AccessReviewSaved' });
const progressSchema = z.object({ stage: z.number().int(), reviewer: z.string().nullable(), items: z.number().int(), decided: z.number().int(), approved: z.number().int(), denied: z.number().int(), dontKnow: z.number().int() });
const campaignSchema = z
  .object({
    id: z.string(),
    reviewId: z.string(),
    version: z.number().int(),
    status: z.enum(['open', 'awaiting-apply', 'applied']),
    stage: z.number().int(),
    stageCount: z.number().int(),
    stageEndsAt: z.string().nullable(),
    stoppedBy: z.string().nullable(),
    openedAt: z.string(),
    endedAt: z.string().nullable(),
    appliedAt: z.string().nullable(),
    appliedBy: z.string().nullable(),
  })
  .meta({ id: 'AccessReviewCampaign' });
const pageQuery = z.object({ after: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER).optional(), limit: z.coerce.number().int().min(1).max(5000).default(500) });

function presentReview(review: StoredReview, now: number) {
  return { ...review, createdAt: review.createdAt.toISOString(), updatedAt: review.updatedAt.toISOString(), upcoming: review.enabled ? upcomingOccurrences(review.recurrence, now, 3).map((t) => new Date(t).toISOString()) : [] };
}

const iso = (d: Date | null) => d?.toISOString() ?? null;
export const presentCampaign = (c: CampaignRow) => ({ ...c, stageEndsAt: iso(c.stageEndsAt), openedAt: c.openedAt.toISOString(), endedAt: iso(c.endedAt), appliedAt: iso(c.appliedAt) });

const routes = {
  list: createRoute({ method: 'get', path: '/v1/access-reviews', tags: ['Access reviews'], summary: 'Every review at its current version', security, middleware: admin, responses: { 200: json(z.object({ items: z.array(reviewSchema) }), 'Reviews'), ...errorResponses } }),
  create: createRoute({
    method: 'post',
    path: '/v1/access-reviews',
    tags: ['Access reviews'],
    summary: 'Create a review (checked before it is saved) and its schedule',
    security,
    middleware: admin,
    request: { body: { required: true, content: { 'application/json': { schema: reviewInputDoc } } } },
    responses: { 201: json(savedSchema, 'Saved as version 1; the schedule starts its occurrences'), ...errorResponses, 409: json(errorSchema, 'A review with that id exists') },
  }),
  get: createRoute({ method: 'get', path: '/v1/access-reviews/{id}', tags: ['Access reviews'], summary: 'A review at its current or a given version, with its next occurrences', security, middleware: admin, request: { params: idParam, query: z.object({ version: z.coerce.number().int().positive().max(2_147_483_647).optional() }) }, responses: { 200: json(reviewSchema, 'The review'), ...errorResponses, 404: notFound } }),
  update: createRoute({ method: 'put', path: '/v1/access-reviews/{id}', tags: ['Access reviews'], summary: 'Save a new version; the schedule follows it, open campaigns keep theirs', security, middleware: admin, request: { params: idParam, body: { required: true, content: { 'application/json': { schema: reviewInputDoc } } } }, responses: { 200: json(savedSchema, 'Saved'), ...errorResponses, 404: notFound } }),
  versions: createRoute({ method: 'get', path: '/v1/access-reviews/{id}/versions', tags: ['Access reviews'], summary: 'The versions of a review, newest first', security, middleware: admin, request: { params: idParam }, responses: { 200: json(z.object({ items: z.array(z.object({ version: z.number().int(), createdBy: z.string(), createdAt: z.string() })) }), 'Versions'), ...errorResponses, 404: notFound } }),
  enable: createRoute({ method: 'post', path: '/v1/access-reviews/{id}/enable', tags: ['Access reviews'], summary: 'Switch a review on (its schedule resumes)', security, middleware: admin, request: { params: idParam }, responses: { 200: json(reviewSchema, 'Enabled'), ...errorResponses, 404: notFound } }),
  disable: createRoute({ method: 'post', path: '/v1/access-reviews/{id}/disable', tags: ['Access reviews'], summary: 'Switch a review off (its schedule pauses; open campaigns go on)', security, middleware: admin, request: { params: idParam }, responses: { 200: json(reviewSchema, 'Disabled'), ...errorResponses, 404: notFound } }),
  start: createRoute({ method: 'post', path: '/v1/access-reviews/{id}/start', tags: ['Access reviews'], summary: 'Start an occurrence now, outside the recurrence', security, middleware: admin, request: { params: idParam }, responses: { 202: json(z.object({ started: z.literal(true) }), 'The schedule starts a campaign'), ...errorResponses, 404: notFound, 409: json(errorSchema, 'The review is disabled') } }),
  campaigns: createRoute({ method: 'get', path: '/v1/access-reviews/{id}/campaigns', tags: ['Access reviews'], summary: 'The campaigns of a review, newest first', security, middleware: admin, request: { params: idParam }, responses: { 200: json(z.object({ items: z.array(campaignSchema) }), 'Campaigns'), ...errorResponses, 404: notFound } }),
  campaign: createRoute({ method: 'get', path: '/v1/access-review-campaigns/{campaignId}', tags: ['Access reviews'], summary: 'A campaign and its progress by stage and reviewer', security, middleware: admin, request: { params: campaignParam }, responses: { 200: json(campaignSchema.extend({ progress: z.array(progressSchema) }), 'The campaign'), ...errorResponses, 404: notFound } }),
  remind: createRoute({ method: 'post', path: '/v1/access-review-campaigns/{campaignId}/remind', tags: ['Access reviews'], summary: 'Remind every reviewer with undecided items now', security, middleware: admin, request: { params: campaignParam }, responses: { 202: json(z.object({ accepted: z.literal(true) }), 'Reminders go out'), ...errorResponses, 404: notFound, 409: json(errorSchema, 'The campaign is not open') } }),
  stop: createRoute({ method: 'post', path: '/v1/access-review-campaigns/{campaignId}/stop', tags: ['Access reviews'], summary: 'End the open stage now; later stages do not open, and the outcome is applied as configured', security, middleware: admin, request: { params: campaignParam }, responses: { 202: json(z.object({ accepted: z.literal(true) }), 'The campaign stops'), ...errorResponses, 404: notFound, 409: json(errorSchema, 'The campaign is not open') } }),
  apply: createRoute({ method: 'post', path: '/v1/access-review-campaigns/{campaignId}/apply', tags: ['Access reviews'], summary: 'Apply a campaign that waits for an administrator (apply: manual)', security, middleware: admin, request: { params: campaignParam }, responses: { 202: json(z.object({ accepted: z.literal(true) }), 'Applying'), ...errorResponses, 404: notFound, 409: json(errorSchema, 'The campaign does not wait to be applied') } }),
  results: createRoute({
    method: 'get',
    path: '/v1/access-review-campaigns/{campaignId}/results',
    tags: ['Access reviews'],
    summary: 'Every item of the campaign (all stages) with its decision, outcome and effect, optionally one reviewer’s; JSON or CSV',
    security,
    middleware: admin,
    request: { params: campaignParam, query: pageQuery.extend({ reviewer: employeeIdSchema.optional(), format: z.enum(['json', 'csv']).default('json') }) },
    responses: { 200: { description: 'A page of items; for CSV the next cursor is in X-Next-Cursor', content: { 'application/json': { schema: z.object({ items: z.array(reviewItemSchema), nextCursor: z.number().int().nullable() }) }, 'text/csv': { schema: z.string() } } }, ...errorResponses, 404: notFound },
  }),
  export: createRoute({ method: 'get', path: '/v1/access-review-campaigns/{campaignId}/export', tags: ['Access reviews'], summary: 'The auditor’s export of the whole campaign as CSV: who reviewed what, when, with what decision and effect', security, middleware: admin, request: { params: campaignParam }, responses: { 200: csv('The whole campaign'), ...errorResponses, 404: notFound } }),
};

export function accessReviewRoutes(deps: AppDeps) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  const { client, taskQueue } = deps.temporal;

  function valid(body: unknown, pathId?: string): AccessReview {
    const result = validateReview(body);
    if (!result.ok) throw validationFailed(result.errors);
    if (pathId !== undefined && result.review.id !== pathId) throw validationFailed([{ path: 'id', message: `must be ${pathId}, the id in the path` }]);
    return result.review;
  }
  async function existing(id: string): Promise<StoredReview> {
    const found = await findReview(deps.db, id);
    if (!found) throw new ApiError(404, 'not_found', `no access review ${id}`);
    return found;
  }
  async function campaign(id: string): Promise<CampaignRow> {
    const found = await findCampaign(deps.db, id);
    if (!found) throw new ApiError(404, 'not_found', `no access review campaign ${id}`);
    return found;
  }
  async function save(c: Context<AppEnv>, review: AccessReview) {
    const saved = await saveReview(deps.db, review, { source: 'api', actor: c.get('apiKey').name });
    await ensureReviewSchedule(client, taskQueue, (await existing(review.id)) satisfies AccessReview);
    return { id: review.id, ...saved };
  }
  /** Signals the campaign's workflow; a campaign whose workflow has ended is answered 409. */
  async function tell(id: string, send: (handle: ReturnType<typeof client.workflow.getHandle>) => Promise<void>) {
    try {
      await client.withDeadline(Date.now() + deps.deliveryTimeoutMs, () => send(client.workflow.getHandle(id)));
    } catch (error) {
      if (error instanceof WorkflowNotFoundError || (error as Error).message?.includes('already completed')) throw new ApiError(409, 'not_open', `access review campaign ${id} has ended`);
      throw error;
    }
  }

  app.openapi(routes.list, async (c) => c.json({ items: (await listReviews(deps.db)).map((r) => presentReview(r, deps.now().getTime())) }, 200));

  app.openapi(routes.create, async (c) => {
    const review = valid(c.req.valid('json'));
    if (await findReview(deps.db, review.id)) throw new ApiError(409, 'conflict', `access review ${review.id} exists; PUT /v1/access-reviews/${review.id} saves a new version`);
    return c.json(await save(c, review), 201);
  });

  app.openapi(routes.get, async (c) => {
    const { id } = c.req.valid('param');
    const { version } = c.req.valid('query');
    const found = await findReview(deps.db, id, version);
    if (!found) throw new ApiError(404, 'not_found', `no access review ${id}${version ? ` version ${version}` : ''}`);
    return c.json(presentReview(found, deps.now().getTime()), 200);
  });

  app.openapi(routes.update, async (c) => {
    const { id } = c.req.valid('param');
    await existing(id);
    return c.json(await save(c, valid(c.req.valid('json'), id)), 200);
  });

  app.openapi(routes.versions, async (c) => {
    const { id } = c.req.valid('param');
    await existing(id);
    return c.json({ items: (await listReviewVersions(deps.db, id)).map((v) => ({ ...v, createdAt: v.createdAt.toISOString() })) }, 200);
  });

  for (const [route, enabled] of [
    [routes.enable, true],
    [routes.disable, false],
  ] as const) {
    app.openapi(route, async (c) => {
      const { id } = c.req.valid('param');
      if (!(await setReviewEnabled(deps.db, id, enabled))) throw new ApiError(404, 'not_found', `no access review ${id}`);
      const review = await existing(id);
      await ensureReviewSchedule(client, taskQueue, review);
      return c.json(presentReview(review, deps.now().getTime()), 200);
    });
  }

  app.openapi(routes.start, async (c) => {
    const { id } = c.req.valid('param');
    const review = await existing(id);
    if (!review.enabled) throw new ApiError(409, 'disabled', `access review ${id} is disabled; enable it first`);
    if (!(await triggerReview(client, taskQueue, id))) {
      await ensureReviewSchedule(client, taskQueue, review);
      await triggerReview(client, taskQueue, id);
    }
    return c.json({ started: true as const }, 202);
  });

  app.openapi(routes.campaigns, async (c) => {
    const { id } = c.req.valid('param');
    await existing(id);
    return c.json({ items: (await listCampaigns(deps.db, id)).map(presentCampaign) }, 200);
  });

  app.openapi(routes.campaign, async (c) => {
    const { campaignId } = c.req.valid('param');
    const found = await campaign(campaignId);
    return c.json({ ...presentCampaign(found), progress: await campaignProgress(deps.db, campaignId) }, 200);
  });

  app.openapi(routes.remind, async (c) => {
    const { campaignId } = c.req.valid('param');
    if ((await campaign(campaignId)).stageEndsAt === null) throw new ApiError(409, 'not_open', `access review campaign ${campaignId} has no open stage`);
    await tell(campaignId, (h) => h.signal(remindReviewersSignal, { by: c.get('apiKey').name }));
    return c.json({ accepted: true as const }, 202);
  });

  app.openapi(routes.stop, async (c) => {
    const { campaignId } = c.req.valid('param');
    if ((await campaign(campaignId)).stageEndsAt === null) throw new ApiError(409, 'not_open', `access review campaign ${campaignId} has no open stage`);
    await tell(campaignId, (h) => h.signal(stopReviewSignal, { by: c.get('apiKey').name }));
    return c.json({ accepted: true as const }, 202);
  });

  app.openapi(routes.apply, async (c) => {
    const { campaignId } = c.req.valid('param');
    if ((await campaign(campaignId)).status !== 'awaiting-apply') throw new ApiError(409, 'not_awaiting', `access review campaign ${campaignId} does not wait to be applied`);
    await tell(campaignId, (h) => h.signal(applyReviewSignal, { by: c.get('apiKey').name }));
    return c.json({ accepted: true as const }, 202);
  });

  app.openapi(routes.results, async (c) => {
    const { campaignId } = c.req.valid('param');
    const q = c.req.valid('query');
    await campaign(campaignId);
    const rows = await campaignItems(deps.db, campaignId, { reviewer: q.reviewer, after: q.after, limit: q.limit });
    const items = await presentItems(deps, rows);
    const nextCursor = rows.length === q.limit ? rows.at(-1)!.id : null;
    if (q.format === 'json') return c.json({ items, nextCursor }, 200);
    c.header('content-disposition', `attachment; filename="review-results.csv"`);
    if (nextCursor) c.header('x-next-cursor', String(nextCursor));
    return c.body(toCsv(items.map(auditRow)), 200, { 'content-type': 'text/csv; charset=utf-8' });
  });

  app.openapi(routes.export, async (c) => {
    const { campaignId } = c.req.valid('param');
    const found = await campaign(campaignId);
    const chunks: string[] = [];
    for (let after: number | undefined; ; ) {
      const rows = await campaignItems(deps.db, campaignId, { after, limit: 5000 });
      const csvText = toCsv((await presentItems(deps, rows)).map((item) => ({ campaignId: found.id, reviewId: found.reviewId, reviewVersion: found.version, ...auditRow(item) })));
      // One header: later pages drop theirs.
      chunks.push(chunks.length === 0 ? csvText : csvText.slice(csvText.indexOf('\r\n') + 2));
      if (rows.length < 5000) break;
      after = rows.at(-1)!.id;
    }
    c.header('content-disposition', `attachment; filename="review-campaign.csv"`);
    return c.body(chunks.join(''), 200, { 'content-type': 'text/csv; charset=utf-8' });
  });

  return app;
}

/** One item as an auditor reads it: what was reviewed, by whom, when, the decision, the outcome and its effect. */
function auditRow(item: Awaited<ReturnType<typeof presentItems>>[number]) {
  return {
    item: item.id,
    stage: item.stage,
    employeeId: item.employeeId,
    displayName: item.displayName,
    packageId: item.packageId,
    packageName: item.packageName,
    assignmentId: item.assignmentId,
    reviewers: item.reviewers.join(' '),
    recommendation: item.recommendation,
    recommendationReason: item.recommendationReason,
    decision: item.decision,
    decidedBy: item.decidedBy,
    decidedAt: item.decidedAt,
    justification: item.justification,
    passedOn: item.passed,
    outcome: item.outcome,
    outcomeBy: item.outcomeBy,
    effect: item.effect,
    appliedAt: item.appliedAt,
  };
}
