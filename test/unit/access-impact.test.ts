import { describe, expect, it } from 'vitest';
import { conflictsWith, personImpact, ruleGroupsOf, summariseImpact, withCandidate, type AccessSubject } from '../../domain/access-impact';
import { validatePackage, type AccessPackageVersion } from '../../domain/access-packages';
import type { AssignmentFact } from '../../domain/access-planner';
import { compileTargets, targetSchema } from '../../domain/targets';

// The dry run's aggregation: the planner asked with the packages as they are and as they would
// be, person by person — gains, losses (with grace), holds, new conflicts and groups per target.

const context = { groupTargets: ['ldap', 'ad'], extensions: [] };

function pkg({ version: _version, ...input }: Record<string, unknown>, version = 1): AccessPackageVersion {
  const result = validatePackage({ catalog: 'main', name: String(input.id), resources: [{ target: 'ldap', group: `cn=${String(input.id)}` }], policies: [{ id: 'ask', type: 'request' }], ...input }, context);
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return { ...result.accessPackage, version };
}

const now = Date.parse('2026-12-02T12:00:00Z');
const day = 86_400_000;
const assignment = (a: Partial<AssignmentFact> & Pick<AssignmentFact, 'id' | 'packageId' | 'source'>): AssignmentFact => ({ status: 'active', startsAt: now - 100 * day, remindersSent: [], ...a });
const person = (employeeId: string, attributes: Record<string, string>, rest: Partial<AccessSubject> = {}): AccessSubject => ({ employeeId, attributes, leaving: false, assignments: [], ruleGroups: [], ...rest });

const engTools = pkg({ id: 'eng-tools', resources: [{ target: 'ldap', group: 'cn=eng-tools' }, { target: 'ad', group: 'CN=Eng Tools' }], policies: [{ id: 'eng', type: 'auto', rule: "department eq 'Engineering'" }] });
const payments = pkg({ id: 'payments' });
const approvals = pkg({ id: 'payment-approvals' });

describe('personImpact', () => {
  it('reports a new automatic package as a gain, with its groups on every target, and leaves people it does not match alone', () => {
    const current: AccessPackageVersion[] = [];
    const candidate = withCandidate(current, engTools);
    expect(personImpact(person('E1', { department: 'Engineering' }), current, candidate, now)).toEqual({
      employeeId: 'E1',
      gains: ['eng-tools'],
      losses: [],
      holds: [],
      conflicts: [],
      groups: { gained: [{ target: 'ldap', group: 'cn=eng-tools' }, { target: 'ad', group: 'CN=Eng Tools' }], lost: [] },
    });
    expect(personImpact(person('E2', { department: 'Sales' }), current, candidate, now)).toBeUndefined();
  });

  it('reports a changed rule: a holder who no longer matches loses the package, one who now matches gains it', () => {
    const changed = pkg({ ...engTools, policies: [{ id: 'eng', type: 'auto', rule: "department eq 'Platform'" }] }, 2);
    const candidate = withCandidate([engTools], changed);
    const holder = person('E1', { department: 'Engineering' }, { assignments: [assignment({ id: 'a1', packageId: 'eng-tools', source: 'auto', policyId: 'eng' })] });
    expect(personImpact(holder, [engTools], candidate, now)).toMatchObject({ gains: [], losses: [{ packageId: 'eng-tools', reason: 'no-longer-matches' }], groups: { gained: [], lost: [{ target: 'ldap', group: 'cn=eng-tools' }, { target: 'ad', group: 'CN=Eng Tools' }] } });
    expect(personImpact(person('E2', { department: 'Platform' }), [engTools], candidate, now)).toMatchObject({ gains: ['eng-tools'], losses: [] });
  });

  it('tells when a grace period keeps the package, and loses no group yet', () => {
    const withGrace = pkg({ ...engTools, policies: [{ id: 'eng', type: 'auto', rule: "department eq 'Platform'", gracePeriod: 'P7D' }] }, 2);
    const holder = person('E1', { department: 'Engineering' }, { assignments: [assignment({ id: 'a1', packageId: 'eng-tools', source: 'auto', policyId: 'eng' })] });
    expect(personImpact(holder, [engTools], withCandidate([engTools], withGrace), now)).toEqual({
      employeeId: 'E1',
      gains: [],
      losses: [{ packageId: 'eng-tools', reason: 'no-longer-matches', until: now + 7 * day }],
      holds: [],
      conflicts: [],
      groups: { gained: [], lost: [] },
    });
  });

  it('does not count a group a target rule keeps as lost', () => {
    const holder = person('E1', { department: 'Engineering' }, { assignments: [assignment({ id: 'a1', packageId: 'eng-tools', source: 'auto', policyId: 'eng' })], ruleGroups: [{ target: 'ldap', group: 'CN=ENG-TOOLS' }] });
    const impact = personImpact(holder, [engTools], withCandidate([engTools], { ...engTools, enabled: false }), now);
    expect(impact?.losses).toEqual([{ packageId: 'eng-tools', reason: 'no-longer-matches' }]);
    expect(impact?.groups).toEqual({ gained: [], lost: [{ target: 'ad', group: 'CN=Eng Tools' }] });
  });

  it('reports a new resource as a gained group for everyone who holds the package, however they got it', () => {
    const more = pkg({ ...payments, resources: [...payments.resources, { target: 'ad', group: 'CN=Payments' }] }, 2);
    const holder = person('E1', {}, { assignments: [assignment({ id: 'a1', packageId: 'payments', source: 'request' })] });
    expect(personImpact(holder, [payments], withCandidate([payments], more), now)).toMatchObject({ gains: [], losses: [], groups: { gained: [{ target: 'ad', group: 'CN=Payments' }], lost: [] } });
  });

  it('reports a new incompatibility over access people already hold as a conflict naming the other package', () => {
    const declared = pkg({ ...payments, incompatibleWith: ['payment-approvals'] }, 2);
    const both = person('E1', {}, { assignments: [assignment({ id: 'a1', packageId: 'payments', source: 'request' }), assignment({ id: 'a2', packageId: 'payment-approvals', source: 'admin' })] });
    const impact = personImpact(both, [approvals, payments], withCandidate([approvals, payments], declared), now);
    expect(impact?.conflicts).toEqual([{ packageId: 'payment-approvals', with: { packageId: 'payments' }, reason: 'payment-approvals is incompatible with payments, which the person holds' }]);
    expect(impact).toMatchObject({ gains: [], losses: [], holds: [] });
    expect(personImpact(both, [approvals, payments], withCandidate([approvals, payments], declared), now, 'payments')?.conflicts).toEqual([{ packageId: 'payments', with: { packageId: 'payment-approvals' }, reason: 'payment-approvals is incompatible with payments, which the person holds' }]);
    // Declared already: the conflict is not news.
    expect(personImpact(both, withCandidate([approvals], declared), withCandidate([approvals], { ...declared, name: 'Payments (renamed)' }), now)).toBeUndefined();
  });

  it('reports an incompatible group a target rule gives as a conflict with that group', () => {
    const audit = pkg({ id: 'audit', incompatibleGroups: [{ target: 'ldap', group: 'cn=finance' }] }, 2);
    const holder = person('E1', {}, { assignments: [assignment({ id: 'a1', packageId: 'audit', source: 'admin' })], ruleGroups: [{ target: 'ldap', group: 'cn=finance' }] });
    expect(personImpact(holder, [pkg({ id: 'audit' })], [audit], now)?.conflicts).toEqual([{ packageId: 'audit', with: { target: 'ldap', group: 'cn=finance' }, reason: 'audit is incompatible with cn=finance on ldap, which the person holds' }]);
  });

  it('reports an automatic assignment that would be held by a conflict, with the package it conflicts with', () => {
    const autoApprovals = pkg({ id: 'payment-approvals', policies: [{ id: 'finance', type: 'auto', rule: "department eq 'Finance'" }], incompatibleWith: ['payments'] }, 2);
    const requester = person('E1', { department: 'Finance' }, { assignments: [assignment({ id: 'a1', packageId: 'payments', source: 'request' })] });
    const impact = personImpact(requester, [approvals, payments], withCandidate([approvals, payments], autoApprovals), now);
    expect(impact).toMatchObject({ gains: [], holds: [{ packageId: 'payment-approvals', policyId: 'finance', conflict: 'payment-approvals is incompatible with payments, which the person holds', with: [{ packageId: 'payments' }] }], conflicts: [] });
    expect(personImpact(person('E2', { department: 'Finance' }), [approvals, payments], withCandidate([approvals, payments], autoApprovals), now)).toMatchObject({ gains: ['payment-approvals'], holds: [] });
  });

  it('reports a held assignment whose conflict the change removes as a gain', () => {
    const declared = pkg({ id: 'payment-approvals', policies: [{ id: 'finance', type: 'auto', rule: "department eq 'Finance'" }], incompatibleWith: ['payments'] });
    const held = person('E1', { department: 'Finance' }, { assignments: [assignment({ id: 'a1', packageId: 'payments', source: 'request' }), assignment({ id: 'h', packageId: 'payment-approvals', source: 'auto', policyId: 'finance', status: 'held' })] });
    expect(personImpact(held, [declared, payments], withCandidate([declared, payments], { ...declared, incompatibleWith: [], version: 2 }), now)).toMatchObject({ gains: ['payment-approvals'], holds: [], losses: [] });
  });

  it('changes nothing for a leaver: they lose everything either way', () => {
    const leaver = person('E1', { department: 'Engineering' }, { leaving: true, assignments: [assignment({ id: 'a1', packageId: 'eng-tools', source: 'auto', policyId: 'eng' })] });
    expect(personImpact(leaver, [engTools], withCandidate([engTools], { ...engTools, enabled: false }), now)).toBeUndefined();
  });
});

describe('summariseImpact', () => {
  it('counts everyone evaluated and the people in each kind of change', () => {
    const candidate = withCandidate([payments], pkg({ ...engTools, incompatibleWith: ['payments'] }));
    const people = [
      person('E1', { department: 'Engineering' }),
      person('E2', { department: 'Engineering' }, { assignments: [assignment({ id: 'p', packageId: 'payments', source: 'request' })] }),
      person('E3', { department: 'Sales' }),
    ];
    const impacts = people.map((p) => personImpact(p, [payments], candidate, now)).filter((i) => i !== undefined);
    expect(impacts.map((i) => i.employeeId)).toEqual(['E1', 'E2']);
    expect(summariseImpact(people.length, impacts)).toEqual({ people: 3, gaining: 1, losing: 0, held: 1, conflicting: 0 });
  });
});

describe('conflictsWith', () => {
  it('lists a package’s conflicts from its own side, whichever package declared them', () => {
    const declared = pkg({ id: 'payments', incompatibleWith: ['payment-approvals'] });
    expect(conflictsWith('payment-approvals', [declared, approvals, engTools], [])).toEqual([{ packageId: 'payment-approvals', with: { packageId: 'payments' }, reason: 'payments is incompatible with payment-approvals, which the person holds' }]);
    expect(conflictsWith('eng-tools', [declared, approvals, engTools], [])).toEqual([]);
  });
});

describe('ruleGroupsOf', () => {
  it('names the groups each target’s rules give the person, by target', () => {
    const { targets, problems } = compileTargets([
      targetSchema.parse({ type: 'ldap', name: 'ldap', url: 'ldap://x', bindDn: 'cn=a', bindPassword: '', baseDn: 'dc=x', peopleDn: 'ou=p,dc=x', mappings: [{ target: 'uid', source: 'username' }], groups: [{ group: 'cn=all' }, { group: 'cn=sales', scope: "department eq 'Sales'" }] }),
    ]);
    expect(problems).toEqual([]);
    expect(ruleGroupsOf(targets, { department: 'Engineering' })).toEqual([{ target: 'ldap', group: 'cn=all' }]);
    expect(ruleGroupsOf(targets, { department: 'Sales' })).toEqual([{ target: 'ldap', group: 'cn=all' }, { target: 'ldap', group: 'cn=sales' }]);
  });
});
