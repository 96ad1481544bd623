import { serve, type ServerType } from '@hono/node-server';
import { type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../api/api-keys';
import { saveCatalog, savePackage } from '../../db/queries/access';
import { validatePackage } from '../../domain/access-packages';
import { freePort } from '../../scripts/ports';
import { accessRequestStateQuery, accessRequestWorkflowId } from '../../workflows/messages';
import { newEmployeeId, workerRecord } from '../helpers/builders';
import { isLocked, ldapAdmin, startTestEnvironment, waitFor, type TestEnvironment } from '../helpers/environment';
import { checkPage, heading, launchChromium, phone as phoneContext } from '../helpers/browser';
import { startSmtpSink } from '../helpers/smtp';

// A guest from a connected organisation in Debian's Chromium, against the real app on a port,
// Temporal, PostgreSQL, OpenLDAP and an SMTP sink: an expired mailed code is refused; a fresh one
// signs the guest in; they ask for a package, their sponsor approves, the guest gets an LDAP entry;
// the assignment's 25 seconds end, the guest is blocked, and deleted 20 seconds later. Every new
// page passes axe-core (no serious or critical violation) and is photographed 390 px wide.

const codeLifetimeSeconds = 15;
const guestEmail = 'gita@contoso.test';

let env: TestEnvironment;
let smtp: Awaited<ReturnType<typeof startSmtpSink>>;
let server: ServerType;
let browser: Browser;
let base: string;
let sponsor: { id: string; key: string };
const group = (cn: string) => `cn=${cn},ou=groups,${env.ldapBase}`;

beforeAll(async () => {
  smtp = await startSmtpSink();
  const appPort = await freePort();
  base = `http://127.0.0.1:${appPort}`;
  env = await startTestEnvironment({
    env: { TENURE_SMTP_URL: smtp.url, TENURE_PUBLIC_URL: base, TENURE_GUESTS_DELETE_AFTER: 'PT20S', TENURE_GUEST_CODE_LIFETIME: `PT${codeLifetimeSeconds}S` },
  });
  server = serve({ fetch: env.app.fetch, hostname: '127.0.0.1', port: appPort });

  await env.admin.add(group('partner-space'), { objectClass: ['top', 'groupOfNames'], cn: 'partner-space', member: 'cn=empty-membership-placeholder' });
  const id = newEmployeeId('S');
  sponsor = { id, key: (await createApiKey(env.db, { name: `key-${id}`, scopes: ['self-service'], employeeId: id })).key };
  expect((await env.put(id, workerRecord({ givenName: 'Sina', familyName: 'Sponsor' }))).status).toBe(202);
  await waitFor(async () => (await env.identity(id))?.workEmail, { timeoutMs: 30_000, what: 'the sponsor provisioned' });
  expect((await env.request('POST', '/v1/connected-organisations', { id: 'contoso', name: 'Contoso Ltd', domains: ['contoso.test'], sponsors: [id] })).status).toBe(201);
  await saveCatalog(env.db, { id: 'partners', name: 'Partners', owners: [] }, 'test');
  const result = validatePackage(
    {
      id: 'partner-space',
      catalog: 'partners',
      name: 'Partner space',
      description: 'The shared project room with our partners',
      resources: [{ target: 'ldap', group: group('partner-space') }],
      policies: [{ id: 'guests', type: 'request', justification: 'required', requestors: { type: 'nobody' }, guests: { type: 'organisations', organisations: ['contoso'] }, stages: [{ name: 'Sponsor', approvers: [{ type: 'sponsors' }] }], lifetime: { duration: 'PT25S' } }],
    },
    { groupTargets: ['ldap'], extensions: [] },
  );
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  await savePackage(env.db, result.accessPackage, { source: 'test', actor: 'test' });

  browser = await launchChromium();
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  await env?.stop();
  await smtp?.stop();
});

const phone = () => phoneContext(browser);

const codeMails = () => smtp.to(guestEmail).filter((m) => m.subject.startsWith('Your sign-in code'));

/** Asks for a code on the sign-in page and answers the code the mail brings. */
async function askForCode(page: Page, screenshot?: string): Promise<string> {
  const before = codeMails().length;
  await page.goto(`${base}/portal/guest`);
  expect(await heading(page)).toBe('Sign in as a guest');
  if (screenshot) await checkPage(page, screenshot);
  await page.getByRole('textbox', { name: 'Your work email' }).fill(guestEmail);
  await page.getByRole('button', { name: 'Mail me a code' }).click();
  expect(await heading(page)).toBe('We mailed you a code');
  const mail = await waitFor(async () => codeMails()[before], { timeoutMs: 20_000, what: 'the code mail' });
  return /\b(\d{8})\b/.exec(mail.text)![1]!;
}

async function enterCode(page: Page, code: string) {
  await page.getByRole('textbox', { name: 'The code from the mail' }).fill(code);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

async function members(cn: string): Promise<string[]> {
  const admin = await ldapAdmin();
  const { searchEntries } = await admin.search(group(cn), { scope: 'base', attributes: ['member'] });
  await admin.unbind();
  return [searchEntries[0]?.member ?? []].flat().map(String);
}

describe('a guest in the portal', () => {
  it('is refused an expired code; signs in with a fresh one, asks, is approved, provisioned, blocked at the end and deleted after the period', { timeout: 300_000 }, async () => {
    const context = await phone();
    const page = await context.newPage();
    await page.goto(`${base}/portal`);
    await page.getByRole('link', { name: 'Guests: sign in with your email' }).click();
    expect(await heading(page)).toBe('Sign in as a guest');

    // A code past its minutes is refused with a plain message, and signs nobody in.
    const stale = await askForCode(page, 'guest-sign-in');
    await checkPage(page, 'guest-code');
    await new Promise((resolve) => setTimeout(resolve, (codeLifetimeSeconds + 1) * 1000));
    await enterCode(page, stale);
    expect(await heading(page)).toBe('We mailed you a code');
    expect(await page.getByRole('alert').textContent()).toContain('That code is wrong, used already or expired');
    await checkPage(page, 'guest-code-refused');
    await page.goto(`${base}/portal/guest/request`);
    expect(new URL(page.url()).pathname).toBe('/portal/guest');

    // A form without the sign-in page's token is refused.
    const forged = await page.request.post(`${base}/portal/guest`, { form: { email: guestEmail, csrf: 'forged' } });
    expect(forged.status()).toBe(403);

    const code = await askForCode(page);
    await enterCode(page, code);
    await page.waitForURL(`${base}/portal/guest/request`);
    expect(await heading(page)).toBe('Request access');
    const open = await page.content();
    expect(open).toContain('Contoso Ltd');
    expect(open).toContain('Partner space');
    expect(open).toContain('your sponsor Sina Sponsor');
    await checkPage(page, 'guest-request-access');
    // A guest's session opens no employee page.
    expect((await page.request.get(`${base}/portal/access`)).status()).toBe(403);

    await page.getByRole('link', { name: 'Request Partner space' }).click();
    expect(await heading(page)).toBe('Request Partner space');
    await checkPage(page, 'guest-request-form');
    await page.getByRole('textbox', { name: 'Given name' }).fill('Gita');
    await page.getByRole('textbox', { name: 'Family name' }).fill('Gast');
    await page.getByRole('textbox', { name: /Why you need it/ }).fill('The joint launch project');
    await page.getByRole('button', { name: 'Send request' }).click();
    await page.waitForURL(`${base}/portal/guest/requests?done=requested`);
    const mine = await page.content();
    expect(mine).toContain('Your request was sent');
    expect(mine).toContain('pending');
    const requestId = /data-request="(r[0-9a-f]{12})"/.exec(mine)![1]!;
    await waitFor(async () => {
      await page.reload();
      return (await page.content()).includes('Sina Sponsor');
    }, { timeoutMs: 30_000, intervalMs: 500, what: 'the sponsor shown as the approver' });
    await checkPage(page, 'guest-requests');

    // The sponsor approves through the API.
    await waitFor(async () => {
      const state = await env.client.workflow.getHandle(accessRequestWorkflowId(requestId)).query(accessRequestStateQuery);
      return state.stage === 1 && state.approvers.includes(sponsor.id);
    }, { timeoutMs: 20_000, what: 'the sponsor as approver' });
    const answer = await env.request('POST', `/v1/access-requests/${requestId}/decision`, { decision: 'approve', justification: 'our partner' }, { authorization: `Bearer ${sponsor.key}` });
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    await waitFor(async () => {
      await page.reload();
      return (await page.content()).includes('approved');
    }, { timeoutMs: 30_000, intervalMs: 500, what: 'the request approved on My requests' });

    const guests = await waitFor(async () => {
      const listed = (await env.request('GET', '/v1/identities?type=guest')).body.items as { employeeId: string; state: string }[];
      return listed.length === 1 && listed[0]!.state === 'active' ? listed : undefined;
    }, { timeoutMs: 30_000, what: 'the guest identity' });
    const guestId = guests[0]!.employeeId;
    const entry = await waitFor(() => env.entry(guestId), { timeoutMs: 30_000, what: 'the LDAP entry' });
    expect(String(entry.mail)).toBe(guestEmail);
    expect(isLocked(entry)).toBe(false);
    await waitFor(async () => (await members('partner-space')).some((m) => m.toLowerCase() === String(entry.dn).toLowerCase()), { timeoutMs: 30_000, what: 'the guest in the group' });

    // The 25 seconds end: blocked at once (the entry locked), then deleted 20 seconds later.
    await waitFor(async () => (await env.identity(guestId))?.state === 'terminated', { timeoutMs: 90_000, intervalMs: 500, what: 'the guest blocked' });
    await waitFor(async () => {
      const locked = await env.entry(guestId);
      return locked && isLocked(locked);
    }, { timeoutMs: 30_000, what: 'the LDAP entry locked' });
    await page.goto(`${base}/portal/guest/request`);
    expect(await page.content()).toContain('Your access has ended');
    await waitFor(async () => (await env.identity(guestId))?.state === 'deleted', { timeoutMs: 90_000, intervalMs: 500, what: 'the guest deleted' });
    await waitFor(async () => (await env.entry(guestId)) === undefined, { timeoutMs: 30_000, what: 'the LDAP entry gone' });

    // Sign-out ends the session.
    await page.getByRole('button', { name: 'Sign out' }).click();
    expect(new URL(page.url()).search).toBe('?done=signed-out');
    await page.goto(`${base}/portal/guest/requests`);
    expect(new URL(page.url()).pathname).toBe('/portal/guest');
    await context.close();
  });
});
