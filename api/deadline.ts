import { createMiddleware } from 'hono/factory';
import type { AppEnv } from './auth';
import { unavailable } from './errors';

// Every /v1 request is answered within a bound: a PostgreSQL that hangs (a failover, a black-holed
// network) or a Temporal that does not answer gives 503 with Retry-After, not a held request.

export interface Deadline {
  /** When the request is answered 503 unless it is done (epoch ms). */
  at: number;
  /** The request is past the point of no return (a stored record) or waits by design (provision now): no deadline. */
  lift(): void;
}

export function requestDeadline(timeoutMs: number) {
  const retryAfter = Math.max(1, Math.ceil(timeoutMs / 1000));
  return createMiddleware<AppEnv>(async (c, next) => {
    let lift = () => {};
    const expired = new Promise<never>((_, reject) => {
      const timer = setTimeout(() => reject(unavailable(`no answer within ${timeoutMs} ms (the database or Temporal is slow or out of reach)`, retryAfter)), timeoutMs);
      lift = () => clearTimeout(timer);
    });
    c.set('deadline', { at: Date.now() + timeoutMs, lift: () => lift() });
    try {
      await Promise.race([next(), expired]);
    } finally {
      lift();
    }
  });
}

/** Route middleware for routes that wait on Temporal by design (each bounds its own waits). */
export const noDeadline = createMiddleware<AppEnv>(async (c, next) => {
  c.get('deadline')?.lift();
  await next();
});
