import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../api/api-keys';
import { findAssignment, saveCatalog, savePackage } from '../../db/queries/access';
import { listCampaigns } from '../../db/queries/access-reviews';
import { validatePackage } from '../../domain/access-packages';
import { accessReviewScheduleId, campaignStateQuery } from '../../workflows/messages';
import { newEmployeeId, nextAsOf, workerRecord } from '../helpers/builders';
import { ldapAdmin, startTestEnvironment, waitFor, type TestEnvironment } from '../helpers/environment';
import { startSmtpSink } from '../helpers/smtp';

// Access reviews against the real stack: campaigns started by Temporal Schedules, decisions as
// Workflow Updates from the reviewer's self-service key, the four no-response defaults, two
// stages, recommendations, and denied access removed from OpenLDAP through the same
// desired-state path as every other removal.

let env: TestEnvironment;
let smtp: Awaited<ReturnType<typeof startSmtpSink>>;
const group = (cn: string) => `cn=${cn},ou=groups,${env.ldapBase}`;
const defaults = ['no-change', 'remove', 'approve', 'recommendation'] as const;
const people: Record<string, { id: string; key: string; dn?: string }> = {};
const sixtyDaysAgo = new Date(Date.now() - 60 * 86_400_000).toISOString();

beforeAll(async () => {
  smtp = await startSmtpSink();
  env = await startTestEnvironment({ env: { TENURE_SMTP_URL: smtp.url, TENURE_PUBLIC_URL: 'http://tenure.test' } });
  const cns = [...defaults.map((d) => `g-${d}`), 'g-two', 'g-recs', 'g-tick'];
  for (const cn of cns) await env.admin.add(group(cn), { objectClass: ['top', 'groupOfNames'], cn, member: 'cn=empty-membership-placeholder' });
  await saveCatalog(env.db, { id: 'reviewed', name: 'Reviewed', owners: [] }, 'test');
  for (const cn of cns) {
    const result = validatePackage({ id: cn.slice(2), catalog: 'reviewed', name: `Package ${cn.slice(2)}`, resources: [{ target: 'ldap', group: group(cn) }], policies: [{ id: 'direct', type: 'direct' }] }, { groupTargets: ['ldap'], extensions: [] });
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    await savePackage(env.db, result.accessPackage, { source: 'test', actor: 'test' });
  }
  for (const name of ['manager', 'security', 'alice', 'bob', 'carol', 'dave']) {
    const id = newEmployeeId(name.slice(0, 1).toUpperCase());
    people[name] = { id, key: (await createApiKey(env.db, { name: `key-${id}`, scopes: ['self-service'], employeeId: id })).key };
  }
  const hire = async (name: string, record: Record<string, unknown> = {}) => {
    expect((await env.put(people[name]!.id, workerRecord({ givenName: name[0]!.toUpperCase() + name.slice(1), ...record }))).status).toBe(202);
  };
  await hire('manager');
  await hire('security');
  for (const name of ['alice', 'bob']) await hire(name, { managerEmployeeId: people.manager!.id, lastSignIn: new Date().toISOString() });
  // Carol has not signed in for 60 days; Dave is in Sales when his access is granted.
  await hire('carol', { managerEmployeeId: people.manager!.id, lastSignIn: sixtyDaysAgo });
  await hire('dave', { managerEmployeeId: people.manager!.id, department: 'Sales' });
  for (const name of Object.keys(people)) people[name]!.dn = await waitFor(async () => (await env.identity(people[name]!.id))?.accounts?.[0]?.id as string | undefined, { timeoutMs: 60_000, what: `${name} provisioned` });
  const assign = async (name: string, packageId: string) => expect((await env.request('POST', '/v1/access-assignments', { employeeId: people[name]!.id, packageId, reason: 'project work' })).status).toBe(201);
  for (const d of defaults) for (const name of ['alice', 'bob', 'carol']) await assign(name, d);
  for (const name of ['alice', 'bob', 'carol']) await assign(name, 'two');
  for (const name of ['carol', 'dave']) await assign(name, 'recs');
  for (const d of defaults) await waitFor(async () => (await members(`g-${d}`)).filter((m) => m !== 'cn=empty-membership-placeholder').length === 3, { timeoutMs: 30_000, what: `g-${d} filled` });
  // Dave moves to Engineering after the grant.
  await env.put(people.dave!.id, workerRecord({ givenName: 'Dave', managerEmployeeId: people.manager!.id, department: 'Engineering', asOf: nextAsOf() }));
  await waitFor(async () => (await env.identity(people.dave!.id))?.department === 'Engineering', { what: 'dave moved' });
}, 300_000);
afterAll(async () => {
  await env?.stop();
  await smtp?.stop();
});

const as = (name: string, method: string, path: string, body?: unknown) => env.request(method, path, body, { authorization: `Bearer ${people[name]!.key}` });

async function members(cn: string): Promise<string[]> {
  const admin = await ldapAdmin();
  const { searchEntries } = await admin.search(group(cn), { scope: 'base', attributes: ['member'] });
  await admin.unbind();
  return [searchEntries[0]?.member ?? []].flat().map(String);
}

const definition = (id: string, overrides: Record<string, unknown>) => ({
  id,
  name: `Review ${id}`,
  scope: { type: 'packages', packages: [id] },
  stages: [{ reviewers: [{ type: 'manager' }] }],
  // Monthly, opened now by "start"; each occurrence lasts seconds.
  recurrence: { frequency: 'monthly', start: new Date(Date.now() + 86_400_000).toISOString(), duration: 'PT14S' },
  ...overrides,
});

/** Saves and starts a review; answers its campaign once its first stage is open. */
async function startReview(id: string, overrides: Record<string, unknown> = {}): Promise<string> {
  const created = await env.request('POST', '/v1/access-reviews', definition(id, overrides));
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  expect((await env.request('POST', `/v1/access-reviews/${id}/start`)).status).toBe(202);
  const campaign = await waitFor(async () => (await listCampaigns(env.db, id))[0], { timeoutMs: 20_000, what: `a campaign of ${id}` });
  await waitFor(async () => (await env.client.workflow.getHandle(campaign.id).query(campaignStateQuery)).status === 'open', { timeoutMs: 20_000, what: `${id} open` });
  return campaign.id;
}

const itemsOf = async (name: string, campaignId: string) => {
  const answer = await as(name, 'GET', `/v1/me/reviews/${encodeURIComponent(campaignId)}/items`);
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  return answer.body.items as any[];
};
const itemFor = (items: any[], name: string) => items.find((i) => i.employeeId === people[name]!.id);
const decide = (name: string, campaignId: string, itemId: number, decision: string, justification?: string) => as(name, 'POST', `/v1/me/reviews/${encodeURIComponent(campaignId)}/items/${itemId}/decision`, { decision, justification });
const applied = (campaignId: string) => waitFor(async () => (await env.request('GET', `/v1/access-review-campaigns/${encodeURIComponent(campaignId)}`)).body.status === 'applied' || undefined, { timeoutMs: 60_000, what: `${campaignId} applied` });
const live = async (assignmentId: string) => (await findAssignment(env.db, assignmentId))?.status !== 'ended';

describe('a monthly manager review', () => {
  it('with one deny, one approve and one no-response, under each of the four defaults; auto-apply removes the denied LDAP membership only', async () => {
    const campaigns = Object.fromEntries(await Promise.all(defaults.map(async (d) => [d, await startReview(d, { noResponse: d })] as const)));
    const items: Record<string, any[]> = {};
    for (const d of defaults) {
      items[d] = await itemsOf('manager', campaigns[d]!);
      expect(items[d]!.map((i) => i.employeeId).sort()).toEqual([people.alice!.id, people.bob!.id, people.carol!.id].sort());
      expect((await decide('manager', campaigns[d]!, itemFor(items[d]!, 'alice').id, 'deny', 'no longer on the project')).body).toMatchObject({ decision: 'deny', decidedBy: people.manager!.id });
      // A decision changes until the stage ends.
      expect((await decide('manager', campaigns[d]!, itemFor(items[d]!, 'bob').id, 'deny')).status).toBe(200);
      expect((await decide('manager', campaigns[d]!, itemFor(items[d]!, 'bob').id, 'approve')).body.decision).toBe('approve');
    }

    // Another reviewer neither sees nor decides the manager's items.
    const carolItem = itemFor(items['no-change']!, 'carol');
    expect(await itemsOf('security', campaigns['no-change']!)).toEqual([]);
    const peek = await as('security', 'GET', `/v1/me/reviews/${encodeURIComponent(campaigns['no-change']!)}/items/${carolItem.id}`);
    expect(peek.status).toBe(403);
    const meddle = await decide('security', campaigns['no-change']!, carolItem.id, 'deny');
    expect(meddle.status).toBe(403);
    expect((await as('manager', 'GET', `/v1/me/reviews/${encodeURIComponent(campaigns['no-change']!)}/items/${carolItem.id}`)).body.decision).toBeNull();
    expect((await as('manager', 'GET', '/v1/me/reviews')).body.items.map((r: any) => r.campaignId)).toEqual(expect.arrayContaining(Object.values(campaigns)));

    // Carol's recommendation says why.
    expect(carolItem).toMatchObject({ recommendation: 'deny', recommendationReason: expect.stringMatching(/^no sign-in for 60 days/) });
    const progress = (await env.request('GET', `/v1/access-review-campaigns/${encodeURIComponent(campaigns['no-change']!)}`)).body.progress;
    expect(progress).toEqual([{ stage: 1, reviewer: people.manager!.id, items: 3, decided: 2, approved: 1, denied: 1, dontKnow: 0 }]);

    for (const d of defaults) await applied(campaigns[d]!);
    const expected = { 'no-change': ['removed', 'kept: approved', 'kept: no change'], remove: ['removed', 'kept: approved', 'removed'], approve: ['removed', 'kept: approved', 'kept: approved'], recommendation: ['removed', 'kept: approved', 'removed'] } as const;
    for (const d of defaults) {
      const results = (await env.request('GET', `/v1/access-review-campaigns/${encodeURIComponent(campaigns[d]!)}/results`)).body.items as any[];
      expect(['alice', 'bob', 'carol'].map((n) => itemFor(results, n).effect), d).toEqual(expected[d]);
      expect(itemFor(results, 'carol').outcomeBy).toBe('default');
      for (const [n, effect] of ['alice', 'bob', 'carol'].map((n, i) => [n, expected[d][i]] as const)) expect(await live(itemFor(results, n).assignmentId)).toBe(effect !== 'removed');
    }
    // The LDAP group follows: only the denied person leaves it.
    await waitFor(async () => !(await members('g-no-change')).includes(people.alice!.dn!), { timeoutMs: 30_000, what: 'alice out of g-no-change' });
    expect(await members('g-no-change')).toEqual(expect.arrayContaining([people.bob!.dn, people.carol!.dn]));
    await waitFor(async () => !(await members('g-remove')).includes(people.carol!.dn!), { timeoutMs: 30_000, what: 'carol out of g-remove' });
    expect(await members('g-remove')).toContain(people.bob!.dn);
    expect(await members('g-approve')).toEqual(expect.arrayContaining([people.bob!.dn, people.carol!.dn]));

    // The trail: the decision, the default, the removal and its effect, each with its cause.
    const trail = await env.events(people.alice!.id);
    expect(trail.find((e) => e.kind === 'review.decided' && e.details.campaignId === campaigns['no-change'])).toMatchObject({ actor: people.manager!.id, details: { decision: 'deny', justification: 'no longer on the project' } });
    expect(trail.find((e) => e.kind === 'assignment.removed' && e.actor === `review:${campaigns['no-change']}`)).toBeDefined();
    expect(trail.find((e) => e.kind === 'review.applied' && e.details.campaignId === campaigns['no-change'])?.details.effect).toBe('removed');
    expect((await env.events(people.carol!.id)).find((e) => e.kind === 'review.defaulted' && e.details.campaignId === campaigns.remove)).toMatchObject({ details: { noResponse: 'remove', outcome: 'deny' } });

    // The reviewer was told when it opened, and reminded at the midpoint.
    const managerMail = smtp.to((await env.identity(people.manager!.id)).workEmail).map((m) => m.subject);
    expect(managerMail).toEqual(expect.arrayContaining(['Access review: Review no-change', 'Reminder: 1 access review item(s) wait for you']));

    const csv = await env.app.request(`/v1/access-review-campaigns/${encodeURIComponent(campaigns['no-change']!)}/export`, { headers: { authorization: `Bearer ${env.key}` } });
    const lines = (await csv.text()).trim().split('\r\n');
    expect(lines[0]).toContain('campaignId,reviewId,reviewVersion,item,stage,employeeId');
    expect(lines).toHaveLength(4);
    expect(lines.find((l) => l.includes(people.alice!.id))).toMatch(/,deny,.*no longer on the project.*,removed,/);
  }, 120_000);
});

describe('a two-stage review', () => {
  it('passes only approved items to stage 2, where a deny and a bulk approval decide them', async () => {
    const campaignId = await startReview('two', { recurrence: { frequency: 'monthly', start: new Date(Date.now() + 86_400_000).toISOString(), duration: 'PT24S' }, stages: [{ reviewers: [{ type: 'manager' }] }, { reviewers: [{ type: 'people', employeeIds: [people.security!.id] }] }] });
    const first = await itemsOf('manager', campaignId);
    expect(first).toHaveLength(3);
    await decide('manager', campaignId, itemFor(first, 'alice').id, 'approve');
    await decide('manager', campaignId, itemFor(first, 'bob').id, 'approve');
    await decide('manager', campaignId, itemFor(first, 'carol').id, 'deny');
    const second = await waitFor(async () => {
      const items = await itemsOf('security', campaignId);
      return items.length > 0 ? items : undefined;
    }, { timeoutMs: 30_000, what: 'stage 2 open' });
    expect(second.map((i) => i.employeeId).sort()).toEqual([people.alice!.id, people.bob!.id].sort());
    expect(itemFor(second, 'bob').earlier).toEqual([{ stage: 1, answer: 'approve', by: people.manager!.id, justification: null }]);
    expect((await decide('security', campaignId, itemFor(second, 'bob').id, 'deny', 'not needed')).status).toBe(200);
    expect((await as('security', 'POST', `/v1/me/reviews/${encodeURIComponent(campaignId)}/bulk`, { mode: 'approve-rest' })).body).toEqual({ decided: 1 });
    await applied(campaignId);
    const results = ((await env.request('GET', `/v1/access-review-campaigns/${encodeURIComponent(campaignId)}/results`)).body.items as any[]).filter((i) => i.passed === false);
    expect(['alice', 'bob', 'carol'].map((n) => [itemFor(results, n).stage, itemFor(results, n).outcome, itemFor(results, n).effect])).toEqual([
      [2, 'approve', 'kept: approved'],
      [2, 'deny', 'removed'],
      [1, 'deny', 'removed'],
    ]);
    await waitFor(async () => {
      const now = await members('g-two');
      return now.includes(people.alice!.dn!) && !now.includes(people.bob!.dn!) && !now.includes(people.carol!.dn!);
    }, { timeoutMs: 30_000, what: 'g-two holds only alice' });
  }, 120_000);
});

describe('recommendations', () => {
  it('are shown for an inactive person and for a person who moved department; reminded now, stopped early, it waits for an administrator to apply it', async () => {
    const campaignId = await startReview('recs', { apply: 'manual', noResponse: 'recommendation', recurrence: { frequency: 'monthly', start: new Date(Date.now() + 86_400_000).toISOString(), duration: 'PT1H' } });
    const items = await itemsOf('manager', campaignId);
    expect(itemFor(items, 'carol')).toMatchObject({ recommendation: 'deny', recommendationReason: expect.stringMatching(/^no sign-in for 60 days \(since /) });
    expect(itemFor(items, 'dave')).toMatchObject({ recommendation: 'deny', recommendationReason: 'moved from department Sales to Engineering since the access was granted' });
    // "Remind now" mails the reviewer with undecided items at once.
    expect((await env.request('POST', `/v1/access-review-campaigns/${encodeURIComponent(campaignId)}/remind`)).status).toBe(202);
    const managerAddress = (await env.identity(people.manager!.id)).workEmail;
    await waitFor(async () => smtp.to(managerAddress).some((m) => m.subject === 'Reminder: 2 access review item(s) wait for you'), { timeoutMs: 20_000, what: 'the reminder sent now' });
    expect((await as('manager', 'POST', `/v1/me/reviews/${encodeURIComponent(campaignId)}/bulk`, { mode: 'accept-recommendations' })).body).toEqual({ decided: 2 });
    expect((await env.request('POST', `/v1/access-review-campaigns/${encodeURIComponent(campaignId)}/apply`)).status).toBe(409);
    expect((await env.request('POST', `/v1/access-review-campaigns/${encodeURIComponent(campaignId)}/stop`)).status).toBe(202);
    const path = `/v1/access-review-campaigns/${encodeURIComponent(campaignId)}`;
    await waitFor(async () => (await env.request('GET', path)).body.status === 'awaiting-apply', { timeoutMs: 20_000, what: 'the campaign waiting to be applied' });
    // Decided, not applied: both still hold the access.
    expect(await members('g-recs')).toEqual(expect.arrayContaining([people.carol!.dn, people.dave!.dn]));
    expect((await env.request('POST', `${path}/apply`)).status).toBe(202);
    await applied(campaignId);
    expect((await env.request('GET', path)).body).toMatchObject({ status: 'applied', stoppedBy: 'test-hr', appliedBy: 'test-hr' });
    await waitFor(async () => {
      const now = await members('g-recs');
      return !now.includes(people.carol!.dn!) && !now.includes(people.dave!.dn!);
    }, { timeoutMs: 30_000, what: 'g-recs emptied' });
  }, 60_000);
});

describe('the schedule', () => {
  it('starts the next occurrence by itself, and pauses while the review is disabled', async () => {
    const startAt = new Date(Math.ceil((Date.now() + 3000) / 1000) * 1000).toISOString();
    const created = await env.request('POST', '/v1/access-reviews', definition('tick', { recurrence: { frequency: 'every', every: 'PT12S', start: startAt, duration: 'PT4S', end: { type: 'after', occurrences: 2 } } }));
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const handle = env.client.schedule.getHandle(accessReviewScheduleId(env.taskQueue, 'tick'));
    expect((await handle.describe()).state.paused).toBe(false);
    const campaigns = await waitFor(async () => {
      const found = await listCampaigns(env.db, 'tick');
      return found.length >= 2 ? found : undefined;
    }, { timeoutMs: 45_000, what: 'two occurrences started by the schedule' });
    const gap = campaigns[0]!.openedAt.getTime() - campaigns[1]!.openedAt.getTime();
    expect(gap).toBeGreaterThan(8_000);
    expect((await env.request('POST', '/v1/access-reviews/tick/disable')).status).toBe(200);
    expect((await handle.describe()).state).toMatchObject({ paused: true, remainingActions: 0 });
  }, 90_000);
});
