import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { readFileSync } from 'node:fs';
import { OpenAPIHono, type Hook } from '@hono/zod-openapi';
import type { Client } from '@temporalio/client';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import type { Db } from '../db/client';
import type { TenureConfig } from '../domain/config';
import { formatIssues } from '../domain/worker-record';
import { authenticate, type AppEnv } from './auth';
import { ApiError, validationFailed } from './errors';
import { healthRoutes } from './routes/health';
import { identityRoutes } from './routes/identities';
import { extensionCallbackRoutes, identityLifecycleRoutes } from './routes/identity-lifecycle';
import { lifecycleRunRoutes } from './routes/lifecycle-runs';
import { lifecycleWorkflowRoutes } from './routes/lifecycle-workflows';
import { targetRoutes } from './routes/targets';
import { workerRoutes } from './routes/workers';

export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string, error?: unknown): void;
}

export interface AppDeps {
  db: Db;
  temporal: { client: Client; taskQueue: string; ping: () => Promise<unknown> };
  config: Pick<TenureConfig, 'datePolicy' | 'lifecyclePolicy' | 'mode' | 'customExtensions' | 'targets'> & { maxBodyBytes: number };
  /** How long a request waits for Temporal before leaving delivery to the relay. */
  deliveryTimeoutMs: number;
  now: () => Date;
  log: Logger;
}

const require = createRequire(import.meta.url);
const swaggerUiDir = dirname(require.resolve('swagger-ui-dist/package.json'));

const referencePage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Tenure API reference</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css"></head>
<body><div id="ui"></div><script src="/docs/assets/swagger-ui-bundle.js"></script>
<script>window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#ui' });</script></body></html>`;

/** One place formats every validation failure: field path and message, status 400. */
export const validationHook: Hook<unknown, AppEnv, string, unknown> = (result) => {
  if (!result.success) throw validationFailed(formatIssues(result.error.issues));
};

export function createApp(deps: AppDeps) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

  app.onError((error, c) => {
    if (error instanceof ApiError) return c.json(error.body(), error.status);
    if (error instanceof HTTPException && error.status < 500) {
      const apiError = new ApiError(error.status === 413 ? 413 : error.status === 415 ? 415 : 400, error.status === 415 ? 'unsupported_media_type' : 'bad_request', error.message || 'the request could not be read');
      return c.json(apiError.body(), apiError.status);
    }
    deps.log.error(`${c.req.method} ${c.req.path} failed`, error);
    return c.json(new ApiError(500, 'internal', 'something went wrong; the error is logged').body(), 500);
  });
  app.notFound((c) => c.json(new ApiError(404, 'not_found', `no route ${c.req.method} ${c.req.path}`).body(), 404));

  app.route('/', healthRoutes(deps));
  // Signed by the extension, not by an API key: mounted before the key check.
  app.route('/', extensionCallbackRoutes(deps));

  // Who is asking comes first: nobody without a key makes the server read a body.
  app.use('/v1/*', authenticate(deps.db, { allowDevelopment: deps.config.mode === 'development', now: () => deps.now().getTime() }));
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

  app.openAPIRegistry.registerComponent('securitySchemes', 'bearerAuth', { type: 'http', scheme: 'bearer', description: 'tnr_… API key' });
  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: { title: 'Tenure API', version: '0.1.0', description: 'HR records in, identities and accounts out.' },
  });
  app.get('/docs', (c) => c.html(referencePage));
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
