import type { Hono } from 'hono';
import type { AppDeps } from '../api/app';
import { presentItems, reviewerItem, sendDecisions } from '../api/access-review-service';
import { ApiError } from '../api/errors';
import { findCampaign, findReview, openItemsOf, openReviewsOf } from '../db/queries/access-reviews';
import { campaignIdSchema, reviewDecisions, reviewItemIdSchema, type ReviewDecision } from '../domain/access-reviews';
import { checkForm, requirePortalScope, signedIn, textField, type PortalEnv } from './context';
import { Layout, render, when } from './render';

// A reviewer's side of access reviews: what waits for them in each open campaign, with the
// recommendation and earlier stages' answers, decided one item at a time — the services of
// /v1/me/reviews.

const answers: Record<ReviewDecision, string> = { approve: 'Keep', deny: 'Remove', 'dont-know': 'Don’t know' };
const pageSize = 50;

export function reviewPages(app: Hono<PortalEnv>, deps: AppDeps) {
  const selfService = requirePortalScope('self-service');

  app.get('/portal/reviews', selfService, async (c) => {
    const session = signedIn(c);
    const campaigns = [];
    for (const open of await openReviewsOf(deps.db, session.employeeId)) {
      const campaign = await findCampaign(deps.db, open.campaignId);
      if (!campaign) continue;
      const review = await findReview(deps.db, campaign.reviewId, campaign.version);
      const items = await presentItems(deps, await openItemsOf(deps.db, open.campaignId, session.employeeId, { limit: pageSize }));
      campaigns.push({ open, name: review?.name ?? campaign.reviewId, endsAt: campaign.stageEndsAt, items });
    }
    return render(
      c,
      <Layout title="Reviews" session={session} active="reviews" notice={c.req.query('done') === 'decided' ? 'Your answer was recorded. You can change it until the stage ends.' : undefined}>
        {campaigns.length === 0 ? <p>No access review waits for you.</p> : null}
        {campaigns.map(({ open, name, endsAt, items }) => (
          <section aria-labelledby={`campaign-${open.campaignId}`}>
            <h2 id={`campaign-${open.campaignId}`}>{name}</h2>
            <p class="muted">
              Stage {open.stage}, {open.decided} of {open.items} answered, open until {when(endsAt)}.
            </p>
            {items.map((item) => (
              <article class="card" aria-labelledby={`item-${item.id}`}>
                <h3 id={`item-${item.id}`}>
                  {item.displayName ?? item.employeeId}: {item.packageName ?? item.packageId}
                </h3>
                <dl>
                  <dt>Suggested</dt>
                  <dd>
                    {answers[item.recommendation]} — {item.recommendationReason}
                  </dd>
                  {item.earlier.map((e) => (
                    <>
                      <dt>Stage {e.stage}</dt>
                      <dd>
                        {e.answer}
                        {e.justification ? ` — “${e.justification}”` : ''}
                      </dd>
                    </>
                  ))}
                  <dt>Your answer</dt>
                  <dd>{item.decision ? answers[item.decision] : 'none yet'}</dd>
                </dl>
                <form method="post" action={`/portal/reviews/${encodeURIComponent(open.campaignId)}/items/${item.id}`}>
                  <input type="hidden" name="csrf" value={session.csrf} />
                  <label for={`why-${item.id}`}>Your reason (optional)</label>
                  <textarea id={`why-${item.id}`} name="justification" rows={2} maxlength={2000}></textarea>
                  <div class="actions">
                    {reviewDecisions.map((d) => (
                      <button type="submit" name="decision" value={d} class={d === 'deny' ? 'secondary' : d === 'dont-know' ? 'plain' : undefined}>
                        {answers[d]}
                      </button>
                    ))}
                  </div>
                </form>
              </article>
            ))}
          </section>
        ))}
      </Layout>,
    );
  });

  app.post('/portal/reviews/:campaignId/items/:itemId', selfService, checkForm, async (c) => {
    const session = signedIn(c);
    const campaignId = campaignIdSchema.safeParse(c.req.param('campaignId'));
    const itemId = reviewItemIdSchema.safeParse(c.req.param('itemId'));
    if (!campaignId.success || !itemId.success) throw new ApiError(404, 'not_found', 'There is no such review item.');
    const form = c.get('form');
    const decision = reviewDecisions.find((d) => d === form.decision);
    if (!decision) throw new ApiError(400, 'validation_failed', 'Choose keep, remove or don’t know.', [{ path: 'decision', message: 'keep, remove or don’t know' }]);
    // Another reviewer's item is refused here, as by the API.
    const item = await reviewerItem(deps, campaignId.data, itemId.data, session.employeeId);
    await sendDecisions(deps, session.employeeId, [{ item, decision: { itemId: item.id, decision, justification: textField(form, 'justification', 2000, 'Your reason') } }], 'portal');
    return c.redirect('/portal/reviews?done=decided', 303);
  });
}
