import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { savePackage, saveCatalog, liveAssignments } from '../../db/queries/access';
import { validatePackage } from '../../domain/access-packages';
import { accessChangedSignal, identityWorkflowId } from '../../workflows/messages';
import { newEmployeeId, nextAsOf, workerRecord } from '../helpers/builders';
import { ldapAdmin, startTestEnvironment, waitFor, type TestEnvironment } from '../helpers/environment';

// Access packages granted by rule: a mover's packages follow their department within seconds,
// with a grace period where the policy has one; a leaver loses every assignment on the last day.
// The groups reach OpenLDAP through the same sync as the target's own rule groups.

let env: TestEnvironment;
const group = (cn: string) => `cn=${cn},ou=groups,${env.ldapBase}`;

beforeAll(async () => {
  env = await startTestEnvironment({ env: { TENURE_LEAVER_RETENTION: 'PT1H' } });
  for (const cn of ['sales-crm', 'eng-repos', 'eng-oncall', 'all-staff']) {
    await env.admin.add(group(cn), { objectClass: ['top', 'groupOfNames'], cn, member: 'cn=empty-membership-placeholder' });
  }
  await saveCatalog(env.db, { id: 'main', name: 'Main', owners: [] }, 'test');
  const packages = [
    { id: 'sales', name: 'Sales tools', resources: [{ target: 'ldap', group: group('sales-crm') }], policies: [{ id: 'sales', type: 'auto', rule: "department eq 'Sales'" }] },
    { id: 'engineering', name: 'Engineering', resources: [{ target: 'ldap', group: group('eng-repos') }], policies: [{ id: 'eng', type: 'auto', rule: "department eq 'Engineering'" }] },
    { id: 'oncall', name: 'On-call', resources: [{ target: 'ldap', group: group('eng-oncall') }], policies: [{ id: 'oncall', type: 'auto', rule: "jobTitle eq 'SRE'", gracePeriod: 'PT4S' }] },
  ];
  for (const p of packages) {
    const result = validatePackage({ catalog: 'main', ...p }, { groupTargets: ['ldap'], extensions: [] });
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    await savePackage(env.db, result.accessPackage, { source: 'test', actor: 'test' });
  }
});
afterAll(async () => {
  await env?.stop();
});

async function members(cn: string): Promise<string[]> {
  const admin = await ldapAdmin();
  const { searchEntries } = await admin.search(group(cn), { scope: 'base', attributes: ['member'] });
  await admin.unbind();
  return [searchEntries[0]?.member ?? []].flat().map(String);
}

const dnOf = async (id: string) => (await waitFor(async () => (await env.identity(id))?.accounts?.[0]?.id as string | undefined, { what: `${id}'s entry` }));

describe('automatic assignment', () => {
  it('gives a mover the new department’s package and takes the old one’s, in LDAP within seconds', async () => {
    const id = newEmployeeId();
    const record = workerRecord({ department: 'Sales' });
    await env.put(id, record);
    const dn = await dnOf(id);
    await waitFor(async () => (await members('sales-crm')).includes(dn), { what: 'the sales group' });
    expect(await members('eng-repos')).not.toContain(dn);

    const moved = Date.now();
    await env.put(id, { ...record, asOf: nextAsOf(), department: 'Engineering' });
    await waitFor(async () => (await members('eng-repos')).includes(dn) && !(await members('sales-crm')).includes(dn), { timeoutMs: 10_000, what: 'the groups following the move' });
    console.log(`mover's groups followed in ${Date.now() - moved} ms`);
    const live = await liveAssignments(env.db, id);
    expect(live.map((a) => [a.packageId, a.source, a.grantedBy])).toEqual([['engineering', 'auto', 'policy:eng']]);
    const kinds = (await env.events(id)).filter((e) => e.kind.startsWith('assignment.')).map((e) => e.kind);
    expect(kinds).toEqual(['assignment.granted', 'assignment.granted', 'assignment.ended']);
  });

  it('keeps the old package through its grace period, then takes it', async () => {
    const id = newEmployeeId();
    const record = workerRecord({ department: 'Engineering', jobTitle: 'SRE' });
    await env.put(id, record);
    const dn = await dnOf(id);
    await waitFor(async () => (await members('eng-oncall')).includes(dn), { what: 'the on-call group' });
    await env.put(id, { ...record, asOf: nextAsOf(), jobTitle: 'Engineer' });
    await waitFor(async () => (await liveAssignments(env.db, id)).some((a) => a.packageId === 'oncall' && a.status === 'grace'), { what: 'the grace period' });
    expect(await members('eng-oncall')).toContain(dn);
    await waitFor(async () => !(await members('eng-oncall')).includes(dn), { timeoutMs: 20_000, what: 'the on-call group removed after the grace period' });
    expect(await members('eng-repos')).toContain(dn);
  });

  it('takes every assignment from a leaver on the last day, grace or not', async () => {
    const id = newEmployeeId();
    const record = workerRecord({ department: 'Engineering', jobTitle: 'SRE' });
    await env.put(id, record);
    const dn = await dnOf(id);
    await waitFor(async () => (await members('eng-oncall')).includes(dn) && (await members('eng-repos')).includes(dn), { what: 'both groups' });
    await env.put(id, { ...record, asOf: nextAsOf(), leaveDate: new Date(Date.now() + 1500).toISOString() });
    await waitFor(async () => (await env.identity(id))?.state === 'terminated', { what: 'the leaver terminated' });
    await waitFor(async () => (await liveAssignments(env.db, id)).length === 0, { what: 'every assignment ended' });
    expect(await members('eng-oncall')).not.toContain(dn);
    expect(await members('eng-repos')).not.toContain(dn);
    expect((await env.events(id)).filter((e) => e.kind === 'assignment.ended').map((e) => e.details.reason)).toEqual(['left', 'left']);
  });

  it('holds an automatic assignment that would conflict, reports it, and does not apply it half-way', async () => {
    const treasury = validatePackage({ catalog: 'main', id: 'treasury', name: 'Treasury', resources: [{ target: 'ldap', group: group('sales-crm') }], incompatibleWith: ['audit'], policies: [{ id: 'direct', type: 'direct' }] }, { groupTargets: ['ldap'], extensions: [] });
    const audit = validatePackage({ catalog: 'main', id: 'audit', name: 'Audit', resources: [{ target: 'ldap', group: group('all-staff') }], policies: [{ id: 'auditors', type: 'auto', rule: "jobTitle eq 'Auditor'" }] }, { groupTargets: ['ldap'], extensions: [] });
    if (!treasury.ok || !audit.ok) throw new Error('invalid');
    await savePackage(env.db, treasury.accessPackage, { source: 'test', actor: 'test' });
    await savePackage(env.db, audit.accessPackage, { source: 'test', actor: 'test' });
    const id = newEmployeeId();
    const record = workerRecord({ department: 'Finance', jobTitle: 'Treasurer' });
    await env.put(id, record);
    const dn = await dnOf(id);
    expect((await env.request('POST', '/v1/access-assignments', { employeeId: id, packageId: 'treasury', reason: 'runs the treasury' })).status).toBe(201);
    await env.put(id, { ...record, asOf: nextAsOf(), jobTitle: 'Auditor' });
    const held = await waitFor(async () => (await env.identity(id))?.assignments.find((a: any) => a.packageId === 'audit' && a.status === 'held'), { what: 'the audit package held' });
    expect(held.heldReason).toBe('audit is incompatible with treasury, which the person holds');
    expect((await env.events(id)).some((e) => e.kind === 'assignment.held' && e.summary.includes('treasury'))).toBe(true);
    expect(await members('all-staff')).not.toContain(dn);
    // The conflict goes: the held assignment is granted.
    const treasuryAssignment = (await env.identity(id)).assignments.find((a: any) => a.packageId === 'treasury');
    expect((await env.request('POST', `/v1/access-assignments/${treasuryAssignment.id}/remove`, { reason: 'moved to audit' })).status).toBe(200);
    await waitFor(async () => (await members('all-staff')).includes(dn), { what: 'the audit group once the conflict is gone' });
  });

  it('applies a changed rule to a person already known once their workflow is told', async () => {
    const id = newEmployeeId();
    await env.put(id, workerRecord({ department: 'Support' }));
    const dn = await dnOf(id);
    const result = validatePackage({ catalog: 'main', id: 'support', name: 'Support', resources: [{ target: 'ldap', group: group('all-staff') }], policies: [{ id: 'support', type: 'auto', rule: "department eq 'Support'" }] }, { groupTargets: ['ldap'], extensions: [] });
    if (!result.ok) throw new Error('invalid');
    await savePackage(env.db, result.accessPackage, { source: 'test', actor: 'test' });
    await env.client.workflow.getHandle(identityWorkflowId(id)).signal(accessChangedSignal);
    await waitFor(async () => (await members('all-staff')).includes(dn), { timeoutMs: 10_000, what: 'the new rule applied' });
  });
});
