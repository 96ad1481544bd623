import { Hono, type ErrorHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import type { AppDeps } from '../api/app';
import { ApiError } from '../api/errors';
import { unreachableDependency } from '../api/unavailable';
import { accessPages } from './access-pages';
import { loadSession, maxFormBytes, requireSignIn, type PortalEnv } from './context';
import { guestPages, guestSignInPages } from './guest-pages';
import { peoplePages } from './people-pages';
import { reviewPages } from './review-pages';
import { errorPage } from './render';
import { signInPages } from './sign-in';

// The people's portal, mounted by the API: sign-in, then Request access, My access, Approvals and
// (for operators) People. Every failure is a page that says what happened, never a stack trace.

/** A form body is read only up to its limit, however long the client keeps sending. */
export const formLimit = bodyLimit({
  maxSize: maxFormBytes,
  onError: () => {
    throw new ApiError(413, 'payload_too_large', `A form is at most ${maxFormBytes} bytes.`, [{ path: '(body)', message: 'too large' }]);
  },
});

/** Every failure of a page is a page: what happened and what to do, never internals. */
export function pageErrors(deps: AppDeps): ErrorHandler<PortalEnv> {
  return (error, c) => {
    const session = c.get('session');
    if (error instanceof ApiError) {
      const status = error.status === 401 ? 401 : error.status === 422 || error.status === 415 ? 400 : error.status === 504 ? 503 : error.status;
      const titles: Record<number, string> = { 400: 'That did not work', 401: 'Please sign in again', 403: 'Not allowed for you', 404: 'Nothing found here', 409: 'That cannot be done now', 413: 'That form is too large', 429: 'Too many attempts', 500: 'Something went wrong', 503: 'Tenure is busy' };
      if (error.retryAfterSeconds !== undefined) c.header('Retry-After', String(error.retryAfterSeconds));
      return errorPage(c, status, titles[status] ?? 'That did not work', error.message, { session, fields: error.details });
    }
    if (error instanceof HTTPException && error.status < 500) return errorPage(c, 400, 'That did not work', 'The request could not be read.', { session });
    const where = { method: c.req.method, route: c.req.routePath };
    if (unreachableDependency(error)) {
      deps.log.warn({ ...where, err: error }, 'a dependency is out of reach; answered 503');
      c.header('Retry-After', '5');
      return errorPage(c, 503, 'Tenure is busy', 'A service Tenure needs is out of reach. Try again in a few seconds.', { session });
    }
    deps.log.error({ ...where, err: error }, 'portal request failed');
    return errorPage(c, 500, 'Something went wrong', 'The error is logged. Try again, or tell your IT team what you were doing.', { session });
  };
}

export function portalPages(deps: AppDeps) {
  const app = new Hono<PortalEnv>();

  app.onError(pageErrors(deps));

  // Personal pages: never kept by a browser's or a proxy's cache. ('/portal/*' matches '/portal' too.)
  app.use('/portal/*', async (c, next) => {
    await next();
    c.header('Cache-Control', 'no-store');
  });
  app.use('/portal/*', loadSession(deps));
  app.use('/portal/*', formLimit);
  signInPages(app, deps);
  guestSignInPages(app, deps);

  app.use('/portal/*', requireSignIn);
  guestPages(app, deps);
  accessPages(app, deps);
  reviewPages(app, deps);
  peoplePages(app, deps);
  app.get('/portal/*', () => {
    throw new ApiError(404, 'not_found', 'There is no such page.');
  });
  return app;
}
