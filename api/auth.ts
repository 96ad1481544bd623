import { createHash } from 'node:crypto';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import type { Db } from '../db/client';
import { touchApiKey } from '../db/queries/api-keys';
import { appendAuditEvents } from '../db/queries/audit';
import { hasScope, verifyApiKey, type Scope } from './api-keys';
import type { Deadline } from './deadline';
import { ApiError } from './errors';
import { countFailure, refuseWhileLimited, type Limit } from './rate-limit';

/**
 * Whoever asks: an API key, or a person signed in to the portal (an employee, later a guest).
 * Every door judges them with `authorize`, so the portal can never do what the API would refuse.
 */
export interface Caller {
  kind: 'api-key' | 'employee' | 'guest';
  scopes: readonly string[];
  /** The person the caller acts as: a self-service key's person, or the one signed in. */
  employeeId?: string;
}

/** Refuses (403) a caller without the scope; `admin` holds every scope. */
export function authorize(caller: Caller, scope: Scope): void {
  if (hasScope(caller, scope)) return;
  const who = caller.kind === 'api-key' ? 'this API key' : 'your sign-in';
  throw new ApiError(403, 'forbidden', `${who} lacks the scope ${scope}`);
}

export interface CallerKey extends Caller {
  kind: 'api-key';
  id: string;
  name: string;
  scopes: string[];
}

/** `apiKey` on the routes behind the key check; `guestEmail` on the guest routes behind a guest ticket. */
export type AppEnv = { Variables: { apiKey: CallerKey; deadline: Deadline; guestEmail: string } };

const cacheMs = 30_000;

/** The peer's socket address; proxies in front of the API share theirs. "unknown" outside a Node server (tests). */
export function clientAddress(c: Context): string {
  try {
    return getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

export const authFailureKey = (address: string) => `auth:${address}`;

/**
 * After `limit.failures` failed authentications (a wrong key, a wrong callback signature) one
 * address is answered 429 until its window closes; reaching the limit is written to the trail.
 */
export async function refuseFailedAuthentications(db: Db, address: string, limit: Limit, now: Date): Promise<void> {
  await refuseWhileLimited(db, authFailureKey(address), limit, now, `failed authentications from ${address}`);
}

export async function recordFailedAuthentication(db: Db, address: string, limit: Limit, now: Date): Promise<void> {
  const count = await countFailure(db, authFailureKey(address), limit, now);
  if (!count.reached) return;
  await appendAuditEvents(db, [
    {
      kind: 'auth.rate-limited',
      actor: `client:${address}`,
      system: 'tenure',
      summary: `${count.failures} failed authentications from ${address}; further attempts are refused until the window closes`,
      details: { address, failures: count.failures, windowSeconds: limit.windowMs / 1000 },
    },
  ]);
}

/**
 * Checks `Authorization: Bearer <key>`. Verified keys are remembered for 30 s per app, so a
 * busy HR feed costs one lookup, and a revoked key stops working within that time. A key not
 * remembered is only checked while its address has failures left.
 */
export function authenticate(db: Db, options: { allowDevelopment: boolean; now: () => Date; limit: Limit }) {
  const verified = new Map<string, { key: CallerKey; until: number }>();
  return createMiddleware<AppEnv>(async (c, next) => {
    const header = c.req.header('authorization') ?? '';
    const token = /^Bearer\s+(\S+)$/i.exec(header)?.[1];
    if (!token) throw new ApiError(401, 'unauthenticated', 'send Authorization: Bearer <api key>');
    const now = options.now();
    const cacheKey = createHash('sha256').update(token).digest('base64url');
    let cached = verified.get(cacheKey);
    if (!cached || cached.until < now.getTime()) {
      const address = clientAddress(c);
      await refuseFailedAuthentications(db, address, options.limit, now);
      const row = await verifyApiKey(db, token, options);
      if (!row) {
        verified.delete(cacheKey);
        await recordFailedAuthentication(db, address, options.limit, now);
        throw new ApiError(401, 'unauthenticated', 'the API key is not valid');
      }
      cached = { key: { kind: 'api-key', id: row.id, name: row.name, scopes: row.scopes, employeeId: row.employeeId ?? undefined }, until: now.getTime() + cacheMs };
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
    authorize(c.get('apiKey'), scope);
    await next();
  });
}
