import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { findCampaign, openItemsOf, openReviewsOf } from '../../db/queries/access-reviews';
import { findReview } from '../../db/queries/access-reviews';
import { campaignIdSchema, reviewDecisions, reviewItemIdSchema } from '../../domain/access-reviews';
import { bulkDecide, presentItems, reviewerItem, reviewItemSchema, sendDecisions } from '../access-review-service';
import { validationHook, type AppDeps } from '../app';
import { requireScope, type AppEnv } from '../auth';
import { noDeadline } from '../deadline';
import { ApiError, errorResponses, errorSchema } from '../errors';
import { requirePerson } from './me';

// A reviewer's side of access reviews, for a self-service key bound to them: the reviews waiting
// for them, their items with recommendations, one decision at a time or in bulk. Another
// reviewer's item is refused with 403.

const json = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { 'application/json': { schema } } });
const security = [{ bearerAuth: [] }];
const me = [requireScope('self-service'), requirePerson];
const notFound = json(errorSchema, 'No such campaign or item');
const forbidden = json(errorSchema, 'The item is another reviewer’s, or the key acts as nobody');
const campaignParam = z.object({ campaignId: campaignIdSchema.meta({ param: { name: 'campaignId', in: 'path' } }) });
const itemParams = campaignParam.extend({ itemId: reviewItemIdSchema.meta({ param: { name: 'itemId', in: 'path' } }) });
const closed = json(errorSchema, 'The stage has ended: decisions can no longer change');

const routes = {
  reviews: createRoute({
    method: 'get',
    path: '/v1/me/reviews',
    tags: ['Me'],
    summary: 'Open reviews with items waiting for me, and how far I got',
    security,
    middleware: me,
    responses: { 200: json(z.object({ items: z.array(z.object({ campaignId: z.string(), reviewId: z.string(), reviewName: z.string(), stage: z.number().int(), stageEndsAt: z.string().nullable(), items: z.number().int(), decided: z.number().int() })) }), 'My open reviews'), ...errorResponses },
  }),
  items: createRoute({
    method: 'get',
    path: '/v1/me/reviews/{campaignId}/items',
    tags: ['Me'],
    summary: 'My open items in a campaign, each with its recommendation and reason',
    security,
    middleware: me,
    request: { params: campaignParam, query: z.object({ after: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER).optional(), limit: z.coerce.number().int().min(1).max(1000).default(200) }) },
    responses: { 200: json(z.object({ items: z.array(reviewItemSchema), nextCursor: z.number().int().nullable() }), 'My items'), ...errorResponses, 404: notFound },
  }),
  item: createRoute({ method: 'get', path: '/v1/me/reviews/{campaignId}/items/{itemId}', tags: ['Me'], summary: 'One of my items', security, middleware: me, request: { params: itemParams }, responses: { 200: json(reviewItemSchema, 'The item'), ...errorResponses, 403: forbidden, 404: notFound } }),
  decide: createRoute({
    method: 'post',
    path: '/v1/me/reviews/{campaignId}/items/{itemId}/decision',
    tags: ['Me'],
    summary: 'Approve, deny or "don’t know" one of my items; changeable until the stage ends',
    security,
    middleware: [...me, noDeadline],
    request: { params: itemParams, body: { required: true, content: { 'application/json': { schema: z.strictObject({ decision: z.enum(reviewDecisions), justification: z.string().max(2000).optional() }) } } } },
    responses: { 200: json(reviewItemSchema, 'The item with my decision'), ...errorResponses, 403: forbidden, 404: notFound, 409: closed },
  }),
  bulk: createRoute({
    method: 'post',
    path: '/v1/me/reviews/{campaignId}/bulk',
    tags: ['Me'],
    summary: 'Decide all my undecided items at once: take each recommendation, or approve them',
    security,
    middleware: [...me, noDeadline],
    request: { params: campaignParam, body: { required: true, content: { 'application/json': { schema: z.strictObject({ mode: z.enum(['accept-recommendations', 'approve-rest']), justification: z.string().max(2000).optional() }) } } } },
    responses: { 200: json(z.object({ decided: z.number().int() }), 'How many were decided'), ...errorResponses, 403: forbidden, 404: notFound, 409: closed },
  }),
};

export function myReviewRoutes(deps: AppDeps) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  const reviewer = (c: { get: (key: 'apiKey') => { employeeId?: string } }) => c.get('apiKey').employeeId!;

  app.openapi(routes.reviews, async (c) => {
    const items = [];
    for (const open of await openReviewsOf(deps.db, reviewer(c))) {
      const campaign = await findCampaign(deps.db, open.campaignId);
      if (!campaign) continue;
      const review = await findReview(deps.db, campaign.reviewId, campaign.version);
      items.push({ ...open, reviewId: campaign.reviewId, reviewName: review?.name ?? campaign.reviewId, stageEndsAt: campaign.stageEndsAt?.toISOString() ?? null });
    }
    return c.json({ items }, 200);
  });

  app.openapi(routes.items, async (c) => {
    const { campaignId } = c.req.valid('param');
    const q = c.req.valid('query');
    if (!(await findCampaign(deps.db, campaignId))) throw new ApiError(404, 'not_found', `no review campaign ${campaignId}`, [{ path: 'campaignId', message: 'no such campaign' }]);
    const rows = await openItemsOf(deps.db, campaignId, reviewer(c), q);
    return c.json({ items: await presentItems(deps, rows), nextCursor: rows.length === q.limit ? rows.at(-1)!.id : null }, 200);
  });

  app.openapi(routes.item, async (c) => {
    const { campaignId, itemId } = c.req.valid('param');
    const [item] = await presentItems(deps, [await reviewerItem(deps, campaignId, itemId, reviewer(c))]);
    return c.json(item!, 200);
  });

  app.openapi(routes.decide, async (c) => {
    const { campaignId, itemId } = c.req.valid('param');
    const { decision, justification } = c.req.valid('json');
    const item = await reviewerItem(deps, campaignId, itemId, reviewer(c));
    await sendDecisions(deps, reviewer(c), [{ item, decision: { itemId, decision, justification } }], 'api');
    const [presented] = await presentItems(deps, [await reviewerItem(deps, campaignId, itemId, reviewer(c))]);
    return c.json(presented!, 200);
  });

  app.openapi(routes.bulk, async (c) => {
    const { campaignId } = c.req.valid('param');
    const { mode, justification } = c.req.valid('json');
    return c.json({ decided: await bulkDecide(deps, campaignId, reviewer(c), mode, justification) }, 200);
  });

  return app;
}
