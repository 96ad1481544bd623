import { randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CatalogFilesError, loadAccessCatalogFiles } from '../../api/access-catalog-files';
import type { RolloutDeps } from '../../api/access-rollouts';
import { findPackage, insertAssignment, listCatalogs, listPackageVersions, saveCatalog, savePackage } from '../../db/queries/access';
import { listRollouts } from '../../db/queries/access-rollouts';
import { validatePackage } from '../../domain/access-packages';
import { identityWorkflowId } from '../../workflows/messages';
import { newEmployeeId, workerRecord } from '../helpers/builders';
import { startTestEnvironment, waitFor, type TestEnvironment } from '../helpers/environment';

// The administration of catalogs and access packages against the real API, PostgreSQL and
// Temporal: CRUD and versions with errors naming the field, the dry run of a change for people
// known to Tenure, conflicts already present, rollouts that signal everyone, and catalog files.

let env: TestEnvironment;
const group = (cn: string) => `cn=${cn},ou=groups,dc=tenure,dc=test`;
const context = { groupTargets: ['ldap'], extensions: [] };

beforeAll(async () => {
  // A slow pace for rollouts would make the tests wait; 200/s still exercises the pacing.
  env = await startTestEnvironment({ env: { TENURE_ACCESS_ROLLOUT_PER_SECOND: '200' } });
});
afterAll(async () => {
  await env?.stop();
});

/** Someone known to Tenure (their identity row written by their workflow). */
async function hire(overrides: Parameters<typeof workerRecord>[0] = {}): Promise<string> {
  const id = newEmployeeId();
  const put = await env.put(id, workerRecord(overrides));
  expect(put.status, JSON.stringify(put.body)).toBe(202);
  await waitFor(async () => (await env.identity(id))?.state === 'active', { what: `${id} active` });
  return id;
}

/** Saves a package straight into the store (no rollout), for setting up what people hold. */
async function stored(input: Record<string, unknown>) {
  const result = validatePackage({ catalog: 'store', name: String(input.id), ...input }, context);
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  await savePackage(env.db, result.accessPackage, { source: 'test', actor: 'test' });
  return result.accessPackage;
}

const grant = (employeeId: string, packageId: string, extra: { source?: 'auto' | 'admin' | 'request'; policyId?: string } = {}) =>
  insertAssignment(env.db, { id: `${employeeId}-${packageId}`, employeeId, packageId, source: extra.source ?? 'admin', policyId: extra.policyId, grantedBy: 'test', status: 'active', startsAt: new Date() });

const signalsOf = async (employeeId: string) => {
  const history = await env.client.workflow.getHandle(identityWorkflowId(employeeId)).fetchHistory();
  return (history.events ?? []).filter((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'accessChanged').length;
};

describe('catalogs', () => {
  it('creates, reads, lists and changes a catalog; refuses a duplicate, a bad field and a wrong id', async () => {
    const created = await env.request('POST', '/v1/catalogs', { id: 'engineering', name: 'Engineering', owners: ['E1001'] });
    expect(created).toEqual({ status: 201, body: { id: 'engineering', outcome: 'created' } });
    expect((await env.request('POST', '/v1/catalogs', { id: 'engineering', name: 'Again' })).status).toBe(409);
    const bad = await env.request('POST', '/v1/catalogs', { id: 'Bad Id', name: '', owners: ['not an id'], colour: 'red' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual(['colour', 'id', 'name', 'owners.0']);
    expect((await env.request('PUT', '/v1/catalogs/engineering', { id: 'other', name: 'X' })).body.error.details).toEqual([{ path: 'id', message: 'must be engineering, the id in the path' }]);
    expect((await env.request('PUT', '/v1/catalogs/nowhere', { id: 'nowhere', name: 'X' })).status).toBe(404);
    const changed = await env.request('PUT', '/v1/catalogs/engineering', { id: 'engineering', name: 'Engineering', description: 'Tools of the engineering teams', owners: ['E1001', 'E1002'] });
    expect(changed.body).toEqual({ id: 'engineering', outcome: 'new-version' });
    const read = await env.request('GET', '/v1/catalogs/engineering');
    expect(read.body).toMatchObject({ id: 'engineering', description: 'Tools of the engineering teams', owners: ['E1001', 'E1002'], source: 'api', packages: [] });
    expect((await env.request('GET', '/v1/catalogs')).body.items.map((c: { id: string }) => c.id)).toContain('engineering');
  });
});

describe('access packages', () => {
  const tools = {
    id: 'ci-tools',
    catalog: 'engineering',
    name: 'CI tools',
    resources: [{ target: 'ldap', group: group('ci') }],
    policies: [{ id: 'ask', type: 'request', stages: [{ approvers: [{ type: 'manager' }] }] }],
  };

  it('creates a package, keeps its versions, and lists it by catalog', async () => {
    const created = await env.request('POST', '/v1/access-packages', tools);
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body).toEqual({ id: 'ci-tools', version: 1, outcome: 'created', rollout: null });
    expect((await env.request('POST', '/v1/access-packages', tools)).status).toBe(409);
    expect((await env.request('PUT', '/v1/access-packages/ci-tools', tools)).body).toMatchObject({ version: 1, outcome: 'unchanged' });
    const second = await env.request('PUT', '/v1/access-packages/ci-tools', { ...tools, description: 'Build runners' });
    expect(second.body).toMatchObject({ version: 2, outcome: 'new-version', rollout: null });

    const current = await env.request('GET', '/v1/access-packages/ci-tools');
    expect(current.body).toMatchObject({ id: 'ci-tools', version: 2, enabled: true, description: 'Build runners', policies: [{ id: 'ask', type: 'request', justification: 'required', lifetime: { duration: 'P90D' } }] });
    const first = await env.request('GET', '/v1/access-packages/ci-tools?version=1');
    expect(first.body.version).toBe(1);
    expect(first.body.description).toBeUndefined();
    expect((await env.request('GET', '/v1/access-packages/ci-tools?version=9')).status).toBe(404);
    const versions = await env.request('GET', '/v1/access-packages/ci-tools/versions');
    expect(versions.body.items.map((v: { version: number; createdBy: string }) => [v.version, v.createdBy])).toEqual([
      [2, 'test-hr'],
      [1, 'test-hr'],
    ]);
    expect((await env.request('GET', '/v1/access-packages?catalog=engineering')).body.items.map((p: { id: string }) => p.id)).toEqual(['ci-tools']);
    expect((await env.request('GET', '/v1/access-packages?catalog=nobody')).body.items).toEqual([]);
    expect((await env.request('GET', '/v1/catalogs/engineering')).body.packages).toEqual([{ id: 'ci-tools', name: 'CI tools', enabled: true, version: 2 }]);
  });

  it('names every offending field: schema, targets, rules, the catalog, the id and unknown packages', async () => {
    const bad = await env.request('POST', '/v1/access-packages', {
      id: 'broken',
      catalog: 'engineering',
      name: 'Broken',
      resources: [{ target: 'payroll-db', group: 'x' }],
      policies: [{ id: 'auto', type: 'auto', rule: "department eq 'Sales' and" }],
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details).toEqual([
      { path: 'resources.0.target', message: 'no target "payroll-db" with groups is configured (configured: ldap)' },
      { path: 'policies.0.rule', message: expect.stringMatching(/at position 26$/) },
    ]);
    const references = await env.request('POST', '/v1/access-packages', { ...tools, id: 'orphan', catalog: 'nowhere', incompatibleWith: ['ci-tools', 'no-such-package'] });
    expect(references.body.error.details).toEqual([
      { path: 'catalog', message: 'no catalog "nowhere"; create it with POST /v1/catalogs' },
      { path: 'incompatibleWith.1', message: 'no access package "no-such-package"' },
    ]);
    const guests = await env.request('POST', '/v1/access-packages', { ...tools, id: 'for-partners', policies: [{ id: 'ask', type: 'request', guests: { type: 'organisations', organisations: ['nobody-connected'] }, stages: [{ approvers: [{ type: 'sponsors' }] }] }] });
    expect(guests.body.error.details).toEqual([{ path: 'policies.0.guests.organisations.0', message: 'no connected organisation "nobody-connected"; create it with POST /v1/connected-organisations' }]);
    expect((await env.request('PUT', '/v1/access-packages/ci-tools', { ...tools, id: 'other' })).body.error.details).toEqual([{ path: 'id', message: 'must be ci-tools, the id in the path' }]);
    expect((await env.request('PUT', '/v1/access-packages/nothing', { ...tools, id: 'nothing' })).status).toBe(404);
    expect((await env.request('POST', '/v1/access-packages', 'not json')).status).toBe(400);
    expect((await env.request('GET', '/v1/access-packages/NotASlug')).body.error.details[0].path).toBe('id');
  });

  it('switches a package off and on, rolling the switch out only where automatic policies make it matter', async () => {
    const off = await env.request('POST', '/v1/access-packages/ci-tools/disable');
    expect(off.status).toBe(200);
    expect(off.body).toEqual({ id: 'ci-tools', version: 2, outcome: 'unchanged', rollout: null });
    expect((await env.request('GET', '/v1/access-packages/ci-tools')).body.enabled).toBe(false);
    await env.request('POST', '/v1/access-packages/ci-tools/enable');
    expect((await env.request('GET', '/v1/access-packages/ci-tools')).body.enabled).toBe(true);
    expect((await env.request('POST', '/v1/access-packages/nothing/enable')).status).toBe(404);

    const auto = { ...tools, id: 'ci-auto', policies: [{ id: 'eng', type: 'auto', rule: "department eq 'Engineering'" }] };
    expect((await env.request('POST', '/v1/access-packages', { ...auto, enabled: false })).body.rollout).toBeNull();
    const on = await env.request('POST', '/v1/access-packages/ci-auto/enable');
    expect(on.body.rollout).toMatchObject({ reason: 'enabled', version: 1, workflowId: `access-rollout:${env.taskQueue}:ci-auto:v1` });
    expect((await env.request('POST', '/v1/access-packages/ci-auto/disable')).body.rollout).toMatchObject({ reason: 'disabled', version: 1 });
    const rollouts = (await env.request('GET', '/v1/access-packages/ci-auto/rollouts')).body.items;
    expect(rollouts.map((r: { reason: string }) => r.reason)).toEqual(['disabled', 'enabled']);
  });

  it('documents every route in the OpenAPI document', async () => {
    const doc = (await env.request('GET', '/openapi.json')).body;
    for (const path of ['/v1/catalogs', '/v1/catalogs/{id}', '/v1/access-packages', '/v1/access-packages/{id}', '/v1/access-packages/{id}/versions', '/v1/access-packages/{id}/enable', '/v1/access-packages/{id}/disable', '/v1/access-packages/{id}/conflicts', '/v1/access-packages/{id}/rollouts']) {
      expect(doc.paths[path], path).toBeDefined();
    }
    expect(Object.keys(doc.paths['/v1/access-packages'].post.responses)).toEqual(expect.arrayContaining(['200', '201', '400', '409']));
  });
});

describe('dry run', () => {
  const department = `Dry-${randomBytes(3).toString('hex')}`;
  let engineer: string;
  let mover: string;
  let approver: string;

  beforeAll(async () => {
    await saveCatalog(env.db, { id: 'store', name: 'Store', owners: [] }, 'test');
    [engineer, mover, approver] = await Promise.all([hire({ department }), hire({ department: `${department}-Platform` }), hire({ department: `${department}-Finance` })]);
    await stored({ id: 'dry-repos', resources: [{ target: 'ldap', group: group('dry-repos') }, { target: 'ldap', group: group('dry-wiki') }], policies: [{ id: 'eng', type: 'auto', rule: `department eq '${department}'` }] });
    await grant(engineer, 'dry-repos', { source: 'auto', policyId: 'eng' });
    await stored({ id: 'dry-payments', resources: [{ target: 'ldap', group: group('dry-payments') }], policies: [{ id: 'ask', type: 'request' }] });
    await stored({ id: 'dry-approvals', resources: [{ target: 'ldap', group: group('dry-approvals') }], policies: [{ id: 'ask', type: 'request' }] });
    await grant(approver, 'dry-payments');
    await grant(approver, 'dry-approvals');
  });

  const definition = (rule: string, extra: Record<string, unknown> = {}) => ({ id: 'dry-repos', catalog: 'store', name: 'Repos', resources: [{ target: 'ldap', group: group('dry-repos') }, { target: 'ldap', group: group('dry-wiki') }], policies: [{ id: 'eng', type: 'auto', rule }], ...extra });
  const person = (body: any, id: string) => body.people.find((p: { employeeId: string }) => p.employeeId === id);

  it('answers who would lose and who would gain a changed rule, with the groups per target, and saves nothing', async () => {
    const res = await env.request('PUT', `/v1/access-packages/dry-repos?dryRun=true`, definition(`department eq '${department}-Platform'`, { resources: [{ target: 'ldap', group: group('dry-repos') }] }));
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ dryRun: true, packageId: 'dry-repos', unlisted: 0 });
    expect(person(res.body, engineer)).toMatchObject({ department, state: 'active', gains: [], losses: [{ packageId: 'dry-repos', reason: 'no-longer-matches' }], groups: { gained: [], lost: [{ target: 'ldap', group: group('dry-repos') }, { target: 'ldap', group: group('dry-wiki') }] } });
    expect(person(res.body, mover)).toMatchObject({ gains: ['dry-repos'], losses: [], groups: { gained: [{ target: 'ldap', group: group('dry-repos') }], lost: [] } });
    expect(person(res.body, approver)).toBeUndefined();
    expect(res.body.summary.people).toBeGreaterThanOrEqual(3);
    expect(res.body.summary.losing).toBeGreaterThanOrEqual(1);
    expect((await findPackage(env.db, 'dry-repos'))?.version).toBe(1);
    expect(await listPackageVersions(env.db, 'dry-repos')).toHaveLength(1);
  });

  it('tells when a grace period keeps the package', async () => {
    const res = await env.request('PUT', `/v1/access-packages/dry-repos?dryRun=true`, { ...definition(`department eq 'Nobody'`), policies: [{ id: 'eng', type: 'auto', rule: "department eq 'Nobody'", gracePeriod: 'P7D' }] });
    const loss = person(res.body, engineer).losses[0];
    expect(loss.reason).toBe('no-longer-matches');
    expect(Date.parse(loss.until) - Date.now()).toBeGreaterThan(6.9 * 86_400_000);
    expect(person(res.body, engineer).groups.lost).toEqual([]);
  });

  it('reports the conflicts a new incompatibility would create over access already held, naming the other package', async () => {
    const res = await env.request('PUT', '/v1/access-packages/dry-payments?dryRun=true', { id: 'dry-payments', catalog: 'store', name: 'Payments', resources: [{ target: 'ldap', group: group('dry-payments') }], policies: [{ id: 'ask', type: 'request' }], incompatibleWith: ['dry-approvals'] });
    expect(person(res.body, approver)).toMatchObject({ gains: [], losses: [], conflicts: [{ packageId: 'dry-payments', with: { packageId: 'dry-approvals' }, reason: 'dry-approvals is incompatible with dry-payments, which the person holds' }] });
    expect(res.body.summary.conflicting).toBe(1);
  });

  it('answers for a new package, and which automatic assignment would be held by a conflict', async () => {
    const res = await env.request('POST', '/v1/access-packages?dryRun=true', { id: 'dry-finance-auto', catalog: 'store', name: 'Finance auto', resources: [{ target: 'ldap', group: group('dry-finance') }], policies: [{ id: 'fin', type: 'auto', rule: `department sw '${department}'` }], incompatibleWith: ['dry-approvals'] });
    expect(res.status).toBe(200);
    expect(person(res.body, approver)).toMatchObject({ gains: [], holds: [{ packageId: 'dry-finance-auto', policyId: 'fin', with: [{ packageId: 'dry-approvals' }], conflict: 'dry-finance-auto is incompatible with dry-approvals, which the person holds' }] });
    expect(person(res.body, engineer).gains).toEqual(['dry-finance-auto']);
    expect(person(res.body, mover).gains).toEqual(['dry-finance-auto']);
    expect((await env.request('GET', '/v1/access-packages/dry-finance-auto')).status).toBe(404);
  });

  it('shows what switching a package off would do before it is switched', async () => {
    const res = await env.request('POST', '/v1/access-packages/dry-repos/disable?dryRun=true');
    expect(person(res.body, engineer).losses).toEqual([{ packageId: 'dry-repos', reason: 'no-longer-matches' }]);
    expect((await findPackage(env.db, 'dry-repos'))?.enabled).toBe(true);
  });

  it('lists at most ?limit people and says how many more', async () => {
    const res = await env.request('POST', '/v1/access-packages?dryRun=true&limit=1', { id: 'dry-everyone', catalog: 'store', name: 'Everyone', resources: [{ target: 'ldap', group: group('dry-all') }], policies: [{ id: 'all', type: 'auto', rule: `department sw '${department}'` }] });
    expect(res.body.people).toHaveLength(1);
    expect(res.body.unlisted).toBe(2);
    expect(res.body.summary.gaining).toBe(3);
  });
});

describe('conflicts already present', () => {
  it('lists people who hold the package with an incompatible one (declared on either side) or group, a page at a time', async () => {
    await saveCatalog(env.db, { id: 'store', name: 'Store', owners: [] }, 'test');
    await stored({ id: 'c-approvals', resources: [{ target: 'ldap', group: group('c-approvals') }], policies: [{ id: 'ask', type: 'request' }] });
    await stored({ id: 'c-payments', resources: [{ target: 'ldap', group: group('c-payments') }], policies: [{ id: 'ask', type: 'request' }] });
    await stored({ id: 'c-audit', resources: [{ target: 'ldap', group: group('c-audit') }], policies: [{ id: 'ask', type: 'request' }], incompatibleGroups: [{ target: 'ldap', group: group('c-payments') }] });
    // Hired through the API so their identity rows are real.
    const people = await Promise.all([hire(), hire(), hire(), hire()]);
    const [p1, p2, p3, p4] = people.sort();
    await grant(p1!, 'c-payments');
    await grant(p1!, 'c-approvals');
    await grant(p2!, 'c-payments');
    await grant(p3!, 'c-payments');
    await grant(p3!, 'c-audit');
    await grant(p4!, 'c-payments');
    await grant(p4!, 'c-approvals');
    // Declared after the fact: p1 and p4 already hold both.
    await stored({ id: 'c-payments', resources: [{ target: 'ldap', group: group('c-payments') }], policies: [{ id: 'ask', type: 'request' }], incompatibleWith: ['c-approvals'] });

    const res = await env.request('GET', '/v1/access-packages/c-payments/conflicts');
    expect(res.status).toBe(200);
    expect(res.body.next).toBeNull();
    expect(res.body.items.map((p: { employeeId: string; conflicts: unknown[] }) => [p.employeeId, p.conflicts])).toEqual([
      [p1, [{ packageId: 'c-payments', with: { packageId: 'c-approvals' }, reason: 'c-approvals is incompatible with c-payments, which the person holds' }]],
      [p3, [{ packageId: 'c-payments', with: { packageId: 'c-audit' }, reason: `c-audit is incompatible with ${group('c-payments')} on ldap, which the person holds` }]],
      [p4, [{ packageId: 'c-payments', with: { packageId: 'c-approvals' }, reason: 'c-approvals is incompatible with c-payments, which the person holds' }]],
    ]);
    const fromTheOtherSide = await env.request('GET', '/v1/access-packages/c-approvals/conflicts');
    expect(fromTheOtherSide.body.items.map((p: { employeeId: string }) => p.employeeId)).toEqual([p1, p4]);
    const firstPage = await env.request('GET', '/v1/access-packages/c-payments/conflicts?limit=1');
    expect(firstPage.body.items.map((p: { employeeId: string }) => p.employeeId)).toEqual([p1]);
    const nextPage = await env.request('GET', `/v1/access-packages/c-payments/conflicts?limit=2&after=${firstPage.body.next}`);
    expect(nextPage.body.items.map((p: { employeeId: string }) => p.employeeId)).toEqual([p3, p4]);
    expect((await env.request('GET', '/v1/access-packages/c-nothing/conflicts')).status).toBe(404);
  });
});

describe('rollouts', () => {
  it('signals everyone already known when an automatic rule changes, and shows the progress reach the total', async () => {
    const people = await Promise.all([hire(), hire(), hire()]);
    const before = await Promise.all(people.map(signalsOf));
    const definition = { id: 'roll-repos', catalog: 'engineering', name: 'Repos', resources: [{ target: 'ldap', group: group('roll-repos') }], policies: [{ id: 'eng', type: 'auto', rule: "department eq 'Engineering'" }] };
    const created = await env.request('POST', '/v1/access-packages', definition);
    expect(created.body.rollout).toMatchObject({ version: 1, reason: 'created with automatic assignment', workflowId: `access-rollout:${env.taskQueue}:roll-repos:v1`, perSecond: 200 });
    const changed = await env.request('PUT', '/v1/access-packages/roll-repos', { ...definition, policies: [{ id: 'eng', type: 'auto', rule: "department eq 'Engineering' and employeeType eq 'employee'" }] });
    expect(changed.body).toMatchObject({ version: 2, outcome: 'new-version', rollout: { version: 2, reason: 'automatic assignment changed', workflowId: `access-rollout:${env.taskQueue}:roll-repos:v2` } });

    const done = await waitFor(async () => {
      const { body } = await env.request('GET', '/v1/access-packages/roll-repos/rollouts');
      return body.items[0]?.status === 'completed' ? body.items : undefined;
    }, { timeoutMs: 30_000, what: 'the rollout to complete' });
    const known = (await env.request('GET', '/v1/identities?limit=500')).body.items.length;
    expect(done[0]).toMatchObject({ version: 2, status: 'completed', total: known, done: known, signalled: known });
    expect(done[0].finishedAt).not.toBeNull();
    // The first one either finished or was superseded by the second.
    expect(['completed', 'superseded']).toContain(done[1].status);
    const after = await Promise.all(people.map(signalsOf));
    after.forEach((count, i) => expect(count).toBeGreaterThan(before[i]!));

    const renamed = await env.request('PUT', '/v1/access-packages/roll-repos', { ...definition, name: 'Repositories', policies: [{ id: 'eng', type: 'auto', rule: "department eq 'Engineering' and employeeType eq 'employee'" }] });
    expect(renamed.body).toMatchObject({ version: 3, rollout: null });
    expect(await listRollouts(env.db, 'roll-repos')).toHaveLength(2);
    expect((await env.request('GET', '/v1/access-packages/nothing/rollouts')).status).toBe(404);
  });
});

describe('catalog files', () => {
  const examples = join(import.meta.dirname, '..', '..', 'examples', 'access-catalogs');
  const rolloutDeps = (): RolloutDeps => ({ db: env.db, client: env.client, taskQueue: env.taskQueue, perSecond: 200, log: { info() {}, warn() {}, error() {} } });

  it('loads the example catalogs, rolls out their automatic packages, and a second load changes nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tenure-catalogs-'));
    cpSync(examples, dir, { recursive: true });
    // finance and engineering (4 packages), partners (2, for guests and not automatic).
    expect(await loadAccessCatalogFiles(rolloutDeps(), dir, context)).toEqual({ catalogs: 3, packages: 6, rollouts: 3 });
    expect((await listCatalogs(env.db)).find((c) => c.id === 'finance')).toMatchObject({ source: 'file:finance.yaml', owners: ['E1000'] });
    expect(await findPackage(env.db, 'payments')).toMatchObject({ catalog: 'finance', version: 1, incompatibleWith: ['payment-approvals'] });
    expect(await loadAccessCatalogFiles(rolloutDeps(), dir, context)).toEqual({ catalogs: 0, packages: 0, rollouts: 0 });

    // A changed file is a new version; a changed rule is rolled out.
    const finance = join(dir, 'finance.yaml');
    writeFileSync(finance, readFileSync(finance, 'utf8').replace("jobTitle eq 'Controller'", "jobTitle in ('Controller', 'Finance Director')"));
    expect(await loadAccessCatalogFiles(rolloutDeps(), dir, context)).toEqual({ catalogs: 0, packages: 1, rollouts: 1 });
    expect(await findPackage(env.db, 'payment-approvals')).toMatchObject({ version: 2 });
    expect((await listRollouts(env.db, 'payment-approvals'))[0]).toMatchObject({ version: 2, reason: 'automatic assignment changed', requestedBy: 'tenure:files' });
  });

  it('saves nothing when one file is wrong, and names the file and path of every problem', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tenure-catalogs-'));
    writeFileSync(join(dir, 'a-good.yaml'), `catalog: { id: good, name: Good }\npackages:\n  - { id: good-one, name: Good, resources: [{ target: ldap, group: "${group('g')}" }], policies: [{ id: ask, type: request }] }\n`);
    writeFileSync(join(dir, 'b-bad.yaml'), `catalog: { id: bad, name: Bad }\npackages:\n  - { id: bad-one, name: Bad, resources: [{ target: sql, group: g }], policies: [{ id: ask, type: request }], incompatibleWith: [nothing] }\n`);
    const error = await loadAccessCatalogFiles(rolloutDeps(), dir, context).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CatalogFilesError);
    expect((error as CatalogFilesError).problems).toEqual(['b-bad.yaml: packages.0 (bad-one).resources.0.target: no target "sql" with groups is configured (configured: ldap)']);
    expect((await listCatalogs(env.db)).some((c) => c.id === 'good')).toBe(false);
  });
});
