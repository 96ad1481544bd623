import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { readFileSync } from 'node:fs';
import { OpenAPIHono, type Hook } from '@hono/zod-openapi';
import type { Client } from '@temporalio/client';
import type { Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import { secureHeaders } from 'hono/secure-headers';
import type { Logger as PinoLogger } from 'pino';
import type { Db } from '../db/client';
import type { TenureConfig } from '../domain/config';
import { formatIssues } from '../domain/worker-record';
import { authenticate, type AppEnv } from './auth';
import { approvalLinkPages } from '../portal/approval-link';
import { portalAssets } from '../portal/assets';
import { portalPages } from '../portal/pages';
import { requestDeadline } from './deadline';
import { ApiError, unavailable, validationFailed } from './errors';
import { accessPackageRoutes } from './routes/access-packages';
import { accessHookCallbackRoutes, accessRequestRoutes } from './routes/access-requests';
import { accessReviewRoutes } from './routes/access-reviews';
import { catalogRoutes } from './routes/catalogs';
import { connectedOrganisationRoutes } from './routes/connected-organisations';
import { guestRoutes } from './routes/guests';
import { healthRoutes } from './routes/health';
import { identityAccessRoutes } from './routes/identity-access';
import { meRoutes } from './routes/me';
import { myReviewRoutes } from './routes/my-reviews';
import { identityRoutes } from './routes/identities';
import { extensionCallbackRoutes, identityLifecycleRoutes } from './routes/identity-lifecycle';
import { lifecycleRunRoutes } from './routes/lifecycle-runs';
import { lifecycleWorkflowRoutes } from './routes/lifecycle-workflows';
import { targetRoutes } from './routes/targets';
import { workerRoutes } from './routes/workers';
import { unreachableDependency } from './unavailable';

/** Structured logging (pino): fields first, then a fixed message; input only ever travels as a field. */
export type Logger = Pick<PinoLogger, 'info' | 'warn' | 'error'>;

export interface AppDeps {
  db: Db;
  temporal: { client: Client; taskQueue: string; ping: () => Promise<unknown> };
  config: Pick<TenureConfig, 'datePolicy' | 'lifecyclePolicy' | 'mode' | 'customExtensions' | 'targets' | 'rateLimitPolicy' | 'api' | 'access' | 'guestPolicy' | 'portal' | 'temporal'> & { maxBodyBytes: number };
  /** How long a request waits for one Temporal call (a signal, a cancel) before it gives up. */
  deliveryTimeoutMs: number;
  now: () => Date;
  log: Logger;
}

const require = createRequire(import.meta.url);
const swaggerUiDir = dirname(require.resolve('swagger-ui-dist/package.json'));

/** How long a client is asked to wait when PostgreSQL or Temporal is out of reach. */
const retryAfterSeconds = 5;

// The reference page loads only files served from here, so its Content-Security-Policy needs no inline script.
const referencePage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Tenure API reference</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css"></head>
<body><div id="ui"></div><script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/assets/reference.js"></script></body></html>`;
const referenceScript = `window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#ui' });\n`;

// JSON answers load nothing; the reference page loads its own files (Swagger UI sets inline styles and data: icons).
const apiHeaders = secureHeaders({ contentSecurityPolicy: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] }, xFrameOptions: 'DENY' });
const docsHeaders = secureHeaders({
  contentSecurityPolicy: {
    defaultSrc: ["'none'"],
    scriptSrc: ["'self'"],
    styleSrc: ["'self'", "'unsafe-inline'"],
    imgSrc: ["'self'", 'data:'],
    connectSrc: ["'self'"],
    baseUri: ["'none'"],
    formAction: ["'none'"],
    frameAncestors: ["'none'"],
  },
  xFrameOptions: 'DENY',
});

// People's pages load only the stylesheet served from here; forms post only here.
const pageHeaders = secureHeaders({
  contentSecurityPolicy: { defaultSrc: ["'none'"], styleSrc: ["'self'"], imgSrc: ["'self'"], formAction: ["'self'"], baseUri: ["'none'"], frameAncestors: ["'none'"] },
  xFrameOptions: 'DENY',
  referrerPolicy: 'same-origin',
});
const isPage = (path: string) => path === '/portal' || path.startsWith('/portal/') || path.startsWith('/approvals/') || path.startsWith('/assets/');

/** One place formats every validation failure: field path and message, status 400. */
export const validationHook: Hook<unknown, AppEnv, string, unknown> = (result) => {
  if (!result.success) throw validationFailed(formatIssues(result.error.issues));
};

/** Hono's own refusals (unparsable JSON, a wrong media type, a body too large) say which part of the request is at fault. */
function unreadable(error: HTTPException): ApiError {
  const message = error.message || 'the request could not be read';
  if (error.status === 415) return new ApiError(415, 'unsupported_media_type', message, [{ path: 'content-type', message: 'send application/json' }]);
  if (error.status === 413) return new ApiError(413, 'payload_too_large', message, [{ path: '(body)', message: 'too large' }]);
  return new ApiError(400, 'bad_request', message, [{ path: '(body)', message }]);
}

function answer(c: Context, error: ApiError) {
  if (error.retryAfterSeconds !== undefined) c.header('Retry-After', String(error.retryAfterSeconds));
  return c.json(error.body(), error.status);
}

export function createApp(deps: AppDeps) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

  app.onError((error, c) => {
    if (error instanceof ApiError) return answer(c, error);
    if (error instanceof HTTPException && error.status < 500) return answer(c, unreadable(error));
    const where = { method: c.req.method, route: c.req.routePath };
    const dependency = unreachableDependency(error);
    if (dependency) {
      deps.log.warn({ ...where, dependency, err: error }, 'a dependency is out of reach; answered 503');
      return answer(c, unavailable(dependency === 'database' ? 'the database cannot be reached' : 'Temporal cannot be reached', retryAfterSeconds));
    }
    deps.log.error({ ...where, err: error }, 'request failed');
    return answer(c, new ApiError(500, 'internal', 'something went wrong; the error is logged'));
  });
  app.notFound((c) => c.json(new ApiError(404, 'not_found', `no route ${c.req.method} ${c.req.path}`).body(), 404));
  app.use('*', (c, next) => (c.req.path === '/docs' || c.req.path.startsWith('/docs/') ? docsHeaders(c, next) : isPage(c.req.path) ? pageHeaders(c, next) : apiHeaders(c, next)));

  app.route('/', healthRoutes(deps));
  app.use('/v1/*', requestDeadline(deps.config.api.requestTimeoutMs));
  // Signed by the extension, not by an API key: mounted before the key check.
  app.route('/', extensionCallbackRoutes(deps));
  app.route('/', accessHookCallbackRoutes(deps));
  // People's pages: a single-use link is the key to its one decision.
  app.route('/', portalAssets());
  app.route('/', approvalLinkPages(deps));
  // Guests: sign-in needs nothing, their routes need a guest ticket, never an API key.
  app.route('/', guestRoutes(deps));
  app.route('/', portalPages(deps));

  // Who is asking comes first: nobody without a key makes the server read a body.
  const limit = { failures: deps.config.rateLimitPolicy.authFailures, windowMs: deps.config.rateLimitPolicy.authWindowMs };
  app.use('/v1/*', authenticate(deps.db, { allowDevelopment: deps.config.mode === 'development', now: deps.now, limit }));
  app.use('/v1/*', bodyLimit({
    maxSize: deps.config.maxBodyBytes,
    onError: () => {
      throw new ApiError(413, 'payload_too_large', `the request body is larger than ${deps.config.maxBodyBytes} bytes`);
    },
  }));
  app.route('/', workerRoutes(deps));
  app.route('/', identityRoutes(deps));
  app.route('/', identityLifecycleRoutes(deps));
  app.route('/', lifecycleWorkflowRoutes(deps));
  app.route('/', lifecycleRunRoutes(deps));
  app.route('/', targetRoutes(deps));
  app.route('/', meRoutes(deps));
  app.route('/', accessRequestRoutes(deps));
  app.route('/', identityAccessRoutes(deps));
  app.route('/', catalogRoutes(deps));
  app.route('/', accessPackageRoutes(deps));
  app.route('/', accessReviewRoutes(deps));
  app.route('/', myReviewRoutes(deps));
  app.route('/', connectedOrganisationRoutes(deps));

  app.openAPIRegistry.registerComponent('securitySchemes', 'bearerAuth', { type: 'http', scheme: 'bearer', description: 'tnr_… API key' });
  app.openAPIRegistry.registerComponent('securitySchemes', 'guestTicket', { type: 'http', scheme: 'bearer', description: 'gt_… ticket from POST /v1/guest-sign-in/verify' });
  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: { title: 'Tenure API', version: '0.1.0', description: 'HR records in, identities and accounts out.' },
  });
  app.get('/docs', (c) => c.html(referencePage));
  app.get('/docs/assets/reference.js', (c) => c.body(referenceScript, 200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'public, max-age=86400' }));
  const assets = new Map<string, Buffer>();
  app.get('/docs/assets/:file{swagger-ui\\.css|swagger-ui-bundle\\.js}', (c) => {
    const file = c.req.param('file');
    const body = assets.get(file) ?? readFileSync(join(swaggerUiDir, file));
    assets.set(file, body);
    const type = file.endsWith('.css') ? 'text/css' : 'text/javascript';
    return c.body(new Uint8Array(body), 200, { 'content-type': type, 'cache-control': 'public, max-age=86400' });
  });
  return app;
}
