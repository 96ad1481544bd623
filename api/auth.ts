import { createHash } from 'node:crypto';
import { createMiddleware } from 'hono/factory';
import type { Db } from '../db/client';
import { touchApiKey } from '../db/queries/api-keys';
import { hasScope, verifyApiKey, type Scope } from './api-keys';
import { ApiError } from './errors';

export interface CallerKey {
  id: string;
  name: string;
  scopes: string[];
}

export type AppEnv = { Variables: { apiKey: CallerKey } };

const cacheMs = 30_000;

/**
 * Checks `Authorization: Bearer <key>`. Verified keys are remembered for 30 s per app, so a
 * busy HR feed costs one lookup, and a revoked key stops working within that time.
 */
export function authenticate(db: Db, options: { allowDevelopment: boolean; now: () => number }) {
  const verified = new Map<string, { key: CallerKey; until: number }>();
  return createMiddleware<AppEnv>(async (c, next) => {
    const header = c.req.header('authorization') ?? '';
    const token = /^Bearer\s+(\S+)$/i.exec(header)?.[1];
    if (!token) throw new ApiError(401, 'unauthenticated', 'send Authorization: Bearer <api key>');
    const now = options.now();
    const cacheKey = createHash('sha256').update(token).digest('base64url');
    let cached = verified.get(cacheKey);
    if (!cached || cached.until < now) {
      const row = await verifyApiKey(db, token, options);
      if (!row) {
        verified.delete(cacheKey);
        throw new ApiError(401, 'unauthenticated', 'the API key is not valid');
      }
      cached = { key: { id: row.id, name: row.name, scopes: row.scopes }, until: now + cacheMs };
      if (verified.size > 1000) verified.clear();
      verified.set(cacheKey, cached);
      await touchApiKey(db, row.id);
    }
    c.set('apiKey', cached.key);
    await next();
  });
}

export function requireScope(scope: Scope) {
  return createMiddleware<AppEnv>(async (c, next) => {
    if (!hasScope(c.get('apiKey'), scope)) throw new ApiError(403, 'forbidden', `this API key lacks the scope ${scope}`);
    await next();
  });
}
