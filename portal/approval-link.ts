import { Hono } from 'hono';
import { html } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import { approvalTokenHash, findApprovalLink, findPackage, findRequest, releaseApprovalLink, useApprovalLink, type ApprovalLinkRow, type RequestRow } from '../db/queries/access';
import { findIdentity } from '../db/queries/identities';
import type { AppDeps } from '../api/app';
import { decideAccessRequest } from '../api/access-service';
import { ApiError } from '../api/errors';

// The page an approval mail's single-use link opens: the request, and approve or deny with an
// optional reason. No session: the link is the approver's key for this one decision.

const tokenPattern = /^[A-Za-z0-9_-]{43}$/;

function page(title: string, body: HtmlEscapedString | Promise<HtmlEscapedString>) {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · Tenure</title><link rel="stylesheet" href="/assets/tenure.css"></head>
<body><main class="narrow"><h1>${title}</h1>${body}</main></body></html>`;
}

type LinkState = { ok: true; link: ApprovalLinkRow; request: RequestRow } | { ok: false; status: 404 | 410; title: string; message: string };

async function linkState(deps: AppDeps, token: string, now: Date): Promise<LinkState> {
  const link = tokenPattern.test(token) ? await findApprovalLink(deps.db, approvalTokenHash(token)) : undefined;
  if (!link) return { ok: false, status: 404, title: 'This link is not valid', message: 'Check that you opened the whole link from the mail.' };
  const request = (await findRequest(deps.db, link.requestId))!;
  if (link.usedAt) return { ok: false, status: 410, title: 'This link was already used', message: `It was used on ${link.usedAt.toUTCString()}. Each link decides once.` };
  if (request.status !== 'pending') return { ok: false, status: 410, title: 'This request is already decided', message: `It was ${request.status}${request.outcomeReason ? `: ${request.outcomeReason}` : ''}.` };
  if (now > link.expiresAt || request.stage !== link.stage || !request.approvers.includes(link.approver)) {
    return { ok: false, status: 410, title: 'This link has expired', message: 'The stage it was for has ended or moved on to other approvers.' };
  }
  return { ok: true, link, request };
}

export function approvalLinkPages(deps: AppDeps) {
  const app = new Hono();

  app.get('/approvals/:token', async (c) => {
    const state = await linkState(deps, c.req.param('token'), deps.now());
    if (!state.ok) return c.html(page(state.title, html`<p>${state.message}</p>`), state.status);
    const { request } = state;
    const [person, requester, accessPackage] = await Promise.all([findIdentity(deps.db, request.employeeId), findIdentity(deps.db, request.requestedBy), findPackage(deps.db, request.packageId, request.packageVersion)]);
    return c.html(
      page(
        `Approve access to ${accessPackage?.name ?? request.packageId}?`,
        html`<dl>
  <dt>For</dt><dd>${person?.displayName ?? request.employeeId}${person?.department ? `, ${person.department}` : ''}</dd>
  <dt>Asked by</dt><dd>${requester?.displayName ?? request.requestedBy}</dd>
  <dt>Reason</dt><dd>${request.justification ?? 'none given'}</dd>
  <dt>Stage</dt><dd>${request.stage} of ${request.stageCount}, open until ${request.stageDeadline?.toUTCString() ?? ''}</dd>
</dl>
<form method="post">
  <label for="justification">Your reason (optional)</label>
  <textarea id="justification" name="justification" rows="3" maxlength="2000"></textarea>
  <div class="actions"><button type="submit" name="decision" value="approve">Approve</button><button type="submit" name="decision" value="deny" class="secondary">Deny</button></div>
</form>`,
      ),
    );
  });

  app.post('/approvals/:token', async (c) => {
    const token = c.req.param('token');
    const form = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>);
    const decision = form.decision === 'approve' || form.decision === 'deny' ? form.decision : undefined;
    const justification = typeof form.justification === 'string' && form.justification.trim() ? form.justification.trim().slice(0, 2000) : undefined;
    if (!decision) return c.html(page('Choose approve or deny', html`<p>The form came without a decision. Open the link from the mail again.</p>`), 400);
    const now = deps.now();
    const state = await linkState(deps, token, now);
    if (!state.ok) return c.html(page(state.title, html`<p>${state.message}</p>`), state.status);
    const hash = approvalTokenHash(token);
    if (!(await useApprovalLink(deps.db, hash, now))) return c.html(page('This link was already used', html`<p>Each link decides once.</p>`), 410);
    try {
      const after = await decideAccessRequest(deps, state.request.id, { approver: state.link.approver, decision, justification, via: 'link' });
      const next = after.status === 'pending' ? `It now waits for stage ${after.stage} of ${after.stageCount}.` : `The request is ${after.status}.`;
      return c.html(page(decision === 'approve' ? 'Approved' : 'Denied', html`<p>Thank you. ${next}</p>`));
    } catch (error) {
      if (error instanceof ApiError && error.status < 500) return c.html(page('This request no longer waits for you', html`<p>${error.message}</p>`), 410);
      // The decision did not arrive: the link stays good for another try.
      await releaseApprovalLink(deps.db, hash);
      throw error;
    }
  });

  return app;
}
