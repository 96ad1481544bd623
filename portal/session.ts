import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Scope } from '../api/api-keys';
import type { PortalSettings } from '../domain/config';

// The rules of a portal session, apart from storage: a random id the cookie carries (stored only
// as its SHA-256), an absolute lifetime and an idle timeout, the CSRF token derived from the id,
// and the scopes a person gets from who they are.

export type SessionKind = 'employee' | 'guest';

const idPattern = /^[A-Za-z0-9_-]{43}$/;

/** 256 random bits, URL-safe. */
export const newSessionId = (): string => randomBytes(32).toString('base64url');

/** What is stored for an id; undefined for anything that is not the shape of one (never looked up). */
export function sessionIdHash(id: string | undefined): string | undefined {
  if (!id || !idPattern.test(id)) return undefined;
  return createHash('sha256').update(id).digest('hex');
}

export type SessionStatus = 'live' | 'expired' | 'idle';

/** A session ends at its expiry, or earlier when it was not used for the idle timeout. */
export function sessionStatus(row: { expiresAt: Date; lastSeenAt: Date }, now: Date, idleTimeoutMs: number): SessionStatus {
  if (now.getTime() >= row.expiresAt.getTime()) return 'expired';
  if (now.getTime() - row.lastSeenAt.getTime() >= idleTimeoutMs) return 'idle';
  return 'live';
}

/** Whether a use of the session should be written down (at most once a minute, so reading pages is not a write each). */
export const worthTouching = (lastSeenAt: Date, now: Date): boolean => now.getTime() - lastSeenAt.getTime() >= 60_000;

/**
 * The CSRF token of a session: an HMAC keyed by the session id, which only the cookie's holder
 * knows. Nothing more to store, and a token from one session is worthless in another.
 */
export const csrfToken = (sessionId: string): string => createHmac('sha256', sessionId).update('tenure-portal-csrf').digest('base64url');

export const csrfMatches = (sessionId: string, given: unknown): boolean => sameToken(csrfToken(sessionId), given);

/** A token compared in constant time; anything but a short string is no match. */
export function sameToken(expected: string, given: unknown): boolean {
  if (typeof given !== 'string' || given.length > 100) return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

export type PortalRole = 'employee' | 'operator' | 'administrator';

/** Everyone matched is an employee; the configured groups (or employee ids) make operators and administrators. */
export function roleOf(person: { employeeId: string; groups: readonly string[] }, settings: Pick<PortalSettings, 'operatorGroups' | 'administratorGroups' | 'operators' | 'administrators'>): PortalRole {
  const inAny = (names: readonly string[]) => person.groups.some((g) => names.includes(g));
  if (settings.administrators.includes(person.employeeId) || inAny(settings.administratorGroups)) return 'administrator';
  if (settings.operators.includes(person.employeeId) || inAny(settings.operatorGroups)) return 'operator';
  return 'employee';
}

/** The same scopes as API keys: a person acts as themself; operators read identities; administrators are admin. */
export function scopesOf(role: PortalRole): Scope[] {
  if (role === 'administrator') return ['self-service', 'identities:read', 'admin'];
  if (role === 'operator') return ['self-service', 'identities:read'];
  return ['self-service'];
}

/** The groups a claim carries: a list of names, or one name. */
export function groupsFrom(claim: unknown): string[] {
  if (typeof claim === 'string') return [claim];
  return Array.isArray(claim) ? claim.filter((g): g is string => typeof g === 'string') : [];
}
