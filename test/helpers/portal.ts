import type { Scope } from '../../api/api-keys';
import type { Db } from '../../db/client';
import { insertPortalSession } from '../../db/queries/portal-sessions';
import { csrfToken, newSessionId, sessionIdHash } from '../../portal/session';

// Portal sessions for tests that are not about signing in: the same row the sign-in stores.

export interface TestSession {
  cookie: string;
  csrf: string;
  idHash: string;
}

/** A session acting as `identityId`: an employee id, or (kind guest) a guest's mail address. */
export async function portalSession(db: Db, identityId: string, scopes: Scope[], options: { now?: Date; lifetimeMs?: number; kind?: 'employee' | 'guest' } = {}): Promise<TestSession> {
  const id = newSessionId();
  const now = options.now ?? new Date();
  const idHash = sessionIdHash(id)!;
  await insertPortalSession(db, { idHash, kind: options.kind ?? 'employee', identityId, scopes, createdAt: now, lastSeenAt: now, expiresAt: new Date(now.getTime() + (options.lifetimeMs ?? 3_600_000)) });
  return { cookie: `tenure_session=${id}`, csrf: csrfToken(id), idHash };
}

/** A form body as a browser sends it. */
export const formBody = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
