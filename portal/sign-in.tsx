import type { Hono } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { AppDeps } from '../api/app';
import { ApiError } from '../api/errors';
import { appendAuditEvents } from '../db/queries/audit';
import { findIdentitiesByWorkEmail, findIdentity, type IdentityRow } from '../db/queries/identities';
import { deleteExpiredPortalSessions } from '../db/queries/portal-sessions';
import { isLeaving } from '../domain/access-impact';
import { isPlainText } from '../domain/text';
import { employeeIdSchema } from '../domain/worker-record';
import { checkForm, closeSession, cookieNames, openSession, requireSignIn, type PortalEnv } from './context';
import { createOidcClient, pendingSignInSchema, SignInFailed, type PendingSignIn } from './oidc';
import { errorPage, Layout, render } from './render';
import { groupsFrom, roleOf, scopesOf } from './session';

// Signing in at the organisation's provider and out again. A person is matched to an identity by
// the configured claim; someone who matches nobody (or has left) is told so and gets no session.

/** Only pages of the portal, never another site: an open redirect would be a phishing aid. */
const returnPattern = /^\/portal(\/[A-Za-z0-9._~%-]+)*\/?$/;
const safeReturn = (value: string | undefined) => (value && returnPattern.test(value) && !value.startsWith('/portal/sign-') && !value.startsWith('/portal/callback') ? value : '/portal/request');

const signInMinutes = 10;

export function signInPages(app: Hono<PortalEnv>, deps: AppDeps) {
  const settings = deps.config.portal;
  const oidc = settings.oidc ? createOidcClient(settings.oidc) : undefined;
  const names = cookieNames(deps.config.api.publicUrl);
  /** The provider did not answer (or answered nonsense): a page that says so, the cause in the log. */
  const providerAway = (error: unknown) => {
    deps.log.warn({ err: error, issuer: settings.oidc?.issuer }, 'the OpenID provider could not be reached');
    return new ApiError(503, 'unavailable', 'The sign-in service of your organisation cannot be reached. Try again in a minute.', undefined, 30);
  };
  const notSetUp = () => new ApiError(404, 'not_found', 'Sign-in to the portal is not set up on this installation (portal.issuer).');

  app.get('/portal', async (c) => {
    const session = c.get('session');
    if (session) return c.redirect(session.kind === 'guest' ? '/portal/guest/request' : '/portal/request', 303);
    return render(
      c,
      <Layout title="Sign in to Tenure" notice={c.req.query('done') === 'signed-out' ? 'You are signed out.' : undefined}>
        <p>Request access, see what you have and when it ends, and decide what waits for your approval.</p>
        {oidc ? (
          <p>
            <a class="button" href="/portal/sign-in">
              Sign in with your organisation account
            </a>
          </p>
        ) : (
          <p>Sign-in is not set up on this installation yet.</p>
        )}
        <h2>Guests</h2>
        <p>From a partner organisation? We mail you a code; no password needed.</p>
        <p>
          <a href="/portal/guest">Guests: sign in with your email</a>
        </p>
      </Layout>,
    );
  });

  app.get('/portal/sign-in', async (c) => {
    if (!oidc) throw notSetUp();
    const { url, pending } = await oidc.start(safeReturn(c.req.query('returnTo'))).catch((error: unknown) => {
      throw providerAway(error);
    });
    setCookie(c, names.signIn, Buffer.from(JSON.stringify(pending)).toString('base64url'), { path: '/portal/callback', httpOnly: true, secure: names.secure, sameSite: 'Lax', maxAge: signInMinutes * 60 });
    return c.redirect(url.href, 303);
  });

  app.get('/portal/callback', async (c) => {
    if (!oidc) throw notSetUp();
    const pending = readPending(getCookie(c, names.signIn));
    deleteCookie(c, names.signIn, { path: '/portal/callback', secure: names.secure });
    const providerError = c.req.query('error');
    if (providerError !== undefined) {
      const said = isPlainText(providerError) ? providerError.slice(0, 100) : 'an error';
      throw new ApiError(400, 'sign_in_failed', `The sign-in was not completed: the provider answered “${said}”. Try again.`, [{ path: 'error', message: said }]);
    }
    if (!pending) throw new ApiError(400, 'sign_in_failed', `The sign-in took longer than ${signInMinutes} minutes or was started in another browser. Start it again.`, [{ path: 'state', message: 'no sign-in in progress' }]);
    let claims: Record<string, unknown>;
    try {
      claims = await oidc.finish(new URL(c.req.url).search, pending);
    } catch (error) {
      if (error instanceof SignInFailed) throw new ApiError(400, 'sign_in_failed', 'The sign-in could not be checked, so it was refused. Start it again.', [{ path: 'code', message: error.message.slice(0, 200) }]);
      throw providerAway(error);
    }
    const identity = await matchIdentity(deps, claims);
    if (!identity) {
      return errorPage(c, 403, 'We could not find you', 'You signed in, but no person in Tenure matches your account, so there is nothing you can do here. If you think this is wrong, ask your IT team to check your work email or employee id.');
    }
    if (isLeaving(identity.state)) return errorPage(c, 403, 'Your access has ended', `Tenure knows you as ${identity.state}, so the portal is closed to you.`);
    const role = roleOf({ employeeId: identity.employeeId, groups: groupsFrom(claims[settings.groupsClaim]) }, settings);
    const subject = typeof claims.sub === 'string' ? claims.sub.slice(0, 255) : undefined;
    // Sessions past their end go whenever someone signs in: the table never grows without bound.
    await deleteExpiredPortalSessions(deps.db, deps.now());
    await openSession(deps, c, { kind: 'employee', identityId: identity.employeeId, subject, scopes: scopesOf(role) });
    await appendAuditEvents(deps.db, [{ employeeId: identity.employeeId, kind: 'portal.signed-in', actor: identity.employeeId, system: 'portal', summary: `${identity.displayName} signed in to the portal as ${role}`, details: { role, subject: subject ?? null } }]);
    return c.redirect(pending.returnTo, 303);
  });

  app.post('/portal/sign-out', requireSignIn, checkForm, async (c) => {
    await closeSession(deps, c);
    return c.redirect('/portal?done=signed-out', 303);
  });
}

function readPending(cookie: string | undefined): PendingSignIn | undefined {
  if (!cookie || cookie.length > 2000) return undefined;
  try {
    const parsed = pendingSignInSchema.safeParse(JSON.parse(Buffer.from(cookie, 'base64url').toString('utf8')));
    return parsed.success ? { ...parsed.data, returnTo: safeReturn(parsed.data.returnTo) } : undefined;
  } catch {
    return undefined;
  }
}

/** The one identity the configured claim names; none when it names nobody or is ambiguous. */
async function matchIdentity(deps: AppDeps, claims: Record<string, unknown>): Promise<IdentityRow | undefined> {
  if (deps.config.portal.matchClaim === 'employee_id') {
    const parsed = employeeIdSchema.safeParse(claims.employee_id);
    return parsed.success ? findIdentity(deps.db, parsed.data) : undefined;
  }
  const email = claims.email;
  // An address the provider has not verified matches nobody.
  if (typeof email !== 'string' || email.length > 320 || claims.email_verified === false) return undefined;
  const found = await findIdentitiesByWorkEmail(deps.db, email);
  return found.length === 1 ? found[0] : undefined;
}
