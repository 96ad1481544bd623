import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteExpiredPortalSessions, findPortalSession } from '../../db/queries/portal-sessions';
import { portalSessions } from '../../db/schema';
import { startTestEnvironment, type TestEnvironment } from '../helpers/environment';
import { formBody, portalSession } from '../helpers/portal';
import { seedIdentity } from '../helpers/seed';

// Portal sessions against the real app and PostgreSQL: the row holds a hash, never the id; an
// idle or expired session is gone at its next use; sign-out deletes the row and clears the
// cookie; a form without the session's CSRF token, or from another origin, changes nothing.

let env: TestEnvironment;
const person = 'E-PORTAL-S1';

beforeAll(async () => {
  env = await startTestEnvironment({ worker: false });
  await seedIdentity(env.db, person);
});
afterAll(async () => env?.stop());

const page = (path: string, cookie?: string, init: RequestInit = {}) => env.app.request(path, { ...init, headers: { ...(cookie ? { cookie } : {}), ...(init.headers as Record<string, string> | undefined) } });
const post = (path: string, cookie: string, fields: Record<string, string>, headers: Record<string, string> = {}) => page(path, cookie, { method: 'POST', body: formBody(fields), headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers } });

describe('portal sessions', () => {
  it('open My access for the cookie holder; the table stores only the SHA-256 of the id', async () => {
    const session = await portalSession(env.db, person, ['self-service']);
    const res = await page('/portal/access', session.cookie);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain('<h1>My access</h1>');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('content-security-policy')).toContain("style-src 'self'");
    const id = session.cookie.split('=')[1]!;
    const rows = await env.db.select().from(portalSessions);
    expect(rows.some((r) => JSON.stringify(r).includes(id))).toBe(false);
    expect(rows.map((r) => r.idHash)).toContain(session.idHash);
  });

  it('send a browser without a session to sign in, and back to the page it wanted', async () => {
    const res = await page('/portal/access');
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/portal/sign-in?returnTo=%2Fportal%2Faccess');
    const forged = await page('/portal/access', `tenure_session=${'A'.repeat(43)}`);
    expect(forged.status).toBe(303);
  });

  it('end after the idle timeout: the row is deleted at its next use', async () => {
    const session = await portalSession(env.db, person, ['self-service']);
    await env.db.update(portalSessions).set({ lastSeenAt: new Date(Date.now() - env.config.portal.idleTimeoutMs - 1000) }).where(eq(portalSessions.idHash, session.idHash));
    const res = await page('/portal/access', session.cookie);
    expect(res.status).toBe(303);
    expect(await findPortalSession(env.db, session.idHash)).toBeUndefined();
  });

  it('end at their absolute expiry however busy, and expired rows can be swept', async () => {
    const session = await portalSession(env.db, person, ['self-service'], { now: new Date(Date.now() - 10_000), lifetimeMs: 5_000 });
    expect((await page('/portal/access', session.cookie)).status).toBe(303);
    expect(await findPortalSession(env.db, session.idHash)).toBeUndefined();
    const stale = await portalSession(env.db, person, ['self-service'], { now: new Date(Date.now() - 10_000), lifetimeMs: 5_000 });
    expect(await deleteExpiredPortalSessions(env.db, new Date())).toBeGreaterThanOrEqual(1);
    expect(await findPortalSession(env.db, stale.idHash)).toBeUndefined();
  });

  it('record a use at most once a minute', async () => {
    const session = await portalSession(env.db, person, ['self-service'], { now: new Date(Date.now() - 5 * 60_000) });
    await page('/portal/access', session.cookie);
    const after = (await findPortalSession(env.db, session.idHash))!;
    expect(Date.now() - after.lastSeenAt.getTime()).toBeLessThan(10_000);
  });

  it('refuse a form without the CSRF token, with another session’s token, or from another origin; nothing changes', async () => {
    const session = await portalSession(env.db, person, ['self-service']);
    const other = await portalSession(env.db, person, ['self-service']);
    for (const [what, fields, headers] of [
      ['no token', {}, {}],
      ['another session’s token', { csrf: other.csrf }, {}],
      ['another origin', { csrf: session.csrf }, { origin: 'https://evil.example' }],
    ] as const) {
      const res = await post('/portal/sign-out', session.cookie, fields, headers);
      expect(res.status, what).toBe(403);
      expect(await res.text(), what).toContain('<h1>Not allowed for you</h1>');
      expect(await findPortalSession(env.db, session.idHash), what).toBeDefined();
    }
  });

  it('end at sign-out: the row is deleted and the cookie cleared', async () => {
    const session = await portalSession(env.db, person, ['self-service']);
    const res = await post('/portal/sign-out', session.cookie, { csrf: session.csrf }, { origin: 'http://localhost' });
    expect(res.status, await res.clone().text()).toBe(303);
    expect(res.headers.get('location')).toBe('/portal?done=signed-out');
    expect(res.headers.get('set-cookie')).toMatch(/tenure_session=;.*Max-Age=0/i);
    expect(await findPortalSession(env.db, session.idHash)).toBeUndefined();
    expect((await page('/portal/access', session.cookie)).status).toBe(303);
    // The same form again, with a session that no longer exists, is refused.
    expect((await post('/portal/sign-out', session.cookie, { csrf: session.csrf })).status).toBe(401);
  });

  it('let an employee session into its own pages but not into the operators’ (the API’s scopes)', async () => {
    const employee = await portalSession(env.db, person, ['self-service']);
    const forbidden = await page(`/portal/people/${person}`, employee.cookie);
    expect(forbidden.status).toBe(403);
    expect(await forbidden.text()).toContain('your sign-in lacks the scope identities:read');
    const operator = await portalSession(env.db, person, ['self-service', 'identities:read']);
    const timeline = await page(`/portal/people/${person}`, operator.cookie);
    expect(timeline.status).toBe(200);
    expect(await timeline.text()).toContain(person);
  });

  it('are not API keys: a session cookie opens no /v1 route', async () => {
    const session = await portalSession(env.db, person, ['self-service', 'identities:read', 'admin']);
    expect((await page('/v1/me', session.cookie)).status).toBe(401);
  });
});
