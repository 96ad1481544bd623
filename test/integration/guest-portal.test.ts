import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findPortalSession } from '../../db/queries/portal-sessions';
import { portalSessions } from '../../db/schema';
import { sessionIdHash } from '../../portal/session';
import { newEmployeeId, workerRecord } from '../helpers/builders';
import { startTestEnvironment, waitFor, type TestEnvironment } from '../helpers/environment';
import { formBody } from '../helpers/portal';
import { startSmtpSink } from '../helpers/smtp';

// The guests' sign-in forms of the portal against the real app, Temporal (the code is mailed by
// the worker), PostgreSQL and an SMTP sink: the same page for a known and an unknown address, a
// wrong and a reused code refused in plain words, the per-address limit, a form without the
// sign-in page's token refused, and a right code opening a guest session that stands for the
// address and holds no scopes.

let env: TestEnvironment;
let smtp: Awaited<ReturnType<typeof startSmtpSink>>;
const codesPerAddress = 4;

beforeAll(async () => {
  smtp = await startSmtpSink();
  env = await startTestEnvironment({ env: { TENURE_SMTP_URL: smtp.url, TENURE_GUEST_CODES_PER_ADDRESS: String(codesPerAddress) } });
  const sponsor = newEmployeeId('S');
  expect((await env.put(sponsor, workerRecord({ givenName: 'Sina' }))).status).toBe(202);
  await waitFor(async () => (await env.identity(sponsor))?.workEmail, { timeoutMs: 30_000, what: 'the sponsor provisioned' });
  expect((await env.request('POST', '/v1/connected-organisations', { id: 'contoso', name: 'Contoso Ltd', domains: ['contoso.test'], sponsors: [sponsor] })).status).toBe(201);
}, 120_000);
afterAll(async () => {
  await env?.stop();
  await smtp?.stop();
});

/** A browser of its own: the cookies it was given, sent back. */
function browser(address: string) {
  const jar = new Map<string, string>();
  const send = async (path: string, init: RequestInit = {}) => {
    const cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
    const res = await env.app.request(path, { ...init, headers: { ...(cookie ? { cookie } : {}), ...(init.headers as Record<string, string> | undefined) } }, { incoming: { socket: { remoteAddress: address } } });
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const [name, value] = pair!.split('=') as [string, string];
      if (value) jar.set(name, value);
      else jar.delete(name);
    }
    return { status: res.status, location: res.headers.get('location'), text: await res.text() };
  };
  return {
    jar,
    get: (path: string) => send(path),
    post: (path: string, fields: Record<string, string>) => send(path, { method: 'POST', body: formBody(fields), headers: { 'content-type': 'application/x-www-form-urlencoded' } }),
  };
}

const tokenOf = (page: string) => /name="csrf" value="([^"]+)"/.exec(page)![1]!;
const codeMails = (email: string) => smtp.to(email).filter((m) => m.subject.startsWith('Your sign-in code'));

async function askForCode(b: ReturnType<typeof browser>, email: string) {
  const form = await b.get('/portal/guest');
  expect(form.status).toBe(200);
  return b.post('/portal/guest', { csrf: tokenOf(form.text), email });
}

describe('the guests’ sign-in in the portal', () => {
  it('answers a known and an unknown address alike, refuses a wrong and a reused code, and signs in once with the right one', async () => {
    const b = browser('192.0.2.21');
    const unknown = await askForCode(b, 'someone@nowhere.test');
    const known = await askForCode(b, 'gita@contoso.test');
    expect([unknown.status, known.status]).toEqual([200, 200]);
    expect(unknown.text.replaceAll('someone@nowhere.test', 'X')).toBe(known.text.replaceAll('gita@contoso.test', 'X'));
    const mail = await waitFor(async () => codeMails('gita@contoso.test')[0], { timeoutMs: 20_000, what: 'the code mail' });
    const code = /\b(\d{8})\b/.exec(mail.text)![1]!;
    expect(known.text).not.toContain(code);

    const wrong = await b.post('/portal/guest/code', { csrf: tokenOf(known.text), email: 'gita@contoso.test', code: code === '00000000' ? '11111111' : '00000000' });
    expect(wrong.status).toBe(401);
    expect(wrong.text).toContain('That code is wrong, used already or expired');
    const malformed = await b.post('/portal/guest/code', { csrf: tokenOf(known.text), email: 'gita@contoso.test', code: '12ab' });
    expect(malformed.status).toBe(401);
    expect(malformed.text).toContain('The code is the 8 digits from the mail');
    const badEmail = await b.post('/portal/guest/code', { csrf: tokenOf(known.text), email: 'not an address', code });
    expect(badEmail.status).toBe(400);
    expect(badEmail.text).toContain('<code>email</code>');

    const right = await b.post('/portal/guest/code', { csrf: tokenOf(known.text), email: 'gita@contoso.test', code });
    expect(right.status).toBe(303);
    expect(right.location).toBe('/portal/guest/request');
    const id = b.jar.get('tenure_session')!;
    const row = await findPortalSession(env.db, sessionIdHash(id)!);
    expect(row).toMatchObject({ kind: 'guest', identityId: 'gita@contoso.test', scopes: [] });
    const open = await b.get('/portal/guest/request');
    expect(open.status).toBe(200);
    expect(open.text).toContain('Contoso Ltd');
    expect((await b.get('/portal/guest/requests')).text).toContain('You have not asked for anything yet');
    // The session opens no employee page and is no API credential.
    expect((await b.get('/portal/access')).status).toBe(403);
    expect((await b.get('/portal/approvals')).status).toBe(403);
    expect((await b.get('/v1/guest/me')).status).toBe(401);

    // The same code again, in another browser: used up.
    const other = browser('192.0.2.22');
    const page = await other.get('/portal/guest');
    const reused = await other.post('/portal/guest/code', { csrf: tokenOf(page.text), email: 'gita@contoso.test', code });
    expect(reused.status).toBe(401);
    expect(other.jar.has('tenure_session')).toBe(false);

    // Sign-out ends the session row.
    const out = await b.post('/portal/sign-out', { csrf: tokenOf(open.text) });
    expect(out.status).toBe(303);
    expect(await findPortalSession(env.db, sessionIdHash(id)!)).toBeUndefined();
    expect((await b.get('/portal/guest/requests')).location).toBe('/portal/guest');
  });

  it('refuses a sign-in form without the sign-in page’s token, or with another browser’s', async () => {
    const b = browser('192.0.2.23');
    expect((await b.post('/portal/guest', { email: 'gita@contoso.test' })).status).toBe(403);
    const theirs = tokenOf((await browser('192.0.2.24').get('/portal/guest')).text);
    await b.get('/portal/guest');
    expect((await b.post('/portal/guest', { csrf: theirs, email: 'gita@contoso.test' })).status).toBe(403);
    expect((await b.post('/portal/guest/code', { csrf: theirs, email: 'gita@contoso.test', code: '12345678' })).status).toBe(403);
    const sessions = await env.db.select().from(portalSessions);
    expect(sessions.filter((s) => s.kind === 'guest')).toHaveLength(0);
  });

  it('limits the codes asked for one address, like the API', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < codesPerAddress + 1; i++) statuses.push((await askForCode(browser(`192.0.2.${30 + i}`), 'limit@contoso.test')).status);
    expect(statuses).toEqual([...Array(codesPerAddress).fill(200), 429]);
  });
});
