import type { Context, Hono } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import { z } from 'zod';
import { presentRequestable } from '../api/access-schemas';
import type { AppDeps } from '../api/app';
import { clientAddress } from '../api/auth';
import { ApiError } from '../api/errors';
import { describeGuest, type GuestIdentity, guestPackages, guestRequests, requestGuestCode, startGuestRequest, verifyGuestCode } from '../api/guest-service';
import { appendAuditEvents } from '../db/queries/audit';
import { findOrganisation } from '../db/queries/guests';
import { deleteExpiredPortalSessions } from '../db/queries/portal-sessions';
import { guestCodePattern } from '../domain/guest-codes';
import { isPlainText } from '../domain/text';
import { approverNames, PackageSummary, type Requestable } from './access-pages';
import { checkForm, checkFormOf, cookieNames, openSession, requireGuest, signedIn, textField, type PortalEnv } from './context';
import { findIdentities, listPackages } from './queries';
import { Layout, nameOf, render, when } from './render';
import { csrfToken, newSessionId, sessionIdHash } from './session';

// Guests from partner organisations: sign in with a code mailed to their address (the same
// service, limits and answers as POST /v1/guest-sign-in), then ask for the packages open to their
// organisation and see where their requests stand. A guest's session has no scopes: no employee
// page and no API route opens for it.

const emailSchema = z
  .email()
  .max(254)
  .transform((v) => v.toLowerCase());
const packageIdPattern = /^[a-z0-9][a-z0-9-]{0,63}$/;

const notices = new Map([['requested', 'Your request was sent. It waits for approval; you see below where it stands.']]);

/** The address of a form, or a 400 naming the field. */
function emailOf(form: Record<string, string>): string {
  const parsed = emailSchema.safeParse(form.email?.trim());
  if (!parsed.success) throw new ApiError(400, 'validation_failed', 'That is not a mail address.', [{ path: 'email', message: 'expected an address like ana@partner.example' }]);
  return parsed.data;
}

/** The guests' sign-in: before any session, so mounted before the portal's sign-in check. */
export function guestSignInPages(app: Hono<PortalEnv>, deps: AppDeps) {
  const names = cookieNames(deps.config.api.publicUrl);
  const codeSeconds = Math.round(deps.config.guestPolicy.codeLifetimeMs / 1000);
  const codeLasts = codeSeconds < 120 ? `${codeSeconds} seconds` : `${Math.round(codeSeconds / 60)} minutes`;

  /**
   * No session exists before a guest signs in, so the sign-in forms carry a token of their own:
   * the HMAC of a random value in an HttpOnly cookie scoped to these forms (a double submit).
   */
  function signInToken(c: Context<PortalEnv>): string {
    let value = getCookie(c, names.guestSignIn);
    if (!sessionIdHash(value)) {
      value = newSessionId();
      setCookie(c, names.guestSignIn, value, { path: '/portal/guest', httpOnly: true, secure: names.secure, sameSite: 'Lax', maxAge: 3600 });
    }
    return csrfToken(value!);
  }
  const checkSignInForm = (c: Context<PortalEnv>) => {
    const value = getCookie(c, names.guestSignIn);
    return checkFormOf(c, sessionIdHash(value) ? csrfToken(value!) : undefined);
  };

  const EmailForm = ({ csrf, email }: { csrf: string; email?: string }) => (
    <form method="post" action="/portal/guest">
      <input type="hidden" name="csrf" value={csrf} />
      <label for="email">Your work email</label>
      <input id="email" name="email" type="email" autocomplete="email" required maxlength={254} value={email ?? ''} />
      <div class="actions">
        <button type="submit">Mail me a code</button>
      </div>
    </form>
  );

  const emailPage = (c: Context<PortalEnv>, problem?: ApiError) =>
    render(
      c,
      <Layout title="Sign in as a guest">
        <p>Guests from partner organisations sign in with a code we mail to them. There is no password.</p>
        {problem ? (
          <div class="problem" role="alert">
            <p>{problem.message}</p>
          </div>
        ) : null}
        <EmailForm csrf={signInToken(c)} email={problem ? c.get('form')?.email : undefined} />
        <p>
          <a href="/portal">Employees sign in here</a>
        </p>
      </Layout>,
      problem ? 400 : 200,
    );

  const codePage = (c: Context<PortalEnv>, email: string, problem?: string) =>
    render(
      c,
      <Layout title="We mailed you a code">
        <p>
          If <strong>{email}</strong> may sign in here, a mail with an 8-digit code is on its way. The code works once, for {codeLasts}.
        </p>
        {problem ? (
          <div class="problem" role="alert">
            <p>{problem}</p>
          </div>
        ) : null}
        <form method="post" action="/portal/guest/code">
          <input type="hidden" name="csrf" value={signInToken(c)} />
          <input type="hidden" name="email" value={email} />
          <label for="code">The code from the mail</label>
          <input id="code" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{8}" maxlength={8} required aria-describedby="code-help" />
          <p id="code-help" class="muted">
            8 digits.
          </p>
          <div class="actions">
            <button type="submit">Sign in</button>
          </div>
        </form>
        <p>
          No mail? <a href="/portal/guest">Ask for a new code</a>.
        </p>
      </Layout>,
      problem ? 401 : 200,
    );

  app.get('/portal/guest', async (c) => {
    const session = c.get('session');
    if (session) return c.redirect(session.kind === 'guest' ? '/portal/guest/request' : '/portal/request', 303);
    return emailPage(c);
  });

  app.post('/portal/guest', async (c) => {
    await checkSignInForm(c);
    let email: string;
    try {
      email = emailOf(c.get('form'));
    } catch (error) {
      if (error instanceof ApiError) return emailPage(c, error);
      throw error;
    }
    // The same answer for every address; a refusal of the limits (429) is the error page.
    await requestGuestCode(deps, { email, client: clientAddress(c) });
    return codePage(c, email);
  });

  app.post('/portal/guest/code', async (c) => {
    await checkSignInForm(c);
    const form = c.get('form');
    const email = emailOf(form);
    const code = form.code?.trim() ?? '';
    if (!guestCodePattern.test(code)) return codePage(c, email, 'The code is the 8 digits from the mail.');
    try {
      await verifyGuestCode(deps, { email, code, client: clientAddress(c) });
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) return codePage(c, email, 'That code is wrong, used already or expired. Try again, or ask for a new code.');
      throw error;
    }
    await deleteExpiredPortalSessions(deps.db, deps.now());
    // A guest's session lasts no longer than the API's guest ticket would.
    await openSession(deps, c, { kind: 'guest', identityId: email, scopes: [], lifetimeMs: deps.config.guestPolicy.ticketLifetimeMs });
    await appendAuditEvents(deps.db, [{ kind: 'portal.signed-in', actor: `guest:${email}`, system: 'portal', summary: `${email} signed in to the portal as a guest`, details: { role: 'guest' } }]);
    return c.redirect('/portal/guest/request', 303);
  });

}

const sponsorsApprover = "the guest organisation's sponsors";

/** A signed-in guest's pages: Request access and My requests. */
export function guestPages(app: Hono<PortalEnv>, deps: AppDeps) {
  /** Approvers as a guest knows them: their organisation's sponsors by name. */
  async function namesFor(guest: GuestIdentity, items: Requestable[]): Promise<(id: string) => string> {
    const name = await approverNames(deps, items);
    const organisation = guest.organisation ? await findOrganisation(deps.db, guest.organisation.id) : undefined;
    const sponsors = (await findIdentities(deps.db, organisation?.sponsors ?? [])).map((p) => p.displayName);
    const yours = sponsors.length > 0 ? `your sponsor${sponsors.length > 1 ? 's' : ''} ${sponsors.join(', ')}` : 'your sponsor';
    return (id) => (id === sponsorsApprover ? yours : name(id));
  }

  /** What the guest may ask for, in the shape the employee pages show. */
  async function openToMe(email: string): Promise<Requestable[]> {
    return (await guestPackages(deps, email)).map(({ accessPackage, policies }) => presentRequestable(accessPackage, policies, undefined));
  }

  app.get('/portal/guest/request', requireGuest, async (c) => {
    const session = signedIn(c);
    const guest = await describeGuest(deps, session.guestEmail!);
    const items = await openToMe(guest.email);
    const name = await namesFor(guest, items);
    return render(
      c,
      <Layout title="Request access" session={session} active="guest-request">
        <p>
          Signed in as <strong>{guest.email}</strong>
          {guest.organisation ? `, ${guest.organisation.name}` : ''}.
        </p>
        {guest.state === 'terminated' ? <p class="notice">Your access has ended, so your account is blocked. A new approved request opens it again.</p> : null}
        {items.length === 0 ? <p>There is nothing you may request at the moment. Ask your contact at the organisation to open a package to yours.</p> : null}
        {items.map((item) => (
          <article class="card" aria-labelledby={`package-${item.id}`}>
            <h2 id={`package-${item.id}`}>{item.name}</h2>
            {item.description ? <p>{item.description}</p> : null}
            <PackageSummary item={item} name={name} />
            <p>
              <a class="button" href={`/portal/guest/request/${item.id}`} aria-label={`Request ${item.name}`}>
                Request
              </a>
            </p>
          </article>
        ))}
      </Layout>,
    );
  });

  async function requestForm(c: Context<PortalEnv>, packageId: string, problem?: ApiError) {
    const session = signedIn(c);
    const guest = await describeGuest(deps, session.guestEmail!);
    const item = packageIdPattern.test(packageId) ? (await openToMe(guest.email)).find((i) => i.id === packageId) : undefined;
    if (!item) throw new ApiError(404, 'not_found', 'There is no such package you may request.');
    const policy = item.policies[0]!;
    const form = problem ? (c.get('form') ?? {}) : {};
    return render(
      c,
      <Layout title={`Request ${item.name}`} session={session} active="guest-request">
        <PackageSummary item={item} name={await namesFor(guest, [item])} />
        {problem ? (
          <div class="problem" role="alert">
            <p>{problem.message}</p>
            {problem.details?.length ? (
              <ul>
                {problem.details.map((d) => (
                  <li>
                    <code>{d.path}</code>: {d.message}
                  </li>
                ))}
              </ul>
            ) : null}
          </div>
        ) : null}
        <form method="post" action={`/portal/guest/request/${item.id}`}>
          <input type="hidden" name="csrf" value={session.csrf} />
          {guest.guestId ? null : (
            <>
              <p class="muted">The first time you ask, we need your name for your account.</p>
              <label for="givenName">Given name</label>
              <input id="givenName" name="givenName" autocomplete="given-name" required maxlength={128} value={form.givenName ?? ''} />
              <label for="familyName">Family name</label>
              <input id="familyName" name="familyName" autocomplete="family-name" required maxlength={128} value={form.familyName ?? ''} />
            </>
          )}
          <label for="justification">Why you need it{policy.justification === 'required' ? ' (required)' : ' (optional)'}</label>
          <textarea id="justification" name="justification" rows={4} maxlength={2000} required={policy.justification === 'required'}>
            {form.justification ?? ''}
          </textarea>
          <div class="actions">
            <button type="submit">Send request</button>
          </div>
        </form>
      </Layout>,
      problem ? (problem.status === 403 || problem.status === 409 ? problem.status : 400) : 200,
    );
  }

  app.get('/portal/guest/request/:packageId', requireGuest, (c) => requestForm(c, c.req.param('packageId')));

  app.post('/portal/guest/request/:packageId', requireGuest, checkForm, async (c) => {
    const session = signedIn(c);
    const packageId = c.req.param('packageId');
    if (!packageIdPattern.test(packageId)) throw new ApiError(404, 'not_found', 'There is no such package you may request.');
    const form = c.get('form');
    try {
      const givenName = textField(form, 'givenName', 128, 'Your given name');
      const familyName = textField(form, 'familyName', 128, 'Your family name');
      for (const [field, value] of [['givenName', givenName], ['familyName', familyName]] as const) {
        if (value !== undefined && !isPlainText(value)) throw new ApiError(400, 'validation_failed', 'A name is plain text, on one line.', [{ path: field, message: 'no control characters' }]);
      }
      await startGuestRequest(deps, session.guestEmail!, { packageId, justification: textField(form, 'justification', 2000, 'The reason'), givenName, familyName });
    } catch (error) {
      if (error instanceof ApiError && error.status < 500 && error.status !== 404) return requestForm(c, packageId, error);
      throw error;
    }
    return c.redirect('/portal/guest/requests?done=requested', 303);
  });

  app.get('/portal/guest/requests', requireGuest, async (c) => {
    const session = signedIn(c);
    const [requests, packages] = await Promise.all([guestRequests(deps, session.guestEmail!), listPackages(deps.db)]);
    const packageName = (id: string) => packages.find((p) => p.id === id)?.name ?? id;
    const name = nameOf(new Map((await findIdentities(deps.db, [...new Set(requests.flatMap((r) => r.approvers))])).map((p) => [p.employeeId, p])));
    const done = c.req.query('done');
    return render(
      c,
      <Layout title="My requests" session={session} active="guest-requests" notice={done ? notices.get(done) : undefined}>
        {requests.length === 0 ? (
          <p>
            You have not asked for anything yet. <a href="/portal/guest/request">Request access</a>.
          </p>
        ) : null}
        <ul class="cards">
          {requests.map((r) => (
            <li class="card" data-request={r.id}>
              <h2>{packageName(r.packageId)}</h2>
              <dl>
                <dt>Status</dt>
                <dd>
                  <span class={`status status-${r.status}`}>{r.status}</span>
                  {r.outcomeReason ? ` — ${r.outcomeReason}` : ''}
                </dd>
                <dt>Asked</dt>
                <dd>{when(r.createdAt)}</dd>
                {r.status === 'pending' ? (
                  <>
                    <dt>Stage</dt>
                    <dd>{r.stage === 0 ? 'starting' : `${r.stage} of ${r.stageCount}`}</dd>
                    <dt>Waiting for</dt>
                    <dd>{r.approvers.length ? r.approvers.map(name).join(', ') : '—'}</dd>
                    <dt>Decision due</dt>
                    <dd>{when(r.stageDeadline)}</dd>
                  </>
                ) : (
                  <>
                    <dt>Decided</dt>
                    <dd>{when(r.decidedAt)}</dd>
                  </>
                )}
              </dl>
            </li>
          ))}
        </ul>
      </Layout>,
    );
  });
}
