import type { Hono } from 'hono';
import type { AppDeps } from '../api/app';
import { ApiError } from '../api/errors';
import { lifecyclePreview } from '../api/lifecycle-preview';
import { listPackages, liveAssignments, listRequests } from '../db/queries/access';
import { recentAuditEvents } from '../db/queries/audit';
import { findAccounts, findIdentity, listIdentities } from '../db/queries/identities';
import { listRuns } from '../db/queries/lifecycle-runs';
import { employeeIdSchema } from '../domain/worker-record';
import { isPlainText } from '../domain/text';
import { accessRequestWorkflowId } from '../workflows/messages';
import { requirePortalScope, signedIn, type PortalEnv } from './context';
import { Layout, render, when } from './render';

// The person timeline for operators (identities:read, as in the API): where a person's lifecycle
// stands, their accounts per target, access, what comes next, recent runs and the trail, with
// links into Temporal UI.

export function peoplePages(app: Hono<PortalEnv>, deps: AppDeps) {
  const operators = requirePortalScope('identities:read');
  const ui = deps.config.portal.temporalUiUrl;
  const temporalLink = (workflowId: string) => (ui ? `${ui}/namespaces/${encodeURIComponent(deps.config.temporal.namespace)}/workflows/${encodeURIComponent(workflowId)}` : undefined);
  const WorkflowLink = ({ id }: { id: string }) => {
    const href = temporalLink(id);
    return href ? <a href={href}>{id}</a> : <code>{id}</code>;
  };

  app.get('/portal/people', operators, async (c) => {
    const session = signedIn(c);
    const raw = c.req.query('q')?.trim() ?? '';
    const q = raw.length <= 100 && isPlainText(raw) ? raw : '';
    const found = q ? await listIdentities(deps.db, { text: q, limit: 50 }) : [];
    return render(
      c,
      <Layout title="People" session={session} active="people">
        <form method="get" action="/portal/people" role="search">
          <label for="q">Find a person by name, employee id, username or email</label>
          <div class="inline">
            <input id="q" name="q" type="search" value={q} maxlength={100} />
            <button type="submit">Search</button>
          </div>
        </form>
        {raw && !q ? <p class="problem">That search cannot be used: at most 100 plain characters.</p> : null}
        {q && found.length === 0 ? <p>Nobody matches “{q}”.</p> : null}
        {found.length > 0 ? (
          <ul class="plain results">
            {found.map((p) => (
              <li>
                <a href={`/portal/people/${encodeURIComponent(p.employeeId)}`}>{p.displayName}</a> <span class="muted">{p.employeeId} · {p.state}</span>
              </li>
            ))}
          </ul>
        ) : null}
      </Layout>,
    );
  });

  app.get('/portal/people/:employeeId', operators, async (c) => {
    const session = signedIn(c);
    const parsed = employeeIdSchema.safeParse(c.req.param('employeeId'));
    const identity = parsed.success ? await findIdentity(deps.db, parsed.data) : undefined;
    if (!identity) throw new ApiError(404, 'not_found', 'There is no person with that employee id.');
    const now = deps.now();
    const [accounts, assignments, requests, packages, preview, runs, events] = await Promise.all([
      findAccounts(deps.db, identity.employeeId, { includeDeleted: true }),
      liveAssignments(deps.db, identity.employeeId),
      listRequests(deps.db, { employeeId: identity.employeeId, limit: 10 }),
      listPackages(deps.db),
      lifecyclePreview(deps.db, identity, now),
      listRuns(deps.db, { employeeId: identity.employeeId, limit: 10 }),
      recentAuditEvents(deps.db, identity.employeeId, 30),
    ]);
    const tz = identity.timeZone;
    const packageName = (id: string) => packages.find((p) => p.id === id)?.name ?? id;
    const upcoming = preview.filter((p) => p.at && (p.status === 'scheduled' || p.status === 'due')).sort((a, b) => a.at!.localeCompare(b.at!));
    return render(
      c,
      <Layout title={identity.displayName} session={session} active="people">
        <dl>
          <dt>Employee id</dt>
          <dd>{identity.employeeId}</dd>
          <dt>State</dt>
          <dd>
            <span class={`status status-${identity.state}`}>{identity.state}</span>
          </dd>
          <dt>Job</dt>
          <dd>{[identity.jobTitle, identity.department].filter(Boolean).join(', ') || '—'}</dd>
          <dt>Starts</dt>
          <dd>{when(identity.hireAt, tz)}</dd>
          <dt>Leaves</dt>
          <dd>{identity.leaveAt ? when(identity.leaveAt, tz) : '—'}</dd>
          <dt>Next step</dt>
          <dd>{identity.nextAction ? `${identity.nextAction} at ${when(identity.nextActionAt, tz)}` : '—'}</dd>
          <dt>Workflow</dt>
          <dd>
            <WorkflowLink id={identity.workflowId} />
          </dd>
          {identity.lastError ? (
            <>
              <dt>Last error</dt>
              <dd class="danger">{identity.lastError}</dd>
            </>
          ) : null}
        </dl>

        <section aria-labelledby="accounts">
          <h2 id="accounts">Accounts</h2>
          {accounts.length === 0 ? <p>No accounts yet.</p> : null}
          <div class="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Target</th>
                  <th scope="col">Username</th>
                  <th scope="col">State</th>
                </tr>
              </thead>
              <tbody>
                {accounts.map((a) => (
                  <tr>
                    <td>{a.system}</td>
                    <td>{a.username}</td>
                    <td>{a.deletedAt ? `deleted ${when(a.deletedAt, tz)}` : a.enabled ? 'enabled' : 'disabled'}{identity.targetErrors[a.system] ? ` — failing: ${identity.targetErrors[a.system]}` : ''}{identity.waiting[a.system] ? ` — waiting: ${identity.waiting[a.system]!.reason}` : ''}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </section>

        <section aria-labelledby="access">
          <h2 id="access">Access</h2>
          {assignments.length === 0 ? <p>No access packages.</p> : null}
          <ul class="plain">
            {assignments.map((a) => (
              <li>
                {packageName(a.packageId)} <span class="muted">({a.source}, {a.status}, {a.endsAt ? `ends ${when(a.endsAt, tz)}` : 'no end'})</span>
              </li>
            ))}
          </ul>
          {requests.length > 0 ? (
            <>
              <h3>Requests</h3>
              <ul class="plain">
                {requests.map((r) => (
                  <li>
                    {packageName(r.packageId)}: {r.status}
                    {r.status === 'pending' ? ` at stage ${r.stage} of ${r.stageCount}` : ''} — <WorkflowLink id={accessRequestWorkflowId(r.id)} />
                  </li>
                ))}
              </ul>
            </>
          ) : null}
        </section>

        <section aria-labelledby="upcoming">
          <h2 id="upcoming">Coming up</h2>
          {upcoming.length === 0 ? <p>No lifecycle workflow is scheduled for this person.</p> : null}
          <ul class="plain">
            {upcoming.map((p) => (
              <li>
                {when(p.at, tz)}: {p.name} <span class="muted">({p.trigger}, {p.status})</span>
              </li>
            ))}
          </ul>
        </section>

        <section aria-labelledby="runs">
          <h2 id="runs">Recent runs</h2>
          {runs.length === 0 ? <p>No lifecycle runs yet.</p> : null}
          <ul class="plain">
            {runs.map((r) => (
              <li>
                {when(r.scheduledFor, tz)}: {r.workflowId} — {r.status} <WorkflowLink id={r.id} />
              </li>
            ))}
          </ul>
        </section>

        <section aria-labelledby="events">
          <h2 id="events">Recent events</h2>
          <ol class="plain timeline">
            {events.map((e) => (
              <li>
                <time datetime={e.occurredAt.toISOString()}>{when(e.occurredAt, tz)}</time> {e.summary} <span class="muted">({e.actor})</span>
              </li>
            ))}
          </ol>
        </section>
      </Layout>,
    );
  });
}
