import type { Context, Hono } from 'hono';
import { DateTime } from 'luxon';
import { findAssignment, findIdentities, listCatalogs, listPackages, listRequests, liveAssignments, pendingApprovals } from './queries';
import type { AppDeps } from '../api/app';
import { decideAccessRequest, requestablePackages, startAccessRequest } from '../api/access-service';
import { ApiError } from '../api/errors';
import { parseExactDuration } from '../domain/time';
import { removeAssignment } from '../db/queries/access-changes';
import { findIdentity, type IdentityRow } from '../db/queries/identities';
import { findRequest } from '../db/queries/access';
import { accessChangedSignal, identityWorkflowId } from '../workflows/messages';
import { ApprovalDetails, approvalFacts, DecisionForm, decisionOf } from './approval-view';
import { checkForm, requirePortalScope, signedIn, textField, type PortalEnv } from './context';
import { day, Grants, Layout, nameOf, render, spoken, when } from './render';

// Request access, My access and Approvals: the pages of every signed-in employee, calling the
// same services as the API's /v1/me routes.

export type Requestable = Awaited<ReturnType<typeof requestablePackages>>[number];

const requestIdPattern = /^r[0-9a-f]{12}$/;
const packageIdPattern = /^[a-z0-9][a-z0-9-]{0,63}$/;
const assignmentIdPattern = /^[A-Za-z0-9:_-]{1,200}$/;

const sources = { auto: 'by a rule', request: 'by request', admin: 'by an administrator' } as const;
const notices = new Map([
  ['requested', 'Your request was sent. It is shown below while it waits for approval.'],
  ['extension', 'Your request to keep the access longer was sent.'],
  ['removed', 'The access was removed.'],
  ['approve', 'You approved the request. It is no longer in your list.'],
  ['deny', 'You denied the request. It is no longer in your list.'],
]);
// A Map, so a hostile ?done=__proto__ finds nothing.
const noticeOf = (value: string | undefined) => (value ? notices.get(value) : undefined);

/** The signed-in person's identity; gone from Tenure means nothing to show. */
async function me(deps: AppDeps, employeeId: string): Promise<IdentityRow> {
  const identity = await findIdentity(deps.db, employeeId);
  if (!identity) throw new ApiError(404, 'not_found', 'Tenure does not know you (any more), so there is nothing to show.');
  return identity;
}

/** Display names for the people a package's stages name (an approver of type people is listed by employee id). */
export async function approverNames(deps: AppDeps, items: Requestable[]): Promise<(id: string) => string> {
  const ids = items.flatMap((i) => i.policies.flatMap((p) => p.stages.flatMap((s) => s.approvers.flatMap((a) => a.split(', ')))));
  return nameOf(new Map((await findIdentities(deps.db, [...new Set(ids)])).map((p) => [p.employeeId, p])));
}

/** An end date from a date field: the end of that day in the person's time zone. */
function endOfDay(form: Record<string, string>, timeZone: string): string | undefined {
  const value = form.until?.trim();
  if (!value) return undefined;
  const date = /^\d{4}-\d{2}-\d{2}$/.test(value) ? DateTime.fromISO(value, { zone: timeZone }) : undefined;
  if (!date?.isValid || date.year < 2000) throw new ApiError(400, 'validation_failed', 'The end date is not a date.', [{ path: 'until', message: 'expected a date like 2027-03-31' }]);
  return date.endOf('day').toUTC().toISO()!;
}

/** The last day a policy's lifetime allows, for the date field (the service checks it again). */
function latestDay(lifetime: string, now: Date, timeZone: string): string | undefined {
  if (lifetime.startsWith('until ')) return day(new Date(lifetime.slice('until '.length)), timeZone);
  if (lifetime === 'no end') return undefined;
  try {
    return day(new Date(now.getTime() + parseExactDuration(lifetime)), timeZone);
  } catch {
    return undefined;
  }
}

const lasts = (lifetime: string) => (lifetime === 'no end' ? 'until removed' : lifetime.startsWith('until ') ? lifetime : `${spoken(lifetime)} at most`);

export function PackageSummary({ item, name }: { item: Requestable; name: (employeeId: string) => string }) {
  return (
    <dl>
      <dt>Grants</dt>
      <dd>
        <Grants resources={item.resources} />
      </dd>
      {item.policies.map((p) => (
        <>
          <dt>Approval</dt>
          <dd>
            {p.stages.length === 0 ? (
              'none: granted at once'
            ) : (
              <ol class="stages">
                {p.stages.map((s) => (
                  <li>
                    {s.name ? `${s.name}: ` : ''}
                    {s.approvers.flatMap((a) => a.split(', ')).map(name).join(', ')} <span class="muted">(within {spoken(s.deadline)})</span>
                  </li>
                ))}
              </ol>
            )}
          </dd>
          <dt>Lasts</dt>
          <dd>{lasts(p.lifetime)}</dd>
        </>
      ))}
    </dl>
  );
}

export function accessPages(app: Hono<PortalEnv>, deps: AppDeps) {
  const selfService = requirePortalScope('self-service');
  const tell = (employeeId: string) => deps.temporal.client.workflow.getHandle(identityWorkflowId(employeeId)).signal(accessChangedSignal);

  app.get('/portal/request', selfService, async (c) => {
    const session = signedIn(c);
    const identity = await me(deps, session.employeeId);
    const [items, catalogs] = await Promise.all([requestablePackages(deps, identity), listCatalogs(deps.db)]);
    const shown = catalogs.filter((catalog) => items.some((i) => i.catalog === catalog.id));
    const name = await approverNames(deps, items);
    return render(
      c,
      <Layout title="Request access" session={session} active="request">
        {shown.length === 0 ? <p>There is nothing you may request at the moment.</p> : null}
        {shown.map((catalog) => (
          <section aria-labelledby={`catalog-${catalog.id}`}>
            <h2 id={`catalog-${catalog.id}`}>{catalog.name}</h2>
            {catalog.description ? <p class="muted">{catalog.description}</p> : null}
            {items
              .filter((i) => i.catalog === catalog.id)
              .map((item) => (
                <article class="card" aria-labelledby={`package-${item.id}`}>
                  <h3 id={`package-${item.id}`}>{item.name}</h3>
                  {item.description ? <p>{item.description}</p> : null}
                  <PackageSummary item={item} name={name} />
                  {item.conflict ? (
                    <p class="danger">You cannot hold this next to what you have: {item.conflict}.</p>
                  ) : (
                    <p>
                      <a class="button" href={`/portal/request/${item.id}`} aria-label={`Request ${item.name}`}>
                        Request
                      </a>
                    </p>
                  )}
                </article>
              ))}
          </section>
        ))}
      </Layout>,
    );
  });

  async function requestForm(c: Context<PortalEnv>, packageId: string, problem?: ApiError) {
    const session = signedIn(c);
    const identity = await me(deps, session.employeeId);
    const item = packageIdPattern.test(packageId) ? (await requestablePackages(deps, identity)).find((i) => i.id === packageId) : undefined;
    if (!item) throw new ApiError(404, 'not_found', 'There is no such package you may request.');
    const policy = item.policies[0]!;
    const now = deps.now();
    const pending = (await listRequests(deps.db, { employeeId: identity.employeeId, status: 'pending', packageId, limit: 1 }))[0];
    const form = problem ? (c.get('form') ?? {}) : {};
    return render(
      c,
      <Layout title={`Request ${item.name}`} session={session} active="request">
        <PackageSummary item={item} name={await approverNames(deps, [item])} />
        {problem ? (
          <div class="problem" role="alert">
            <p>{problem.message}</p>
          </div>
        ) : null}
        {item.conflict ? (
          <p class="danger" role="alert">
            Separation of duties: {item.conflict}. This request would be refused, so it cannot be sent.
          </p>
        ) : pending ? (
          <p class="notice">
            A request for this package is already waiting (stage {pending.stage} of {pending.stageCount}). <a href="/portal/access">See it in My access</a>.
          </p>
        ) : (
          <form method="post" action={`/portal/request/${item.id}`}>
            <input type="hidden" name="csrf" value={session.csrf} />
            {item.policies.length > 1 ? (
              <>
                <label for="policyId">Policy</label>
                <select id="policyId" name="policyId">
                  {item.policies.map((p) => (
                    <option value={p.id}>{p.id}</option>
                  ))}
                </select>
              </>
            ) : null}
            <label for="justification">Why you need it{policy.justification === 'required' ? ' (required)' : ' (optional)'}</label>
            <textarea id="justification" name="justification" rows={4} maxlength={2000} required={policy.justification === 'required'}>
              {form.justification ?? ''}
            </textarea>
            <label for="until">Until (optional)</label>
            <input id="until" name="until" type="date" min={day(now, identity.timeZone)} max={latestDay(policy.lifetime, now, identity.timeZone)} value={form.until ?? ''} aria-describedby="until-help" />
            <p id="until-help" class="muted">
              Leave empty for as long as the policy allows ({lasts(policy.lifetime)}).
            </p>
            <div class="actions">
              <button type="submit">Send request</button>
            </div>
          </form>
        )}
      </Layout>,
      problem ? (problem.status === 403 || problem.status === 404 || problem.status === 409 ? problem.status : 400) : 200,
    );
  }

  app.get('/portal/request/:packageId', selfService, (c) => requestForm(c, c.req.param('packageId')));

  app.post('/portal/request/:packageId', selfService, checkForm, async (c) => {
    const session = signedIn(c);
    const packageId = c.req.param('packageId');
    if (!packageIdPattern.test(packageId)) throw new ApiError(404, 'not_found', 'There is no such package you may request.');
    const identity = await me(deps, session.employeeId);
    const form = c.get('form');
    try {
      await startAccessRequest(deps, {
        employeeId: identity.employeeId,
        requestedBy: identity.employeeId,
        requester: identity,
        packageId,
        policyId: textField(form, 'policyId', 64, 'The policy'),
        justification: textField(form, 'justification', 2000, 'The reason'),
        until: endOfDay(form, identity.timeZone),
      });
    } catch (error) {
      if (error instanceof ApiError && error.status < 500 && error.status !== 404) return requestForm(c, packageId, error);
      throw error;
    }
    return c.redirect('/portal/access?done=requested', 303);
  });

  app.get('/portal/access', selfService, async (c) => {
    const session = signedIn(c);
    const identity = await me(deps, session.employeeId);
    const [assignments, requests, packages] = await Promise.all([liveAssignments(deps.db, identity.employeeId), listRequests(deps.db, { employeeId: identity.employeeId, limit: 50 }), listPackages(deps.db)]);
    const packageName = (id: string) => packages.find((p) => p.id === id)?.name ?? id;
    const name = nameOf(new Map((await findIdentities(deps.db, [...new Set(requests.flatMap((r) => r.approvers))])).map((p) => [p.employeeId, p])));
    const tz = identity.timeZone;
    return render(
      c,
      <Layout title="My access" session={session} active="access" notice={noticeOf(c.req.query('done'))}>
        <section aria-labelledby="assignments">
          <h2 id="assignments">What I have</h2>
          {assignments.length === 0 ? <p>You hold no access packages.</p> : null}
          <ul class="cards">
            {assignments.map((a) => (
              <li class="card">
                <h3>{packageName(a.packageId)}</h3>
                <dl>
                  <dt>How</dt>
                  <dd>
                    {sources[a.source]}
                    {a.source === 'admin' ? ` (${a.grantedBy})` : ''}
                  </dd>
                  <dt>Since</dt>
                  <dd>{when(a.startsAt, tz)}</dd>
                  <dt>Ends</dt>
                  <dd>{a.source === 'auto' ? 'while the rule matches you' : a.endsAt ? when(a.endsAt, tz) : 'no end'}</dd>
                  {a.status === 'held' ? (
                    <>
                      <dt>Held back</dt>
                      <dd>{a.heldReason ?? 'waiting'}</dd>
                    </>
                  ) : null}
                </dl>
                {a.source === 'auto' ? null : (
                  <div class="actions">
                    {a.endsAt ? (
                      <a class="button" href={`/portal/access/${encodeURIComponent(a.id)}/extend`} aria-label={`Extend ${packageName(a.packageId)}`}>
                        Extend
                      </a>
                    ) : null}
                    <form method="post" action={`/portal/access/${encodeURIComponent(a.id)}/remove`}>
                      <input type="hidden" name="csrf" value={session.csrf} />
                      <button type="submit" class="secondary" aria-label={`Remove ${packageName(a.packageId)}`}>
                        Remove
                      </button>
                    </form>
                  </div>
                )}
              </li>
            ))}
          </ul>
        </section>
        <section aria-labelledby="requests">
          <h2 id="requests">My requests</h2>
          {requests.length === 0 ? <p>You have not asked for anything yet.</p> : null}
          <ul class="cards">
            {requests.map((r) => (
              <li class="card" data-request={r.id}>
                <h3>
                  {packageName(r.packageId)}
                  {r.kind === 'extension' ? ' (extension)' : ''}
                </h3>
                <dl>
                  <dt>Status</dt>
                  <dd>
                    <span class={`status status-${r.status}`}>{r.status}</span>
                    {r.outcomeReason ? ` — ${r.outcomeReason}` : ''}
                  </dd>
                  <dt>Asked</dt>
                  <dd>{when(r.createdAt, tz)}</dd>
                  {r.status === 'pending' ? (
                    <>
                      <dt>Stage</dt>
                      <dd>{r.stage === 0 ? 'starting' : `${r.stage} of ${r.stageCount}`}</dd>
                      <dt>Waiting for</dt>
                      <dd>{r.approvers.length ? r.approvers.map(name).join(', ') : '—'}</dd>
                      <dt>Deadline</dt>
                      <dd>{when(r.stageDeadline, tz)}</dd>
                    </>
                  ) : (
                    <>
                      <dt>Decided</dt>
                      <dd>{when(r.decidedAt, tz)}</dd>
                    </>
                  )}
                </dl>
              </li>
            ))}
          </ul>
        </section>
      </Layout>,
    );
  });

  async function mine(employeeId: string, id: string) {
    const assignment = assignmentIdPattern.test(id) ? await findAssignment(deps.db, id) : undefined;
    if (!assignment || assignment.employeeId !== employeeId || assignment.status === 'ended') throw new ApiError(404, 'not_found', 'You hold no such access.');
    return assignment;
  }

  async function extendForm(c: Context<PortalEnv>, id: string, problem?: ApiError) {
    const session = signedIn(c);
    const assignment = await mine(session.employeeId, id);
    const identity = await me(deps, session.employeeId);
    const packages = await listPackages(deps.db, { ids: [assignment.packageId] });
    const label = packages[0]?.name ?? assignment.packageId;
    return render(
      c,
      <Layout title={`Keep ${label} longer`} session={session} active="access">
        <p>It ends {assignment.endsAt ? when(assignment.endsAt, identity.timeZone) : 'never'} now. The same approvals as for the first request decide.</p>
        {problem ? (
          <div class="problem" role="alert">
            <p>{problem.message}</p>
          </div>
        ) : null}
        <form method="post" action={`/portal/access/${encodeURIComponent(assignment.id)}/extend`}>
          <input type="hidden" name="csrf" value={session.csrf} />
          <label for="justification">Why you still need it</label>
          <textarea id="justification" name="justification" rows={4} maxlength={2000}></textarea>
          <label for="until">Until (optional)</label>
          <input id="until" name="until" type="date" min={day(deps.now(), identity.timeZone)} />
          <div class="actions">
            <button type="submit">Ask to extend</button>
          </div>
        </form>
      </Layout>,
      problem ? (problem.status === 403 || problem.status === 409 ? problem.status : 400) : 200,
    );
  }

  app.get('/portal/access/:id/extend', selfService, (c) => extendForm(c, c.req.param('id')));

  app.post('/portal/access/:id/extend', selfService, checkForm, async (c) => {
    const session = signedIn(c);
    const assignment = await mine(session.employeeId, c.req.param('id'));
    if (assignment.source === 'auto') throw new ApiError(409, 'not_extendable', 'Access given by a rule lasts while the rule matches you.');
    const identity = await me(deps, session.employeeId);
    const form = c.get('form');
    try {
      await startAccessRequest(deps, {
        employeeId: identity.employeeId,
        requestedBy: identity.employeeId,
        requester: identity,
        packageId: assignment.packageId,
        justification: textField(form, 'justification', 2000, 'The reason'),
        until: endOfDay(form, identity.timeZone),
        extends: { assignmentId: assignment.id, policyId: assignment.source === 'request' ? (assignment.policyId ?? undefined) : undefined },
      });
    } catch (error) {
      if (error instanceof ApiError && error.status < 500 && error.status !== 404) return extendForm(c, assignment.id, error);
      throw error;
    }
    return c.redirect('/portal/access?done=extension', 303);
  });

  app.post('/portal/access/:id/remove', selfService, checkForm, async (c) => {
    const session = signedIn(c);
    const assignment = await mine(session.employeeId, c.req.param('id'));
    if (assignment.source === 'auto') throw new ApiError(409, 'not_removable', 'Access given by a rule lasts while the rule matches you.');
    const by = session.employeeId;
    const ended = await removeAssignment(deps.db, assignment.id, { by, reason: 'given up by the person in the portal', now: deps.now(), cause: { actor: by, key: `self-remove:${assignment.id}` } });
    if (!ended) throw new ApiError(404, 'not_found', 'You hold no such access.');
    await tell(by);
    return c.redirect('/portal/access?done=removed', 303);
  });

  app.get('/portal/approvals', selfService, async (c) => {
    const session = signedIn(c);
    const identity = await me(deps, session.employeeId);
    const waiting = await pendingApprovals(deps.db, identity.employeeId);
    const all = await Promise.all(waiting.map((r) => approvalFacts(deps, r, identity.timeZone)));
    return render(
      c,
      <Layout title="Approvals" session={session} active="approvals" notice={noticeOf(c.req.query('done'))}>
        {all.length === 0 ? <p>Nothing waits for your decision.</p> : <p>{all.length === 1 ? 'One request waits' : `${all.length} requests wait`} for your decision.</p>}
        {all.map((facts) => (
          <article class="card" aria-labelledby={`approval-${facts.request.id}`} data-request={facts.request.id}>
            <h2 id={`approval-${facts.request.id}`}>
              {facts.name(facts.request.employeeId)}: {facts.accessPackage?.name ?? facts.request.packageId}
            </h2>
            <ApprovalDetails facts={facts} />
            <DecisionForm action={`/portal/approvals/${facts.request.id}`} csrf={session.csrf} id={facts.request.id} />
          </article>
        ))}
      </Layout>,
    );
  });

  app.post('/portal/approvals/:id', selfService, checkForm, async (c) => {
    const session = signedIn(c);
    const id = c.req.param('id');
    const request = requestIdPattern.test(id) ? await findRequest(deps.db, id) : undefined;
    if (!request) throw new ApiError(404, 'not_found', 'There is no such request.');
    // Only what waits for this person: anyone else's request id is refused before anything is asked.
    if (request.status !== 'pending' || !request.approvers.includes(session.employeeId)) throw new ApiError(403, 'not_yours', 'This request does not wait for your decision.');
    const form = c.get('form');
    const decision = decisionOf(form);
    if (!decision) throw new ApiError(400, 'validation_failed', 'Choose approve or deny.', [{ path: 'decision', message: 'approve or deny' }]);
    await decideAccessRequest(deps, id, { approver: session.employeeId, decision, justification: textField(form, 'justification', 2000, 'Your reason'), via: 'portal' });
    return c.redirect(`/portal/approvals?done=${decision}`, 303);
  });
}
