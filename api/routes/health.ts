import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { sql } from 'drizzle-orm';
import type { AppDeps } from '../app';

const statusSchema = z.object({ status: z.enum(['ok', 'unavailable']), checks: z.record(z.string(), z.string()).optional() });

const healthz = createRoute({
  method: 'get',
  path: '/healthz',
  tags: ['Operations'],
  summary: 'The process is up',
  responses: { 200: { description: 'Up', content: { 'application/json': { schema: statusSchema } } } },
});

const readyz = createRoute({
  method: 'get',
  path: '/readyz',
  tags: ['Operations'],
  summary: 'PostgreSQL and Temporal are reachable',
  responses: {
    200: { description: 'Ready', content: { 'application/json': { schema: statusSchema } } },
    503: { description: 'A dependency is unreachable', content: { 'application/json': { schema: statusSchema } } },
  },
});

/** 'ok' or 'unreachable': the reason goes to the log, not to an unauthenticated caller. */
async function check(name: string, probe: () => Promise<unknown>, timeoutMs: number, log: AppDeps['log']): Promise<string> {
  try {
    await Promise.race([
      probe(),
      new Promise((_, reject) => setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs).unref()),
    ]);
    return 'ok';
  } catch (error) {
    log.warn({ dependency: name, err: error }, 'readiness: a dependency is unreachable');
    return 'unreachable';
  }
}

export function healthRoutes(deps: AppDeps) {
  const app = new OpenAPIHono();
  app.openapi(healthz, (c) => c.json({ status: 'ok' as const }, 200));
  app.openapi(readyz, async (c) => {
    const [database, temporal] = await Promise.all([
      check('database', () => deps.db.execute(sql`select 1`), 2000, deps.log),
      check('temporal', () => deps.temporal.ping(), 2000, deps.log),
    ]);
    const ready = database === 'ok' && temporal === 'ok';
    if (ready) return c.json({ status: 'ok' as const, checks: { database, temporal } }, 200);
    c.header('Retry-After', '5');
    return c.json({ status: 'unavailable' as const, checks: { database, temporal } }, 503);
  });
  return app;
}
