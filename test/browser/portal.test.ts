import { serve, type ServerType } from '@hono/node-server';
import { type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { saveCatalog, savePackage } from '../../db/queries/access';
import { validatePackage } from '../../domain/access-packages';
import { startOidcProvider, type DemoPerson, type RunningOidcProvider } from '../../scripts/oidc-provider';
import { freePort } from '../../scripts/ports';
import { newEmployeeId, workerRecord } from '../helpers/builders';
import { ldapAdmin, startTestEnvironment, waitFor, type TestEnvironment } from '../helpers/environment';
import { checkPage, heading, launchChromium, phone as phoneContext } from '../helpers/browser';
import { startSmtpSink } from '../helpers/smtp';

// The portal in Debian's Chromium, against the real app on a port, a real OpenID provider
// (oidc-provider), Temporal, PostgreSQL, OpenLDAP and an SMTP sink: an employee signs in and
// requests a package; the manager approves from the mail link; a second-stage approver signs in
// and approves from Approvals; the access shows in My access and the LDAP group has the member.
// Every page passes axe-core (no serious or critical violation) and is photographed 390 px wide.

const clientSecret = 'browser-test-client-secret';

let env: TestEnvironment;
let smtp: Awaited<ReturnType<typeof startSmtpSink>>;
let provider: RunningOidcProvider;
let server: ServerType;
let browser: Browser;
let base: string;
const people: DemoPerson[] = [];
const ids: Record<string, string> = {};
const group = (cn: string) => `cn=${cn},ou=groups,${env.ldapBase}`;

beforeAll(async () => {
  smtp = await startSmtpSink();
  const [appPort, idpPort] = [await freePort(), await freePort()];
  base = `http://127.0.0.1:${appPort}`;
  provider = await startOidcProvider({ port: idpPort, client: { id: 'tenure-test', secret: clientSecret, redirectUri: `${base}/portal/callback` }, people });
  env = await startTestEnvironment({
    env: {
      TENURE_SMTP_URL: smtp.url,
      TENURE_PUBLIC_URL: base,
      TENURE_PORTAL_ISSUER: provider.issuer,
      TENURE_PORTAL_CLIENT_ID: 'tenure-test',
      TENURE_PORTAL_CLIENT_SECRET: clientSecret,
      TENURE_TEMPORAL_UI_URL: 'http://127.0.0.1:8233',
    },
    configFile: () => 'portal:\n  operatorGroups: [tenure-operators]\n',
  });
  server = serve({ fetch: env.app.fetch, hostname: '127.0.0.1', port: appPort });

  for (const cn of ['project-x', 'payments', 'approvals']) await env.admin.add(group(cn), { objectClass: ['top', 'groupOfNames'], cn, member: 'cn=empty-membership-placeholder' });
  await saveCatalog(env.db, { id: 'projects', name: 'Projects', description: 'Shares and tools of running projects', owners: [] }, 'test');
  for (const name of ['manager', 'security', 'requester']) ids[name] = newEmployeeId(name.slice(0, 1).toUpperCase());
  const hire = async (name: string, record: Record<string, unknown>, groups: string[] = []) => {
    await env.put(ids[name]!, workerRecord({ givenName: name[0]!.toUpperCase() + name.slice(1), familyName: 'Tester', ...record }));
    const identity = await waitFor(async () => (await env.identity(ids[name]!))?.workEmail && env.identity(ids[name]!), { what: `${name} provisioned` });
    people.push({ login: name, name: identity.displayName, email: identity.workEmail, employeeId: ids[name]!, groups });
  };
  await hire('manager', { jobTitle: 'Engineering Manager' });
  await hire('security', { department: 'Security', jobTitle: 'Security Officer', managerEmployeeId: ids.manager }, ['tenure-operators']);
  await hire('requester', { managerEmployeeId: ids.manager });
  for (const p of [
    {
      id: 'project-x',
      name: 'Project X',
      description: 'The share and chat rooms of project X',
      resources: [{ target: 'ldap', group: group('project-x') }],
      policies: [{ id: 'ask', type: 'request', justification: 'required', stages: [{ name: 'Manager', approvers: [{ type: 'manager' }] }, { name: 'Security', approvers: [{ type: 'people', employeeIds: [ids.security!] }] }], lifetime: { duration: 'P90D' } }],
    },
    { id: 'payments', name: 'Payments — create', resources: [{ target: 'ldap', group: group('payments') }], incompatibleWith: ['approvals'], policies: [{ id: 'direct', type: 'direct' }, { id: 'ask', type: 'request', justification: 'optional', stages: [{ approvers: [{ type: 'manager' }] }] }] },
    { id: 'approvals', name: 'Payments — approve', resources: [{ target: 'ldap', group: group('approvals') }], policies: [{ id: 'ask', type: 'request', justification: 'optional' }] },
  ]) {
    const result = validatePackage({ catalog: 'projects', ...p }, { groupTargets: ['ldap'], extensions: [] });
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    await savePackage(env.db, result.accessPackage, { source: 'test', actor: 'test' });
  }
  // The requester already holds Payments — create, so Payments — approve is a conflict.
  expect((await env.request('POST', '/v1/access-assignments', { employeeId: ids.requester, packageId: 'payments', reason: 'accounts payable' })).status).toBe(201);

  browser = await launchChromium();
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  await env?.stop();
  await provider?.stop();
  await smtp?.stop();
});

const phone = () => phoneContext(browser);

/** Signs in through the provider's own login and consent pages. */
async function signIn(context: BrowserContext, login: string, path = '/portal'): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`${base}${path}`);
  if (path === '/portal') {
    await checkPage(page, 'sign-in');
    await page.getByRole('link', { name: 'Sign in with your organisation account' }).click();
  }
  await page.waitForURL((url) => url.href.startsWith(provider.issuer));
  await page.fill('input[name="login"]', login);
  await page.fill('input[name="password"]', 'any password');
  const loginUrl = page.url();
  await Promise.all([page.waitForURL((url) => url.href !== loginUrl), page.click('button[type="submit"]')]);
  // Consent, when the provider asks for it.
  if (page.url().startsWith(provider.issuer)) await Promise.all([page.waitForURL((url) => url.href.startsWith(base)), page.click('button[type="submit"]')]);
  expect(page.url().startsWith(base), page.url()).toBe(true);
  return page;
}

async function members(cn: string): Promise<string[]> {
  const admin = await ldapAdmin();
  const { searchEntries } = await admin.search(group(cn), { scope: 'base', attributes: ['member'] });
  await admin.unbind();
  return [searchEntries[0]?.member ?? []].flat().map(String);
}

async function approvalLink(name: string): Promise<string> {
  const email = people.find((p) => p.login === name)!.email;
  const mail = await waitFor(async () => smtp.to(email).filter((m) => m.subject.startsWith('Approve access')).at(-1), { timeoutMs: 30_000, what: `the approval mail to ${name}` });
  return new RegExp(`${base.replace(/[.:]/g, '\\$&')}/approvals/[A-Za-z0-9_-]{43}`).exec(mail.text)![0];
}

/** Reloads until the text shows (the workflows move on their own time). */
async function reloadUntil(page: Page, text: string, timeoutMs = 30_000) {
  await waitFor(async () => {
    await page.reload();
    return (await page.content()).includes(text);
  }, { timeoutMs, intervalMs: 500, what: `"${text}" on ${page.url()}` });
}

describe('the portal in a browser', () => {
  let requesterPage: Page;
  let requestId: string;

  it('lets an employee sign in, see what they may request (with the conflict shown), and ask for a package', async () => {
    const context = await phone();
    requesterPage = await signIn(context, 'requester');
    expect(new URL(requesterPage.url()).pathname).toBe('/portal/request');
    expect(await heading(requesterPage)).toBe('Request access');
    const content = await requesterPage.content();
    expect(content).toContain('Project X');
    expect(content).toContain('You cannot hold this next to what you have');
    await checkPage(requesterPage, 'request-access');

    await requesterPage.goto(`${base}/portal/request/approvals`);
    expect(await requesterPage.content()).toContain('Separation of duties');
    expect(await requesterPage.getByRole('button', { name: 'Send request' }).count()).toBe(0);
    await checkPage(requesterPage, 'request-conflict');

    await requesterPage.goto(`${base}/portal/request`);
    await requesterPage.getByRole('link', { name: 'Request Project X' }).click();
    await checkPage(requesterPage, 'request-form');
    // Without the required reason the form says so and sends nothing.
    await requesterPage.getByRole('textbox', { name: /Why you need it/ }).evaluate((el) => el.removeAttribute('required'));
    await requesterPage.getByRole('button', { name: 'Send request' }).click();
    expect(await requesterPage.content()).toContain('a justification is required');
    await requesterPage.getByRole('textbox', { name: /Why you need it/ }).fill('I join project X next week');
    await requesterPage.getByRole('button', { name: 'Send request' }).click();
    await requesterPage.waitForURL(`${base}/portal/access?done=requested`);
    const mine = await requesterPage.content();
    expect(mine).toContain('Your request was sent');
    expect(mine).toContain('pending');
    requestId = /data-request="(r[0-9a-f]{12})"/.exec(mine)![1]!;
    await reloadUntil(requesterPage, 'Manager Tester');
    await checkPage(requesterPage, 'my-access-pending');
  });

  it('lets the manager approve from the mail link without signing in; the link works once', async () => {
    const link = await approvalLink('manager');
    const context = await phone();
    const page = await context.newPage();
    await page.goto(link);
    expect(await page.content()).toContain('I join project X next week');
    await checkPage(page, 'approval-link');
    await page.getByRole('textbox', { name: /Your reason/ }).fill('fine by me');
    await page.getByRole('button', { name: 'Approve' }).click();
    expect(await heading(page)).toBe('Approved');
    expect(await page.content()).toContain('stage 2 of 2');
    const again = await page.goto(link);
    expect(again!.status()).toBe(410);
    expect(await heading(page)).toBe('This link was already used');
    await checkPage(page, 'approval-link-used');
    const replay = await context.request.post(link, { form: { decision: 'deny' } });
    expect(replay.status()).toBe(410);
    await context.close();
  });

  it('lets the second-stage approver sign in and approve from Approvals; the decided item disappears', async () => {
    const context = await phone();
    const page = await signIn(context, 'security', `/portal/approvals`);
    expect(new URL(page.url()).pathname).toBe('/portal/approvals');
    await reloadUntil(page, 'I join project X next week');
    const content = await page.content();
    expect(content).toContain('Earlier decisions');
    expect(content).toContain('fine by me');
    expect(content).toContain('no conflict with what the person holds');
    await checkPage(page, 'approvals');
    const card = page.locator(`article[data-request="${requestId}"]`);
    await card.getByRole('textbox', { name: /Your reason/ }).fill('security ok');
    await card.getByRole('button', { name: 'Approve' }).click();
    await page.waitForURL(`${base}/portal/approvals?done=approve`);
    expect(await page.content()).toContain('You approved the request');
    expect(await page.locator(`article[data-request="${requestId}"]`).count()).toBe(0);
    await context.close();
  });

  it('shows the access in My access, and the LDAP group has the member', async () => {
    await requesterPage.goto(`${base}/portal/access`);
    await reloadUntil(requesterPage, 'approved');
    await waitFor(async () => (await requesterPage.reload(), (await requesterPage.locator('li.card h3', { hasText: 'Project X' }).count()) >= 2), { timeoutMs: 30_000, what: 'Project X held' });
    await checkPage(requesterPage, 'my-access');
    const dn = (await env.entry(ids.requester!))!.dn;
    await waitFor(async () => (await members('project-x')).includes(dn), { timeoutMs: 30_000, what: 'the requester in cn=project-x' });
  });

  it('lets a reviewer answer an access review item', async () => {
    const review = { id: 'browser-review', name: 'Project X quarterly review', enabled: true, scope: { type: 'packages', packages: ['project-x'] }, stages: [{ reviewers: [{ type: 'manager' }] }], recurrence: { frequency: 'annually', start: '2030-01-15T09:00:00Z', duration: 'P7D' } };
    expect((await env.request('POST', '/v1/access-reviews', review)).status).toBe(201);
    expect((await env.request('POST', '/v1/access-reviews/browser-review/start')).status).toBe(202);
    const context = await phone();
    const page = await signIn(context, 'manager', '/portal/reviews');
    await reloadUntil(page, 'Project X quarterly review');
    expect(await page.content()).toContain('Requester Tester: Project X');
    await checkPage(page, 'reviews');
    await page.getByRole('button', { name: 'Keep' }).first().click();
    await page.waitForURL(`${base}/portal/reviews?done=decided`);
    expect(await page.content()).toContain('Your answer was recorded');
    await context.close();
  });

  it('shows an operator the person timeline', async () => {
    const context = await phone();
    const page = await signIn(context, 'security', `/portal/people/${ids.requester}`);
    const content = await page.content();
    expect(content).toContain('Accounts');
    expect(content).toContain('Project X');
    expect(content).toContain(`http://127.0.0.1:8233/namespaces/default/workflows/identity-${ids.requester}`);
    await checkPage(page, 'person-timeline');
    await page.goto(`${base}/portal/people?q=Tester`);
    expect(await page.content()).toContain(ids.requester!);
    await checkPage(page, 'people-search');
    await context.close();
  });

  it('refuses a form without the CSRF token, a decision on a request that is not yours, and an employee on operator pages', async () => {
    const csrfless = await requesterPage.context().request.post(`${base}/portal/request/project-x`, { form: { justification: 'no token' }, maxRedirects: 0 });
    expect(csrfless.status()).toBe(403);
    // A request that waits for the manager: neither the requester nor another person may decide it.
    await requesterPage.goto(`${base}/portal/request/approvals`);
    const other = await env.request('POST', '/v1/access-requests', { employeeId: ids.security, packageId: 'payments', justification: 'for the refusal check' });
    expect(other.status, JSON.stringify(other.body)).toBe(202);
    await waitFor(async () => (await env.request('GET', `/v1/access-requests/${other.body.id}`)).body.approvers?.includes(ids.manager), { what: 'the other request waiting for the manager' });
    const csrf = await requesterPage.locator('input[name="csrf"]').first().inputValue();
    const notMine = await requesterPage.context().request.post(`${base}/portal/approvals/${other.body.id}`, { form: { csrf, decision: 'approve' }, maxRedirects: 0 });
    expect(notMine.status()).toBe(403);
    expect(await notMine.text()).toContain('This request does not wait for your decision');
    const operatorsOnly = await requesterPage.goto(`${base}/portal/people/${ids.manager}`);
    expect(operatorsOnly!.status()).toBe(403);
    await checkPage(requesterPage, 'forbidden');
  });

  it('tells someone who matches nobody so, and lets them in to nothing', async () => {
    const context = await phone();
    const page = await signIn(context, 'stranger');
    expect(await heading(page)).toBe('We could not find you');
    await checkPage(page, 'no-match');
    expect((await context.cookies()).map((c) => c.name)).not.toContain('tenure_session');
    const mine = await context.request.get(`${base}/portal/access`, { maxRedirects: 0 });
    expect(mine.status()).toBe(303);
    expect(mine.headers().location).toMatch(/^\/portal\/sign-in/);
    await context.close();
  });

  it('signs out: the session is gone', async () => {
    await requesterPage.goto(`${base}/portal/access`);
    await requesterPage.getByRole('button', { name: 'Sign out' }).click();
    await requesterPage.waitForURL(`${base}/portal?done=signed-out`);
    expect(await requesterPage.content()).toContain('You are signed out');
    expect((await requesterPage.context().cookies()).map((c) => c.name)).not.toContain('tenure_session');
    const mine = await requesterPage.context().request.get(`${base}/portal/access`, { maxRedirects: 0 });
    expect(mine.status()).toBe(303);
    expect(mine.headers().location).toMatch(/^\/portal\/sign-in/);
  });
});
