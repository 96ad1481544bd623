import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { createMiddleware } from 'hono/factory';
import type { Scope } from '../api/api-keys';
import type { AppDeps } from '../api/app';
import { authorize, type Caller } from '../api/auth';
import { ApiError } from '../api/errors';
import { deletePortalSession, findPortalSession, insertPortalSession, touchPortalSession } from '../db/queries/portal-sessions';
import { isStorableText } from '../domain/text';
import { isLoopbackHttp } from './oidc';
import { csrfToken, sameToken, newSessionId, sessionIdHash, sessionStatus, worthTouching, type SessionKind } from './session';

// Who is signed in to the portal, and the checks every page and form passes: a live session, the
// scope the page needs (the API's own `authorize`), and for every POST the session's CSRF token
// and a same-origin Origin header.

export interface PortalCaller extends Caller {
  kind: SessionKind;
  /** The employee the session acts as; empty for a guest, who acts as no employee. */
  employeeId: string;
  /** A guest's mail address: who they are, whether or not they are an identity yet. */
  guestEmail?: string;
  /** The session's CSRF token, for the forms of the page. */
  csrf: string;
  idHash: string;
}

export type PortalEnv = { Variables: { session: PortalCaller | undefined; form: Record<string, string>; publicOrigin: string } };

type Deps = Pick<AppDeps, 'db' | 'now' | 'config'>;

/** Secure cookies, except where the portal is served over plain HTTP on this machine. */
export const cookieNames = (publicUrl: string) => {
  const secure = !isLoopbackHttp(publicUrl);
  // __Host- cookies must be Secure, path /, without a domain: no subdomain can set or read them.
  return {
    secure,
    session: secure ? '__Host-tenure_session' : 'tenure_session',
    signIn: secure ? '__Secure-tenure_sign_in' : 'tenure_sign_in',
    guestSignIn: secure ? '__Secure-tenure_guest_sign_in' : 'tenure_guest_sign_in',
  };
};

/** Stores a new session and sets its cookie. */
export async function openSession(deps: Deps, c: Context, person: { kind: SessionKind; identityId: string; subject?: string; scopes: Scope[]; lifetimeMs?: number }): Promise<void> {
  const id = newSessionId();
  const now = deps.now();
  const sessionLifetimeMs = Math.min(person.lifetimeMs ?? Infinity, deps.config.portal.sessionLifetimeMs);
  await insertPortalSession(deps.db, { idHash: sessionIdHash(id)!, kind: person.kind, identityId: person.identityId, subject: person.subject ?? null, scopes: person.scopes, createdAt: now, lastSeenAt: now, expiresAt: new Date(now.getTime() + sessionLifetimeMs) });
  const names = cookieNames(deps.config.api.publicUrl);
  setCookie(c, names.session, id, { path: '/', httpOnly: true, secure: names.secure, sameSite: 'Lax', maxAge: Math.floor(sessionLifetimeMs / 1000) });
}

export async function closeSession(deps: Deps, c: Context<PortalEnv>): Promise<void> {
  const session = c.get('session');
  if (session) await deletePortalSession(deps.db, session.idHash);
  const names = cookieNames(deps.config.api.publicUrl);
  deleteCookie(c, names.session, { path: '/', secure: names.secure });
}

/** Reads the session cookie; an expired or idle session is deleted and counts as none. */
export function loadSession(deps: Deps) {
  const names = cookieNames(deps.config.api.publicUrl);
  return createMiddleware<PortalEnv>(async (c, next) => {
    const id = getCookie(c, names.session);
    const idHash = sessionIdHash(id);
    const row = idHash ? await findPortalSession(deps.db, idHash) : undefined;
    const now = deps.now();
    let session: PortalCaller | undefined;
    if (row && id) {
      if (sessionStatus(row, now, deps.config.portal.idleTimeoutMs) === 'live') {
        if (worthTouching(row.lastSeenAt, now)) await touchPortalSession(deps.db, row.idHash, now);
        // A guest session's identity is the guest's mail address (they may not be an identity yet).
        const guest = row.kind === 'guest';
        session = { kind: row.kind, employeeId: guest ? '' : row.identityId, guestEmail: guest ? row.identityId : undefined, scopes: row.scopes, csrf: csrfToken(id), idHash: row.idHash };
      } else {
        await deletePortalSession(deps.db, row.idHash);
      }
    }
    c.set('session', session);
    // Behind a proxy the browser's origin is the public URL's, not the one this process sees.
    c.set('publicOrigin', new URL(deps.config.api.publicUrl).origin);
    await next();
  });
}

/** Only a signed-in person passes: a page sends the browser to sign in (and back), a form post is refused. */
export const requireSignIn = createMiddleware<PortalEnv>(async (c, next) => {
  if (!c.get('session')) {
    const path = new URL(c.req.url).pathname;
    // A guest's pages send them to the guests' sign-in, which has no way back to another page.
    if (c.req.method === 'GET') return c.redirect(path.startsWith('/portal/guest/') ? '/portal/guest' : `/portal/sign-in?returnTo=${encodeURIComponent(path)}`, 303);
    throw new ApiError(401, 'unauthenticated', 'Your sign-in has ended. Sign in again and repeat what you did.');
  }
  await next();
});

/** The session as the API's `authorize` sees it: a page the API would refuse is refused here too. */
export function requirePortalScope(scope: Scope) {
  return createMiddleware<PortalEnv>(async (c, next) => {
    authorize(c.get('session')!, scope);
    await next();
  });
}

/** Only a guest's session passes: an employee's session is not a guest, whatever its scopes. */
export const requireGuest = createMiddleware<PortalEnv>(async (c, next) => {
  if (c.get('session')?.kind !== 'guest') throw new ApiError(403, 'forbidden', 'These pages are for guests from partner organisations. Your sign-in is not a guest’s.');
  await next();
});

export const signedIn = (c: Context<PortalEnv>): PortalCaller => c.get('session')!;

export const maxFormBytes = 16 * 1024;

/**
 * Every form post: a form body of at most 16 KiB, from this origin (when the browser says where
 * from), carrying the session's CSRF token. The parsed fields are kept for the handler.
 */
export const checkForm = createMiddleware<PortalEnv>(async (c, next) => {
  await checkFormOf(c, signedIn(c).csrf);
  await next();
});

/** The checks of `checkForm` against a given token: a form before any session (the guests' sign-in) has one of its own. */
export async function checkFormOf(c: Context<PortalEnv>, csrf: string | undefined): Promise<void> {
  const origin = c.req.header('origin');
  if (origin !== undefined && origin !== c.get('publicOrigin') && origin !== new URL(c.req.url).origin) throw new ApiError(403, 'cross_origin', 'This form was sent from another site, so it was refused.');
  c.set('form', await readForm(c));
  if (!csrf || !sameToken(csrf, c.get('form').csrf)) throw new ApiError(403, 'csrf', 'This form has expired or did not come from this site. Open the page again and repeat what you did.', [{ path: 'csrf', message: 'missing or wrong' }]);
}

/** A urlencoded or multipart form as plain fields; anything else is a 400 naming the body. */
export async function readForm(c: Context): Promise<Record<string, string>> {
  const length = Number(c.req.header('content-length') ?? 0);
  if (length > maxFormBytes) throw new ApiError(413, 'payload_too_large', `A form is at most ${maxFormBytes} bytes.`, [{ path: '(body)', message: 'too large' }]);
  const type = c.req.header('content-type') ?? '';
  if (!/^(application\/x-www-form-urlencoded|multipart\/form-data)\b/i.test(type)) throw new ApiError(400, 'bad_request', 'The form could not be read.', [{ path: 'content-type', message: 'send a form' }]);
  const text = await c.req.text();
  if (text.length > maxFormBytes) throw new ApiError(413, 'payload_too_large', `A form is at most ${maxFormBytes} bytes.`, [{ path: '(body)', message: 'too large' }]);
  let parsed: Record<string, string | File | (string | File)[]>;
  try {
    parsed = await new Request('http://form', { method: 'POST', headers: { 'content-type': type }, body: text }).formData().then((data) => {
      const out: Record<string, string | File> = {};
      data.forEach((value, key) => (out[key] ??= value));
      return out;
    });
  } catch {
    throw new ApiError(400, 'bad_request', 'The form could not be read.', [{ path: '(body)', message: 'not a form' }]);
  }
  const fields: Record<string, string> = {};
  for (const [key, value] of Object.entries(parsed)) if (typeof value === 'string') fields[key] = value;
  return fields;
}

/** A text field of a form: trimmed, at most `max` characters, storable; empty is absent. */
export function textField(form: Record<string, string>, name: string, max: number, label: string): string | undefined {
  const value = form[name]?.trim();
  if (!value) return undefined;
  if (value.length > max) throw new ApiError(400, 'validation_failed', `${label} is too long.`, [{ path: name, message: `at most ${max} characters` }]);
  if (!isStorableText(value)) throw new ApiError(400, 'validation_failed', `${label} holds characters that cannot be stored.`, [{ path: name, message: 'must not contain NUL or broken UTF-16' }]);
  return value;
}
