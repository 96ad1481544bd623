import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOrganisationFile } from '../../api/connected-organisation-files';
import { createApiKey } from '../../api/api-keys';
import { findRequest, saveCatalog, savePackage } from '../../db/queries/access';
import { findOrganisation } from '../../db/queries/guests';
import { validatePackage } from '../../domain/access-packages';
import { accessRequestStateQuery, accessRequestWorkflowId } from '../../workflows/messages';
import { newEmployeeId, workerRecord } from '../helpers/builders';
import { isLocked, ldapAdmin, startTestEnvironment, waitFor, type TestEnvironment } from '../helpers/environment';
import { startSmtpSink } from '../helpers/smtp';

// Guests from a connected organisation, end to end on the real stack (Temporal, PostgreSQL,
// OpenLDAP, SMTP): a mailed code buys a ticket, the guest asks, the sponsor approves, the guest
// gets an LDAP entry; the assignment expires, the guest is blocked, asks again and is unblocked,
// and when that ends too they are deleted after guests.deleteAfter. No time skipping: real minutes.

let env: TestEnvironment;
let smtp: Awaited<ReturnType<typeof startSmtpSink>>;
let sponsor: { id: string; key: string };
// Long enough for a code to be made, mailed and typed on a loaded machine; the expiry test waits it out.
const codeLifetimeSeconds = 20;
const group = (cn: string) => `cn=${cn},ou=groups,${env.ldapBase}`;

beforeAll(async () => {
  smtp = await startSmtpSink();
  env = await startTestEnvironment({
    env: { TENURE_SMTP_URL: smtp.url, TENURE_GUESTS_DELETE_AFTER: 'PT30S', TENURE_GUEST_CODE_LIFETIME: `PT${codeLifetimeSeconds}S`, TENURE_GUEST_CODE_ATTEMPTS: '3', TENURE_GUEST_CODES_PER_ADDRESS: '4' },
  });
  for (const cn of ['partner-space', 'partner-again', 'staff-only']) await env.admin.add(group(cn), { objectClass: ['top', 'groupOfNames'], cn, member: 'cn=empty-membership-placeholder' });
  const id = newEmployeeId('S');
  sponsor = { id, key: (await createApiKey(env.db, { name: `key-${id}`, scopes: ['self-service'], employeeId: id })).key };
  expect((await env.put(id, workerRecord({ givenName: 'Sina' }))).status).toBe(202);
  await waitFor(async () => (await env.identity(id))?.workEmail, { timeoutMs: 30_000, what: 'the sponsor provisioned' });

  await saveCatalog(env.db, { id: 'partners', name: 'Partners', owners: [] }, 'test');
  const packages = [
    { id: 'partner-space', name: 'Partner space', resources: [{ target: 'ldap', group: group('partner-space') }], policies: [{ id: 'guests', type: 'request', requestors: { type: 'nobody' }, guests: { type: 'organisations', organisations: ['contoso'] }, stages: [{ approvers: [{ type: 'sponsors' }] }], lifetime: { duration: 'PT1M' } }] },
    { id: 'partner-again', name: 'Partner space, again', resources: [{ target: 'ldap', group: group('partner-again') }], policies: [{ id: 'guests', type: 'request', justification: 'optional', requestors: { type: 'nobody' }, guests: { type: 'configured' }, stages: [{ approvers: [{ type: 'sponsors' }] }], lifetime: { duration: 'PT15S' } }] },
    { id: 'staff-only', name: 'Staff only', resources: [{ target: 'ldap', group: group('staff-only') }], policies: [{ id: 'ask', type: 'request' }] },
  ];
  for (const p of packages) await savePackageFor(p);
}, 120_000);
afterAll(async () => {
  await env?.stop();
  await smtp?.stop();
});

async function savePackageFor(definition: Record<string, unknown>) {
  const result = validatePackage({ catalog: 'partners', ...definition }, { groupTargets: ['ldap'], extensions: [] });
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  await savePackage(env.db, result.accessPackage, { source: 'test', actor: 'test' });
}

/** A request without an API key, from its own client address. */
async function anonymous(method: string, path: string, body?: unknown, headers: Record<string, string> = {}, address = '192.0.2.10') {
  const res = await env.app.request(path, { method, headers: { 'content-type': 'application/json', ...headers }, body: body === undefined ? undefined : JSON.stringify(body) }, { incoming: { socket: { remoteAddress: address } } });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as any, retryAfter: res.headers.get('retry-after') };
}
const asGuest = (ticket: string, method: string, path: string, body?: unknown) => anonymous(method, path, body, { authorization: `Bearer ${ticket}` });

/** The code in the newest sign-in mail to the address (after `before` mails). */
async function codeFor(email: string, before = 0): Promise<string> {
  const mail = await waitFor(async () => smtp.to(email).filter((m) => m.subject.startsWith('Your sign-in code'))[before], { timeoutMs: 20_000, what: `the code mail to ${email}` });
  return /\b(\d{8})\b/.exec(mail.text)![1]!;
}

/** Asks for a code and trades it for a ticket. */
async function signIn(email: string): Promise<{ ticket: string; guest: any }> {
  const before = smtp.to(email).filter((m) => m.subject.startsWith('Your sign-in code')).length;
  expect((await anonymous('POST', '/v1/guest-sign-in', { email })).status).toBe(202);
  const verified = await anonymous('POST', '/v1/guest-sign-in/verify', { email, code: await codeFor(email, before) });
  expect(verified.status, JSON.stringify(verified.body)).toBe(200);
  return verified.body;
}

const decided = (requestId: string) =>
  waitFor(async () => {
    const row = await findRequest(env.db, requestId);
    return row && row.status !== 'pending' ? row : undefined;
  }, { timeoutMs: 30_000, what: `request ${requestId} decided` });

/** The sponsor approves once the stage waits for them. */
async function sponsorApproves(requestId: string) {
  await waitFor(async () => {
    const state = await env.client.workflow.getHandle(accessRequestWorkflowId(requestId)).query(accessRequestStateQuery);
    return state.stage === 1 && state.approvers.includes(sponsor.id);
  }, { timeoutMs: 20_000, what: 'the sponsor as approver' });
  const answer = await env.request('POST', `/v1/access-requests/${requestId}/decision`, { decision: 'approve', justification: 'our partner' }, { authorization: `Bearer ${sponsor.key}` });
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  expect((await decided(requestId)).status).toBe('approved');
}

async function members(cn: string): Promise<string[]> {
  const admin = await ldapAdmin();
  const { searchEntries } = await admin.search(group(cn), { scope: 'base', attributes: ['member'] });
  await admin.unbind();
  return [searchEntries[0]?.member ?? []].flat().map(String);
}

describe('connected organisations', () => {
  it('are created by an administrator with field-naming validation; a domain belongs to one only', async () => {
    const bad = await env.request('POST', '/v1/connected-organisations', { id: 'Contoso', name: '', domains: ['not a domain'], sponsors: ['NOBODY-1'] });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.map((d: any) => d.path)).toEqual(expect.arrayContaining(['id', 'name', 'domains.0']));
    const unknownSponsor = await env.request('POST', '/v1/connected-organisations', { id: 'contoso', name: 'Contoso', domains: ['contoso.test'], sponsors: ['NOBODY-1'] });
    expect(unknownSponsor).toMatchObject({ status: 400, body: { error: { details: [{ path: 'sponsors.0', message: 'no employee NOBODY-1' }] } } });

    const created = await env.request('POST', '/v1/connected-organisations', { id: 'contoso', name: 'Contoso', domains: ['Contoso.test'], sponsors: [sponsor.id] });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body).toMatchObject({ id: 'contoso', domains: ['contoso.test'], sponsors: [sponsor.id], state: 'configured', source: 'api' });
    const taken = await env.request('POST', '/v1/connected-organisations', { id: 'contoso-too', name: 'Contoso too', domains: ['other.test', 'contoso.test'] });
    expect(taken).toMatchObject({ status: 409, body: { error: { code: 'domain_taken', details: [{ path: 'domains.1' }] } } });
    expect((await env.request('POST', '/v1/connected-organisations', { id: 'contoso', name: 'Again', domains: ['again.test'] })).status).toBe(409);
    expect((await env.request('GET', '/v1/connected-organisations?state=configured')).body.items.map((o: any) => o.id)).toEqual(['contoso']);
    expect((await env.request('PUT', '/v1/connected-organisations/contoso', { id: 'contoso', name: 'Contoso Ltd', domains: ['contoso.test'], sponsors: [sponsor.id] })).body.name).toBe('Contoso Ltd');
  });

  it('are loaded from a YAML file, checked whole first; a domain another organisation holds is refused by path', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tenure-orgs-'));
    const file = join(dir, 'organisations.yaml');
    writeFileSync(file, 'organisations:\n  - { id: fabrikam, name: Fabrikam, domains: [fabrikam.test] }\n  - { id: bad, name: Bad, domains: [nope] }\n');
    await expect(loadOrganisationFile(env.db, file)).rejects.toThrow('organisations.yaml: organisations.1.domains.0: expected a mail domain like contoso.com');
    expect(await findOrganisation(env.db, 'fabrikam')).toBeUndefined();
    writeFileSync(file, 'organisations:\n  - { id: fabrikam, name: Fabrikam, domains: [fabrikam.test], state: proposed }\n');
    expect(await loadOrganisationFile(env.db, file)).toBe(1);
    expect(await loadOrganisationFile(env.db, file)).toBe(0);
    expect(await findOrganisation(env.db, 'fabrikam')).toMatchObject({ domains: ['fabrikam.test'], state: 'proposed', source: 'file:organisations.yaml' });
    writeFileSync(file, 'organisations:\n  - { id: thief, name: Thief, domains: [contoso.test] }\n');
    await expect(loadOrganisationFile(env.db, file)).rejects.toThrow('organisations.yaml: organisations.0.domains.0: the domain contoso.test belongs to the connected organisation contoso');
    expect((await env.request('DELETE', '/v1/connected-organisations/fabrikam')).status).toBe(204);
    expect((await env.request('GET', '/v1/connected-organisations/fabrikam')).status).toBe(404);
  });
});

describe('guest sign-in', () => {
  it('answers the same for a known and an unknown address, and mails a code only to the known one', async () => {
    const known = await anonymous('POST', '/v1/guest-sign-in', { email: 'ann@contoso.test' });
    const unknown = await anonymous('POST', '/v1/guest-sign-in', { email: 'eve@unknown.test' });
    expect(known).toEqual({ status: 202, body: { accepted: true, expiresInSeconds: codeLifetimeSeconds }, retryAfter: null });
    expect(unknown).toEqual(known);
    await codeFor('ann@contoso.test');
    // Both sends have run to the end; only one of them mailed anything.
    await waitFor(async () => {
      let done = 0;
      for await (const _ of env.client.workflow.list({ query: `WorkflowType = 'guestSignInCodeWorkflow' AND TaskQueue = '${env.taskQueue}' AND ExecutionStatus = 'Completed'` })) done++;
      return done >= 2;
    }, { timeoutMs: 20_000, what: 'both sends finished' });
    expect(smtp.to('eve@unknown.test')).toEqual([]);
    const wrongForUnknown = await anonymous('POST', '/v1/guest-sign-in/verify', { email: 'eve@unknown.test', code: '12345678' });
    const wrongForKnown = await anonymous('POST', '/v1/guest-sign-in/verify', { email: 'ann@contoso.test', code: '00000000' });
    expect(wrongForUnknown.status).toBe(401);
    expect(wrongForUnknown.body).toEqual(wrongForKnown.body);
    // The code is nowhere in clear: not in the database, not in the trail.
    const code = await codeFor('ann@contoso.test');
    const stored = JSON.stringify(await env.db.execute('select * from guest_sign_in_codes'));
    const trail = JSON.stringify(await env.db.execute('select * from audit_events'));
    expect(stored).not.toContain(code);
    expect(trail).not.toContain(code);
  });

  it('refuses a reused code, an expired code and, past the lockout, even the right code', async () => {
    const first = await signIn('ben@contoso.test');
    expect(first.ticket).toMatch(/^gt_/);
    const code = await codeFor('ben@contoso.test');
    expect((await anonymous('POST', '/v1/guest-sign-in/verify', { email: 'ben@contoso.test', code })).status).toBe(401);

    expect((await anonymous('POST', '/v1/guest-sign-in', { email: 'cleo@contoso.test' })).status).toBe(202);
    const late = await codeFor('cleo@contoso.test');
    await new Promise((resolve) => setTimeout(resolve, (codeLifetimeSeconds + 1) * 1000));
    expect(await anonymous('POST', '/v1/guest-sign-in/verify', { email: 'cleo@contoso.test', code: late })).toMatchObject({ status: 401, body: { error: { code: 'invalid_code' } } });

    expect((await anonymous('POST', '/v1/guest-sign-in', { email: 'dora@contoso.test' })).status).toBe(202);
    const right = await codeFor('dora@contoso.test');
    const wrong = right === '11111111' ? '22222222' : '11111111';
    for (let i = 0; i < 3; i++) expect((await anonymous('POST', '/v1/guest-sign-in/verify', { email: 'dora@contoso.test', code: wrong })).status).toBe(401);
    expect((await anonymous('POST', '/v1/guest-sign-in/verify', { email: 'dora@contoso.test', code: right })).status).toBe(401);
    const malformed = await anonymous('POST', '/v1/guest-sign-in/verify', { email: 'dora@contoso.test', code: '12ab' });
    expect(malformed).toMatchObject({ status: 400, body: { error: { details: [{ path: 'code' }] } } });
  });

  it('limits the codes per address with 429 and Retry-After, known or not', async () => {
    for (let i = 0; i < 4; i++) expect((await anonymous('POST', '/v1/guest-sign-in', { email: 'flood@nowhere.test' }, {}, '192.0.2.77')).status).toBe(202);
    const limited = await anonymous('POST', '/v1/guest-sign-in', { email: 'flood@nowhere.test' }, {}, '192.0.2.78');
    expect(limited.status).toBe(429);
    expect(Number(limited.retryAfter)).toBeGreaterThan(0);
  });

  it('refuses guest routes without a live ticket, and API keys there', async () => {
    expect((await anonymous('GET', '/v1/guest/me')).status).toBe(401);
    expect((await asGuest(`gt_${'x'.repeat(43)}`, 'GET', '/v1/guest/me')).status).toBe(401);
    expect((await asGuest(env.key, 'GET', '/v1/guest/me')).status).toBe(401);
  });
});

describe('a guest from a connected organisation', () => {
  it('asks by code, the sponsor approves, gets an LDAP entry; blocked when it expires, unblocked by a new approval, deleted after the period', { timeout: 300_000 }, async () => {
    const { ticket, guest } = await signIn('gita@contoso.test');
    expect(guest).toEqual({ email: 'gita@contoso.test', organisation: { id: 'contoso', name: 'Contoso Ltd', state: 'configured' }, guestId: null, state: null });
    const open = await asGuest(ticket, 'GET', '/v1/guest/access-packages');
    expect(open.body.items.map((p: any) => p.id)).toEqual(['partner-again', 'partner-space']);
    expect(open.body.items[0]).not.toHaveProperty('resources');

    const nameless = await asGuest(ticket, 'POST', '/v1/guest/access-requests', { packageId: 'partner-space', justification: 'the joint project' });
    expect(nameless.status).toBe(400);
    expect(nameless.body.error.details.map((d: any) => d.path)).toEqual(['givenName', 'familyName']);
    expect((await asGuest(ticket, 'POST', '/v1/guest/access-requests', { packageId: 'staff-only', justification: 'x', givenName: 'Gita', familyName: 'Gast' })).status).toBe(403);

    const asked = await asGuest(ticket, 'POST', '/v1/guest/access-requests', { packageId: 'partner-space', justification: 'the joint project', givenName: 'Gita', familyName: 'Gast' });
    expect(asked.status, JSON.stringify(asked.body)).toBe(202);
    const guestId = asked.body.employeeId as string;
    expect(guestId).toMatch(/^g-[0-9a-f]{16}$/);
    expect((await asGuest(ticket, 'GET', '/v1/guest/access-requests')).body.items.map((r: any) => [r.id, r.status])).toEqual([[asked.body.id, 'pending']]);
    // No identity before the approval.
    expect(await env.identity(guestId)).toBeUndefined();

    await sponsorApproves(asked.body.id);
    const identity = await waitFor(async () => {
      const found = await env.identity(guestId);
      return found?.state === 'active' && found.accounts.length > 0 ? found : undefined;
    }, { timeoutMs: 30_000, what: 'the guest identity provisioned' });
    expect(identity).toMatchObject({ type: 'guest', managerEmployeeId: sponsor.id, workEmail: 'gita@contoso.test', attributes: { employeeType: 'guest' } });
    const listed = await env.request('GET', '/v1/identities?type=guest');
    expect(listed.body.items.map((i: any) => i.employeeId)).toEqual([guestId]);
    expect((await env.request('GET', '/v1/identities?type=worker')).body.items.map((i: any) => i.employeeId)).toEqual([sponsor.id]);
    const entry = await waitFor(() => env.entry(guestId), { what: 'the LDAP entry' });
    expect(String(entry.mail)).toBe('gita@contoso.test');
    expect(String(entry.manager).toLowerCase()).toBe(String((await env.entry(sponsor.id))!.dn).toLowerCase());
    expect(isLocked(entry)).toBe(false);
    const dn = identity.accounts.find((a: any) => a.system === 'ldap').id as string;
    await waitFor(async () => (await members('partner-space')).includes(dn), { what: 'the guest in the package group' });
    await waitFor(async () => smtp.to('gita@contoso.test').some((m) => m.subject === 'Your request for Partner space was approved'), { what: 'the guest told' });

    // The minute ends: blocked at once, accounts disabled, out of the group, deletion scheduled.
    const blocked = await waitFor(async () => {
      const found = await env.identity(guestId);
      return found?.state === 'terminated' ? found : undefined;
    }, { timeoutMs: 100_000, intervalMs: 500, what: 'the guest blocked' });
    expect(blocked.nextAction).toMatchObject({ action: 'delete' });
    await waitFor(async () => {
      const locked = await env.entry(guestId);
      return locked && isLocked(locked);
    }, { what: 'the LDAP entry locked' });
    await waitFor(async () => !(await members('partner-space')).includes(dn), { what: 'the guest out of the group' });
    expect((await asGuest(ticket, 'GET', '/v1/guest/me')).body).toMatchObject({ guestId, state: 'terminated' });

    // Within the period a new approval unblocks the same entry and cancels the deletion.
    const again = await asGuest(ticket, 'POST', '/v1/guest/access-requests', { packageId: 'partner-again' });
    expect(again.status, JSON.stringify(again.body)).toBe(202);
    await sponsorApproves(again.body.id);
    await waitFor(async () => (await env.identity(guestId))?.state === 'active', { timeoutMs: 20_000, what: 'the guest unblocked' });
    await waitFor(async () => {
      const unlocked = await env.entry(guestId);
      return unlocked && unlocked.dn === entry.dn && !isLocked(unlocked);
    }, { what: 'the same LDAP entry unlocked' });
    expect((await env.identity(guestId)).nextAction).toBeNull();

    // That one ends too: blocked again, and deleted 30 s later.
    await waitFor(async () => (await env.identity(guestId))?.state === 'terminated', { timeoutMs: 60_000, intervalMs: 500, what: 'the guest blocked again' });
    await waitFor(async () => (await env.identity(guestId))?.state === 'deleted', { timeoutMs: 60_000, intervalMs: 500, what: 'the guest deleted' });
    await waitFor(async () => (await env.entry(guestId)) === undefined, { what: 'the LDAP entry gone' });
    const kinds = (await env.events(guestId)).map((e) => e.kind);
    expect(kinds).toEqual(expect.arrayContaining(['request.created', 'request.approved', 'guest.created', 'guest.admitted', 'guest.blocked', 'guest.unblocked']));
    expect(kinds.filter((k) => k === 'guest.blocked')).toHaveLength(2);
  });

  it('from an unknown domain sees only what is open to anyone, and asking proposes their organisation', async () => {
    await savePackageFor({ id: 'supplier-forms', name: 'Supplier forms', resources: [{ target: 'ldap', group: group('staff-only') }], policies: [{ id: 'anyone', type: 'request', requestors: { type: 'nobody' }, guests: { type: 'anyone' }, stages: [{ approvers: [{ type: 'sponsors' }], fallback: [{ type: 'people', employeeIds: [sponsor.id] }] }] }] });
    // While a package is open to anyone, any address may sign in.
    const { ticket, guest } = await signIn('una@unknown.test');
    expect(guest.organisation).toBeNull();
    expect((await asGuest(ticket, 'GET', '/v1/guest/access-packages')).body.items.map((p: any) => p.id)).toEqual(['supplier-forms']);
    expect((await asGuest(ticket, 'POST', '/v1/guest/access-requests', { packageId: 'partner-space', justification: 'x', givenName: 'Una', familyName: 'Known' })).status).toBe(403);
    const asked = await asGuest(ticket, 'POST', '/v1/guest/access-requests', { packageId: 'supplier-forms', justification: 'we supply bolts', givenName: 'Una', familyName: 'Known' });
    expect(asked.status, JSON.stringify(asked.body)).toBe(202);
    const proposed = (await env.request('GET', '/v1/connected-organisations?state=proposed')).body.items;
    expect(proposed).toEqual([expect.objectContaining({ id: 'proposed-unknown-test', domains: ['unknown.test'], sponsors: [], state: 'proposed', source: 'proposed' })]);
    // A proposed organisation has no sponsors yet: the fallback decides.
    await waitFor(async () => (await findRequest(env.db, asked.body.id))?.approvers.includes(sponsor.id), { timeoutMs: 20_000, what: 'the fallback approver' });
    expect((await asGuest(ticket, 'GET', '/v1/guest/me')).body.organisation).toEqual({ id: 'proposed-unknown-test', name: 'unknown.test', state: 'proposed' });
  });
});


describe('HR ids', () => {
  it('can never take the shape of a guest id', async () => {
    const answer = await env.put('g-0123456789abcdef', workerRecord());
    expect(answer).toMatchObject({ status: 400, body: { error: { details: [{ path: 'employeeId', message: 'ids of the form g-<16 hex digits> are kept for guests' }] } } });
  });
});
