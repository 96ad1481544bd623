import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { signPayload, verifySignature } from '../../domain/signature';
import { freePort } from '../../scripts/ports';
import { createApiKey } from '../../api/api-keys';
import { findRequest, liveAssignments, saveCatalog, savePackage } from '../../db/queries/access';
import { validatePackage } from '../../domain/access-packages';
import { accessRequestStateQuery, accessRequestWorkflowId } from '../../workflows/messages';
import { newEmployeeId, nextAsOf, workerRecord } from '../helpers/builders';
import { ldapAdmin, startTestEnvironment, waitFor, type TestEnvironment } from '../helpers/environment';
import { startScimServer } from '../helpers/scim-server';
import { startSmtpSink } from '../helpers/smtp';

// Access by request: staged approvals decided over the API and through the single-use link in
// the approval mail, deadlines that escalate or deny, separation of duties, expiry with its
// reminders and an extension — against real Temporal, PostgreSQL, OpenLDAP, SCIM and SMTP.

let env: TestEnvironment;
let smtp: Awaited<ReturnType<typeof startSmtpSink>>;
let scim: Awaited<ReturnType<typeof startScimServer>>;
let extensions: Server;
const extensionSecret = 'access-extension-secret-0123456789';
const extensionCalls: { name: string; body: any; valid: boolean }[] = [];
const group = (cn: string) => `cn=${cn},ou=groups,${env.ldapBase}`;

/** People, each with a self-service key bound to them. */
const people: Record<string, { id: string; key: string }> = {};

beforeAll(async () => {
  smtp = await startSmtpSink();
  scim = await startScimServer('scim-access-token');
  // "itsm" opens a ticket and reports it done a moment later; "licence" answers that none is left.
  const extensionPort = await freePort();
  extensions = createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk: Buffer) => (raw += chunk.toString()));
    req.on('end', () => {
      void (async () => {
        const name = req.url!.slice(1);
        const body = JSON.parse(raw);
        extensionCalls.push({ name, body, valid: await verifySignature(extensionSecret, req.headers['x-tenure-timestamp'] as string, raw, req.headers['x-tenure-signature'] as string, new Date()) });
        res.writeHead(202).end();
        if (!body.callback) return;
        await new Promise((resolve) => setTimeout(resolve, 300));
        const answer = JSON.stringify(name === 'itsm' ? { outcome: 'completed', message: 'INC-7 done' } : { outcome: 'failed', message: 'no licence left' });
        const timestamp = String(Math.floor(Date.now() / 1000));
        await env.app.request(new URL(body.callback.url).pathname, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-tenure-timestamp': timestamp, 'x-tenure-signature': await signPayload(extensionSecret, timestamp, answer) },
          body: answer,
        });
      })();
    });
  });
  await new Promise<void>((resolve) => extensions.listen(extensionPort, '127.0.0.1', resolve));
  const ldap = inject('ldap');
  env = await startTestEnvironment({
    env: {
      TENURE_SMTP_URL: smtp.url,
      TENURE_ACCESS_EXPIRY_REMINDERS: 'PT6S,PT3S',
      TENURE_PUBLIC_URL: 'http://tenure.test',
      TENURE_CUSTOM_EXTENSIONS: JSON.stringify({ itsm: { url: `http://127.0.0.1:${extensionPort}/itsm`, secret: extensionSecret }, licence: { url: `http://127.0.0.1:${extensionPort}/licence`, secret: extensionSecret } }),
    },
    configFile: ({ ldapBase, peopleDn }) => `
targets:
  - name: ldap
    type: ldap
    url: ${ldap.url}
    bindDn: ${ldap.adminDn}
    bindPassword: ${ldap.adminPassword}
    baseDn: ${ldapBase}
    peopleDn: "${peopleDn}"
    mappings:
      - { target: uid, source: username, apply: create }
      - { target: cn, source: displayName }
      - { target: sn, source: familyName }
      - { target: mail, source: workEmail }
  - name: crm
    type: scim
    baseUrl: ${scim.baseUrl}
    auth: { type: bearer, token: scim-access-token }
    mappings:
      - { target: userName, source: username }
      - { target: displayName, source: displayName }
`,
  });
  for (const cn of ['project-x', 'payments', 'approvals', 'temp']) await env.admin.add(group(cn), { objectClass: ['top', 'groupOfNames'], cn, member: 'cn=empty-membership-placeholder' });
  scim.addGroup('Project X');
  await saveCatalog(env.db, { id: 'projects', name: 'Projects', owners: [] }, 'test');

  for (const name of ['manager', 'security', 'fallback', 'requester', 'lonely']) {
    const id = newEmployeeId(name.slice(0, 1).toUpperCase());
    people[name] = { id, key: (await createApiKey(env.db, { name: `key-${id}`, scopes: ['self-service'], employeeId: id })).key };
  }
  const hire = async (name: string, record: Record<string, unknown> = {}) => {
    await env.put(people[name]!.id, workerRecord({ givenName: name[0]!.toUpperCase() + name.slice(1), ...record }));
    await waitFor(async () => (await env.identity(people[name]!.id))?.workEmail, { what: `${name} provisioned` });
  };
  await hire('manager');
  await hire('security');
  await hire('fallback');
  await hire('requester', { managerEmployeeId: people.manager!.id });
  await hire('lonely');

  const packages = [
    {
      id: 'project-x',
      name: 'Project X',
      resources: [{ target: 'ldap', group: group('project-x') }, { target: 'crm', group: 'Project X' }],
      policies: [{ id: 'ask', type: 'request', stages: [{ approvers: [{ type: 'manager' }] }, { approvers: [{ type: 'people', employeeIds: [people.security!.id] }] }], lifetime: { duration: 'P90D' } }],
    },
    { id: 'escalating', name: 'Escalating', resources: [{ target: 'ldap', group: group('temp') }], policies: [{ id: 'ask', type: 'request', justification: 'optional', stages: [{ approvers: [{ type: 'people', employeeIds: [people.security!.id] }], fallback: [{ type: 'people', employeeIds: [people.fallback!.id] }], deadline: 'PT3S', onDeadline: 'escalate' }] }] },
    { id: 'denying', name: 'Denying', resources: [{ target: 'ldap', group: group('temp') }], policies: [{ id: 'ask', type: 'request', justification: 'optional', stages: [{ approvers: [{ type: 'people', employeeIds: [people.security!.id] }], deadline: 'PT2S', onDeadline: 'deny' }] }] },
    { id: 'payments', name: 'Payments', resources: [{ target: 'ldap', group: group('payments') }], incompatibleWith: ['approvals'], policies: [{ id: 'direct', type: 'direct' }, { id: 'ask', type: 'request', justification: 'optional' }] },
    { id: 'approvals', name: 'Payment approvals', resources: [{ target: 'ldap', group: group('approvals') }], policies: [{ id: 'ask', type: 'request', justification: 'optional' }] },
    {
      id: 'ticketed',
      name: 'Ticketed',
      resources: [{ target: 'ldap', group: group('temp') }],
      hooks: [{ on: 'granted', extension: 'itsm' }],
      policies: [{ id: 'ask', type: 'request', justification: 'optional', hooks: [{ on: 'created', extension: 'itsm', mode: 'launch-and-wait', timeout: 'PT30S' }] }],
    },
    { id: 'licensed', name: 'Licensed', resources: [{ target: 'ldap', group: group('temp') }], policies: [{ id: 'ask', type: 'request', justification: 'optional', hooks: [{ on: 'created', extension: 'licence', mode: 'launch-and-wait', timeout: 'PT30S' }] }] },
    { id: 'short', name: 'Short-lived', resources: [{ target: 'ldap', group: group('temp') }], policies: [{ id: 'ask', type: 'request', justification: 'optional', lifetime: { duration: 'PT10S' } }] },
  ];
  for (const p of packages) {
    const result = validatePackage({ catalog: 'projects', ...p }, { groupTargets: ['ldap', 'crm'], extensions: ['itsm', 'licence'] });
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    await savePackage(env.db, result.accessPackage, { source: 'test', actor: 'test' });
  }
});
afterAll(async () => {
  await env?.stop();
  await smtp?.stop();
  await scim?.stop();
  extensions?.close();
});

const as = (name: string, method: string, path: string, body?: unknown) => env.request(method, path, body, { authorization: `Bearer ${people[name]!.key}` });

async function members(cn: string): Promise<string[]> {
  const admin = await ldapAdmin();
  const { searchEntries } = await admin.search(group(cn), { scope: 'base', attributes: ['member'] });
  await admin.unbind();
  return [searchEntries[0]?.member ?? []].flat().map(String);
}

/** Where the request workflow stands (it takes decisions from the moment it says so). */
const stateOf = (requestId: string) => env.client.workflow.getHandle(accessRequestWorkflowId(requestId)).query(accessRequestStateQuery);

const atStage = (requestId: string, stage: number, approver?: string) =>
  waitFor(async () => {
    const state = await stateOf(requestId);
    return state.stage === stage && state.approvers.length > 0 && (!approver || state.approvers.includes(approver)) ? state : undefined;
  }, { timeoutMs: 15_000, what: `request ${requestId} at stage ${stage}` });

const decided = (requestId: string) =>
  waitFor(async () => {
    const row = await findRequest(env.db, requestId);
    return row && row.status !== 'pending' ? row : undefined;
  }, { timeoutMs: 30_000, what: `request ${requestId} decided` });

/** The approval link in the last mail to this person about this request. */
async function linkFor(name: string): Promise<string> {
  const identity = await env.identity(people[name]!.id);
  const mail = await waitFor(async () => smtp.to(identity.workEmail).filter((m) => m.subject.startsWith('Approve access')).at(-1), { what: `the approval mail to ${name}` });
  return new URL(/http:\/\/tenure\.test(\/approvals\/[A-Za-z0-9_-]+)/.exec(mail.text)![1]!, 'http://x').pathname;
}

describe('a two-stage request', () => {
  it('is approved by the manager over the API, then by a named approver through the mail link; the groups follow and the trail names both', async () => {
    const asked = await as('requester', 'POST', '/v1/me/access-requests', { packageId: 'project-x', justification: 'I join project X' });
    expect(asked.status, JSON.stringify(asked.body)).toBe(202);
    const requestId = asked.body.id as string;
    expect(asked.body).toMatchObject({ status: 'pending', stageCount: 2 });
    await atStage(requestId, 1);
    expect((await as('manager', 'GET', '/v1/me/approvals')).body.items.map((r: any) => r.id)).toContain(requestId);

    // The wrong approver and the requester are refused; the request is unchanged.
    const wrong = await as('security', 'POST', `/v1/access-requests/${requestId}/decision`, { decision: 'approve' });
    expect(wrong.status).toBe(403);
    expect(wrong.body.error.message).toContain('is not an approver of stage 1');
    const self = await as('requester', 'POST', `/v1/access-requests/${requestId}/decision`, { decision: 'approve' });
    expect(self).toMatchObject({ status: 403, body: { error: { message: 'you cannot decide your own request' } } });
    expect(await findRequest(env.db, requestId)).toMatchObject({ status: 'pending', stage: 1, approvers: [people.manager!.id] });

    const first = await as('manager', 'POST', `/v1/access-requests/${requestId}/decision`, { decision: 'approve', justification: 'fine by me' });
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(first.body).toMatchObject({ status: 'pending', stage: 2, approvers: [people.security!.id] });

    const link = await linkFor('security');
    const page = await env.app.request(link);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('I join project X');
    const posted = await env.app.request(link, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'decision=approve&justification=needed+for+X' });
    expect(posted.status).toBe(200);
    expect(await posted.text()).toContain('Approved');
    // Used once: a second use says so plainly.
    const again = await env.app.request(link, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'decision=deny' });
    expect(again.status).toBe(410);
    expect(await again.text()).toContain('already');

    expect((await decided(requestId)).status).toBe('approved');
    const dn = (await env.identity(people.requester!.id)).accounts.find((a: any) => a.system === 'ldap').id;
    await waitFor(async () => (await members('project-x')).includes(dn), { what: 'the LDAP group' });
    const scimUser = scim.byExternalId(people.requester!.id)[0]!;
    await waitFor(async () => scim.membersOf('Project X').includes(scimUser.id), { what: 'the SCIM group' });

    // The membership is on record once both targets have it.
    const access = await waitFor(async () => {
      const body = (await env.request('GET', `/v1/identities/${people.requester!.id}/access`)).body;
      return body.groups.some((g: any) => g.group === group('project-x')) ? body : undefined;
    }, { what: 'the group in the access view' });
    const held = access.packages.find((p: any) => p.packageId === 'project-x');
    expect(held.because).toMatchObject({ source: 'request', requestId, justification: 'I join project X' });
    expect(held.because.approvals.map((a: any) => [a.stage, a.approver, a.via])).toEqual([
      [1, people.manager!.id, 'api'],
      [2, people.security!.id, 'link'],
    ]);
    expect(held.endsAt).toEqual(expect.any(String));
    expect(access.groups.find((g: any) => g.group === group('project-x')).because).toEqual([{ kind: 'package', packageId: 'project-x', assignmentId: held.assignmentId, endsAt: held.endsAt }]);
    const kinds = (await env.events(people.requester!.id)).map((e) => e.kind);
    expect(kinds).toEqual(expect.arrayContaining(['request.created', 'request.stage-approved', 'request.approved', 'assignment.granted']));
    const address = (await env.identity(people.requester!.id)).workEmail;
    await waitFor(async () => smtp.to(address).some((m) => m.subject === 'Your request for Project X was approved'), { what: 'the requester told' });
  });
});

describe('stage deadlines', () => {
  it('escalate to the fallback approver, who decides', async () => {
    const asked = await as('requester', 'POST', '/v1/me/access-requests', { packageId: 'escalating' });
    const requestId = asked.body.id as string;
    await atStage(requestId, 1);
    const escalated = await atStage(requestId, 1, people.fallback!.id);
    expect(escalated.approvers).toEqual([people.fallback!.id]);
    expect((await as('security', 'POST', `/v1/access-requests/${requestId}/decision`, { decision: 'approve' })).status).toBe(403);
    expect((await as('fallback', 'POST', `/v1/access-requests/${requestId}/decision`, { decision: 'approve' })).status).toBe(200);
    expect((await decided(requestId)).status).toBe('approved');
  });

  it('deny with the reason when the policy says so', async () => {
    const asked = await as('lonely', 'POST', '/v1/me/access-requests', { packageId: 'denying' });
    const row = await decided(asked.body.id);
    expect(row).toMatchObject({ status: 'denied', outcomeReason: 'no decision on stage 1 within 2 s, even after escalation' });
  });
});

describe('extensions at request stages', () => {
  it('waits for a launched-and-waiting extension before the approvals, and calls the package’s extension on the grant', async () => {
    const asked = await as('fallback', 'POST', '/v1/me/access-requests', { packageId: 'ticketed' });
    expect((await decided(asked.body.id)).status).toBe('approved');
    const calls = await waitFor(async () => {
      const found = extensionCalls.filter((c) => c.body.requestId === asked.body.id || (c.body.packageId === 'ticketed' && c.body.employee?.employeeId === people.fallback!.id));
      return found.length >= 2 ? found : undefined;
    }, { what: 'the grant’s extension call' });
    expect(calls.map((c) => [c.name, c.body.on ?? c.body.event, c.valid])).toEqual([
      ['itsm', 'created', true],
      ['itsm', 'granted', true],
    ]);
    expect(calls[0]!.body.callback.url).toContain(`/v1/access-requests/${asked.body.id}/hooks/created/resume`);
  });

  it('denies the request, with the extension’s reason, when it reports failure', async () => {
    const asked = await as('fallback', 'POST', '/v1/me/access-requests', { packageId: 'licensed' });
    expect(await decided(asked.body.id)).toMatchObject({ status: 'denied', outcomeReason: 'licence refused: no licence left' });
  });

  it('refuses an unsigned answer', async () => {
    const asked = await as('security', 'POST', '/v1/me/access-requests', { packageId: 'ticketed' });
    const res = await env.app.request(`/v1/access-requests/${asked.body.id}/hooks/created/resume`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ outcome: 'completed' }) });
    expect(res.status).toBe(401);
    expect((await decided(asked.body.id)).status).toBe('approved');
  });
});

describe('separation of duties', () => {
  it('refuses a request that would conflict, naming the package held', async () => {
    const direct = await env.request('POST', '/v1/access-assignments', { employeeId: people.lonely!.id, packageId: 'payments', reason: 'runs payments' });
    expect(direct.status, JSON.stringify(direct.body)).toBe(201);
    const asked = await as('lonely', 'POST', '/v1/me/access-requests', { packageId: 'approvals' });
    expect(asked.status).toBe(409);
    expect(asked.body.error).toMatchObject({ code: 'conflict', details: [{ path: 'packageId', message: 'approvals is incompatible with payments, which the person holds' }] });
    const listed = (await as('lonely', 'GET', '/v1/me/access-packages')).body.items.find((p: any) => p.id === 'approvals');
    expect(listed.conflict).toContain('payments');
  });
});

describe('expiry', () => {
  it('reminds at the offsets, removes the group at the end and touches nothing else; an extension approved in time keeps it', async () => {
    const person = await env.identity(people.lonely!.id);
    const dn = person.accounts.find((a: any) => a.system === 'ldap').id;
    const first = await as('lonely', 'POST', '/v1/me/access-requests', { packageId: 'short' });
    expect((await decided(first.body.id)).status).toBe('approved');
    await waitFor(async () => (await members('temp')).includes(dn), { what: 'the short-lived group' });
    const [assignment] = (await liveAssignments(env.db, people.lonely!.id)).filter((a) => a.packageId === 'short');
    const endsAt = assignment!.endsAt!.getTime();

    const reminders = await waitFor(async () => {
      const mails = smtp.to(person.workEmail).filter((m) => m.subject.startsWith('Access to Short-lived ends'));
      return mails.length >= 2 ? mails : undefined;
    }, { timeoutMs: 20_000, what: 'both reminders' });
    expect(reminders).toHaveLength(2);
    await waitFor(async () => !(await members('temp')).includes(dn), { timeoutMs: 20_000, what: 'the group removed at the end' });
    const removedAt = Date.now();
    expect(removedAt - endsAt).toBeGreaterThanOrEqual(0);
    expect(removedAt - endsAt).toBeLessThan(8_000);
    // Nothing else was touched: the directly assigned payments group stays.
    expect(await members('payments')).toContain(dn);
    const trail = (await env.events(people.lonely!.id)).filter((e) => e.details?.assignmentId === assignment!.id && e.kind.startsWith('assignment.')).map((e) => e.kind);
    expect(trail).toEqual(['assignment.granted', 'assignment.reminded', 'assignment.reminded', 'assignment.expired']);

    const second = await as('lonely', 'POST', '/v1/me/access-requests', { packageId: 'short' });
    expect((await decided(second.body.id)).status).toBe('approved');
    const [renewed] = (await liveAssignments(env.db, people.lonely!.id)).filter((a) => a.packageId === 'short');
    // Asked for once the first reminder came, as a person would.
    await new Promise((resolve) => setTimeout(resolve, 4500));
    const extension = await as('lonely', 'POST', `/v1/me/assignments/${renewed!.id}/extend`, { justification: 'still needed' });
    expect(extension.status, JSON.stringify(extension.body)).toBe(202);
    expect((await decided(extension.body.id)).status).toBe('approved');
    const extended = (await liveAssignments(env.db, people.lonely!.id)).find((a) => a.id === renewed!.id)!;
    // A lifetime of 10 s from the approval: later than the end it replaced.
    expect(extended.endsAt!.getTime() - renewed!.endsAt!.getTime()).toBeGreaterThanOrEqual(3000);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, renewed!.endsAt!.getTime() - Date.now()) + 300));
    expect(await members('temp')).toContain(dn);
    await waitFor(async () => !(await members('temp')).includes(dn), { timeoutMs: 20_000, what: 'the group removed at the extended end' });
    expect(Date.now()).toBeGreaterThanOrEqual(extended.endsAt!.getTime());
  });
});

describe('leaving and coming back', () => {
  it('a leaver loses requested access on the last day, and a rehire gets back only what rules give', async () => {
    const id = people.requester!.id;
    const record = workerRecord({ givenName: 'Requester', managerEmployeeId: people.manager!.id, familyName: (await env.identity(id)).attributes.familyName });
    await env.put(id, { ...record, asOf: nextAsOf(), leaveDate: new Date(Date.now() + 1000).toISOString() });
    await waitFor(async () => (await env.identity(id))?.state === 'terminated', { what: 'terminated' });
    await waitFor(async () => (await liveAssignments(env.db, id)).length === 0, { what: 'no assignment left' });
    await env.put(id, { ...record, asOf: nextAsOf(), hireDate: new Date(Date.now() + 1000).toISOString() });
    await waitFor(async () => (await env.identity(id))?.state === 'active', { timeoutMs: 30_000, what: 'rehired and active' });
    expect(await liveAssignments(env.db, id)).toEqual([]);
    const dn = (await env.identity(id)).accounts.find((a: any) => a.system === 'ldap').id;
    expect(await members('project-x')).not.toContain(dn);
  });
});
