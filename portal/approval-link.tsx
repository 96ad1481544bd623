import { Hono } from 'hono';
import { approvalTokenHash, findApprovalLink, findRequest, releaseApprovalLink, useApprovalLink, type ApprovalLinkRow, type RequestRow } from '../db/queries/access';
import { findIdentity } from '../db/queries/identities';
import type { AppDeps } from '../api/app';
import { decideAccessRequest } from '../api/access-service';
import { ApiError } from '../api/errors';
import { ApprovalDetails, approvalFacts, DecisionForm, decisionOf } from './approval-view';
import { readForm, textField, type PortalEnv } from './context';
import { formLimit, pageErrors } from './pages';
import { Layout, render } from './render';

// The page an approval mail's single-use link opens: the same approval view as the portal's,
// without a session — the link is the approver's key for this one decision.

const tokenPattern = /^[A-Za-z0-9_-]{43}$/;

type LinkState = { ok: true; link: ApprovalLinkRow; request: RequestRow } | { ok: false; status: 404 | 410; title: string; message: string };

/** Whether a link may decide now: known, unused, its stage still current and its approver still one. */
export function linkState(link: ApprovalLinkRow | undefined, request: RequestRow | undefined, now: Date): LinkState {
  if (!link || !request) return { ok: false, status: 404, title: 'This link is not valid', message: 'Check that you opened the whole link from the mail.' };
  if (link.usedAt) return { ok: false, status: 410, title: 'This link was already used', message: `It was used on ${link.usedAt.toUTCString()}. Each link decides once.` };
  if (request.status !== 'pending') return { ok: false, status: 410, title: 'This request is already decided', message: `It was ${request.status}${request.outcomeReason ? `: ${request.outcomeReason}` : ''}.` };
  if (now > link.expiresAt || request.stage !== link.stage || !request.approvers.includes(link.approver)) {
    return { ok: false, status: 410, title: 'This link has expired', message: 'The stage it was for has ended or moved on to other approvers.' };
  }
  return { ok: true, link, request };
}

async function stateOf(deps: AppDeps, token: string, now: Date): Promise<LinkState> {
  const link = tokenPattern.test(token) ? await findApprovalLink(deps.db, approvalTokenHash(token)) : undefined;
  return linkState(link, link && (await findRequest(deps.db, link.requestId)), now);
}

const message = (title: string, text: string) => (
  <Layout title={title}>
    <p>{text}</p>
  </Layout>
);

export function approvalLinkPages(deps: AppDeps) {
  const app = new Hono<PortalEnv>();
  app.onError(pageErrors(deps));

  app.get('/approvals/:token', async (c) => {
    const state = await stateOf(deps, c.req.param('token'), deps.now());
    if (!state.ok) return render(c, message(state.title, state.message), state.status);
    const [facts, approver] = await Promise.all([approvalFacts(deps, state.request), findIdentity(deps.db, state.link.approver)]);
    if (approver) facts.timeZone = approver.timeZone;
    return render(
      c,
      <Layout title={`Approve access to ${facts.accessPackage?.name ?? state.request.packageId}?`}>
        <ApprovalDetails facts={facts} />
        <DecisionForm action={new URL(c.req.url).pathname} id={state.request.id} />
      </Layout>,
    );
  });

  app.post('/approvals/:token', formLimit, async (c) => {
    const token = c.req.param('token');
    const form = await readForm(c).catch(() => ({}) as Record<string, string>);
    const decision = decisionOf(form);
    if (!decision) return render(c, message('Choose approve or deny', 'The form came without a decision. Open the link from the mail again.'), 400);
    let justification: string | undefined;
    try {
      justification = textField(form, 'justification', 2000, 'Your reason');
    } catch (error) {
      if (error instanceof ApiError) return render(c, message('Your reason cannot be taken', `${error.message} Open the link again and write it anew.`), 400);
      throw error;
    }
    const now = deps.now();
    const state = await stateOf(deps, token, now);
    if (!state.ok) return render(c, message(state.title, state.message), state.status);
    const hash = approvalTokenHash(token);
    if (!(await useApprovalLink(deps.db, hash, now))) return render(c, message('This link was already used', 'Each link decides once.'), 410);
    try {
      const after = await decideAccessRequest(deps, state.request.id, { approver: state.link.approver, decision, justification, via: 'link' });
      const next = after.status === 'pending' ? `It now waits for stage ${after.stage} of ${after.stageCount}.` : `The request is ${after.status}.`;
      return render(c, message(decision === 'approve' ? 'Approved' : 'Denied', `Thank you. ${next}`));
    } catch (error) {
      if (error instanceof ApiError && error.status < 500) return render(c, message('This request no longer waits for you', error.message), 410);
      // The decision did not arrive: the link stays good for another try.
      await releaseApprovalLink(deps.db, hash);
      throw error;
    }
  });

  return app;
}
