import { describe, expect, it } from 'vitest';
import { validatePackage, type AccessPackageVersion } from '../../domain/access-packages';
import { conflictFor, grantedGroups, planAccess, type AssignmentFact } from '../../domain/access-planner';

const context = { groupTargets: ['ldap', 'ad'], extensions: [] };

function pkg(input: Record<string, unknown>): AccessPackageVersion {
  const result = validatePackage({ catalog: 'main', name: String(input.id), resources: [{ target: 'ldap', group: `cn=${String(input.id)}` }], policies: [{ id: 'ask', type: 'request' }], ...input }, context);
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return { ...result.accessPackage, version: 1 };
}

const sales = pkg({ id: 'sales-tools', policies: [{ id: 'sales', type: 'auto', rule: "department eq 'Sales'" }] });
const eng = pkg({ id: 'eng-tools', policies: [{ id: 'eng', type: 'auto', rule: "department eq 'Engineering'", gracePeriod: 'P7D' }] });
const payments = pkg({ id: 'payments', incompatibleWith: ['payment-approvals'] });
const approvals = pkg({ id: 'payment-approvals' });

const now = Date.parse('2026-12-02T12:00:00Z');
const day = 86_400_000;
const assignment = (a: Partial<AssignmentFact> & Pick<AssignmentFact, 'id' | 'packageId' | 'source'>): AssignmentFact => ({ status: 'active', startsAt: now - 100 * day, remindersSent: [], ...a });

describe('automatic assignment', () => {
  it('grants the packages whose rule the person matches', () => {
    const plan = planAccess({ attributes: { department: 'Sales' }, leaving: false, packages: [sales, eng], assignments: [], now });
    expect(plan.grant).toEqual([{ packageId: 'sales-tools', policyId: 'sales' }]);
    expect(plan.end).toEqual([]);
  });

  it('moves a mover from the old job’s package to the new one’s', () => {
    const plan = planAccess({ attributes: { department: 'Sales' }, leaving: false, packages: [sales, pkg({ id: 'support', policies: [{ id: 'support', type: 'auto', rule: "department eq 'Support'" }] })], assignments: [assignment({ id: 'a1', packageId: 'support', source: 'auto', policyId: 'support' })], now });
    expect(plan.grant).toEqual([{ packageId: 'sales-tools', policyId: 'sales' }]);
    expect(plan.end).toEqual([{ assignmentId: 'a1', reason: 'no-longer-matches' }]);
  });

  it('keeps the old package for its grace period, then ends it; matching again in between keeps it', () => {
    const active = assignment({ id: 'a1', packageId: 'eng-tools', source: 'auto', policyId: 'eng' });
    const moved = planAccess({ attributes: { department: 'Sales' }, leaving: false, packages: [eng], assignments: [active], now });
    expect(moved.startGrace).toEqual([{ assignmentId: 'a1', until: now + 7 * day }]);
    expect(moved.nextAt).toBe(now + 7 * day);
    const grace = { ...active, status: 'grace' as const, graceUntil: now + 7 * day };
    expect(planAccess({ attributes: { department: 'Sales' }, leaving: false, packages: [eng], assignments: [grace], now: now + day }).end).toEqual([]);
    expect(planAccess({ attributes: { department: 'Sales' }, leaving: false, packages: [eng], assignments: [grace], now: now + 7 * day }).end).toEqual([{ assignmentId: 'a1', reason: 'no-longer-matches' }]);
    expect(planAccess({ attributes: { department: 'Engineering' }, leaving: false, packages: [eng], assignments: [grace], now: now + day }).resume).toEqual([{ assignmentId: 'a1' }]);
  });

  it('ends everything for a leaver, grace or not', () => {
    const plan = planAccess({ attributes: { department: 'Engineering' }, leaving: true, packages: [eng], assignments: [assignment({ id: 'a1', packageId: 'eng-tools', source: 'auto', policyId: 'eng' }), assignment({ id: 'a2', packageId: 'payments', source: 'request' })], now });
    expect(plan.end).toEqual([
      { assignmentId: 'a1', reason: 'left' },
      { assignmentId: 'a2', reason: 'left' },
    ]);
    expect(plan.grant).toEqual([]);
  });

  it('holds an automatic assignment that would conflict, and releases it when the conflict is gone', () => {
    const autoApprovals = pkg({ id: 'payment-approvals', policies: [{ id: 'finance', type: 'auto', rule: "department eq 'Finance'" }] });
    const holding = [assignment({ id: 'p', packageId: 'payments', source: 'request' })];
    const plan = planAccess({ attributes: { department: 'Finance' }, leaving: false, packages: [payments, autoApprovals], assignments: holding, now });
    expect(plan.grant).toEqual([]);
    expect(plan.hold).toEqual([{ packageId: 'payment-approvals', policyId: 'finance', conflict: 'payment-approvals is incompatible with payments, which the person holds' }]);
    const held = assignment({ id: 'h', packageId: 'payment-approvals', source: 'auto', policyId: 'finance', status: 'held' });
    expect(planAccess({ attributes: { department: 'Finance' }, leaving: false, packages: [payments, autoApprovals], assignments: [held], now }).release).toEqual([{ assignmentId: 'h' }]);
  });

  it('ends an automatic assignment whose policy was removed', () => {
    const plan = planAccess({ attributes: {}, leaving: false, packages: [payments], assignments: [assignment({ id: 'a', packageId: 'payments', source: 'auto', policyId: 'gone' })], now });
    expect(plan.end).toEqual([{ assignmentId: 'a', reason: 'policy-removed' }]);
  });

  it('grants nothing from a disabled package', () => {
    expect(planAccess({ attributes: { department: 'Sales' }, leaving: false, packages: [{ ...sales, enabled: false }], assignments: [], now }).grant).toEqual([]);
  });
});

describe('expiry and reminders', () => {
  it('ends an assignment at its end, not before', () => {
    const a = assignment({ id: 'a', packageId: 'payments', source: 'request', endsAt: now + 1000, remindersSent: ['P14D', 'P1D'] });
    expect(planAccess({ attributes: {}, leaving: false, packages: [payments], assignments: [a], now }).end).toEqual([]);
    expect(planAccess({ attributes: {}, leaving: false, packages: [payments], assignments: [a], now }).nextAt).toBe(now + 1000);
    expect(planAccess({ attributes: {}, leaving: false, packages: [payments], assignments: [a], now: now + 1000 }).end).toEqual([{ assignmentId: 'a', reason: 'expired' }]);
  });

  it('reminds 14 days and 1 day before the end, once each, and wakes for the next one', () => {
    const a = assignment({ id: 'a', packageId: 'payments', source: 'request', endsAt: now + 20 * day });
    expect(planAccess({ attributes: {}, leaving: false, packages: [payments], assignments: [a], now }).nextAt).toBe(now + 6 * day);
    const at14 = planAccess({ attributes: {}, leaving: false, packages: [payments], assignments: [a], now: now + 6 * day });
    expect(at14.remind).toEqual([{ assignmentId: 'a', before: 'P14D', endsAt: now + 20 * day }]);
    const sent = { ...a, remindersSent: ['P14D'] };
    expect(planAccess({ attributes: {}, leaving: false, packages: [payments], assignments: [sent], now: now + 6 * day }).nextAt).toBe(now + 19 * day);
    expect(planAccess({ attributes: {}, leaving: false, packages: [payments], assignments: [sent], now: now + 19 * day }).remind).toEqual([{ assignmentId: 'a', before: 'P1D', endsAt: now + 20 * day }]);
  });

  it('sends no 14-day reminder for access that lasts less than 14 days', () => {
    const a = assignment({ id: 'a', packageId: 'payments', source: 'request', startsAt: now, endsAt: now + 5 * day });
    expect(planAccess({ attributes: {}, leaving: false, packages: [payments], assignments: [a], now }).remind).toEqual([]);
    expect(planAccess({ attributes: {}, leaving: false, packages: [payments], assignments: [a], now: now + 4 * day }).remind.map((r) => r.before)).toEqual(['P1D']);
  });
});

describe('separation of duties', () => {
  it('finds a declared incompatibility in either direction', () => {
    expect(conflictFor(approvals, { packages: [payments], groups: [] })).toContain('payments');
    expect(conflictFor(payments, { packages: [approvals], groups: [] })).toContain('payment-approvals');
    expect(conflictFor(payments, { packages: [sales], groups: [] })).toBeUndefined();
  });

  it('finds an incompatible group the person holds by a target rule, whatever its letter case', () => {
    const audit = pkg({ id: 'audit', incompatibleGroups: [{ target: 'ldap', group: 'CN=Finance' }] });
    expect(conflictFor(audit, { packages: [], groups: [{ target: 'ldap', group: 'cn=finance' }] })).toBe('audit is incompatible with CN=Finance on ldap, which the person holds');
    expect(conflictFor(audit, { packages: [], groups: [{ target: 'ad', group: 'cn=finance' }] })).toBeUndefined();
  });
});

describe('grantedGroups', () => {
  it('lists each group once, from active and grace assignments but not held ones', () => {
    const both = pkg({ id: 'both', resources: [{ target: 'ldap', group: 'cn=eng-tools' }, { target: 'ad', group: 'CN=X' }] });
    const groups = grantedGroups([assignment({ id: '1', packageId: 'eng-tools', source: 'auto', status: 'grace' }), assignment({ id: '2', packageId: 'both', source: 'admin' }), assignment({ id: '3', packageId: 'payments', source: 'auto', status: 'held' })], [eng, both, payments]);
    expect(groups).toEqual([{ target: 'ldap', group: 'cn=eng-tools' }, { target: 'ad', group: 'CN=X' }]);
  });
});

describe('validatePackage', () => {
  it('names every problem by path', () => {
    const result = validatePackage(
      {
        id: 'x',
        catalog: 'main',
        name: 'X',
        resources: [{ target: 'nowhere', group: 'g' }],
        incompatibleWith: ['x'],
        policies: [
          { id: 'a', type: 'auto', rule: 'department eq' },
          { id: 'a', type: 'request', stages: [{ approvers: [{ type: 'manager' }], onDeadline: 'escalate' }] },
        ],
      },
      context,
    );
    expect(result.ok ? [] : result.errors.map((e) => e.path).sort()).toEqual(['incompatibleWith', 'policies.0.rule', 'policies.1.id', 'policies.1.stages.0.fallback', 'resources.0.target']);
  });

  it('refuses more than three approval stages and unknown fields', () => {
    const stage = { approvers: [{ type: 'manager' }] };
    const result = validatePackage({ id: 'x', catalog: 'main', name: 'X', resources: [{ target: 'ldap', group: 'g' }], policies: [{ id: 'r', type: 'request', stages: [stage, stage, stage, stage] }], colour: 'red' }, context);
    expect(result.ok ? [] : result.errors.map((e) => e.path).sort()).toEqual(['colour', 'policies.0.stages']);
  });
});
