import { describe, expect, it } from 'vitest';
import { validatePackage } from '../../domain/access-packages';
import { resolveApprovers } from '../../domain/access-requests';
import { admitsGuest, checkOrganisationFile, proposedOrganisation, validateOrganisation } from '../../domain/connected-organisations';

const contoso = { id: 'contoso', state: 'configured' as const };
const proposed = { id: 'proposed-new-example', state: 'proposed' as const };

describe('validateOrganisation', () => {
  it('fills the defaults and lowercases domains', () => {
    expect(validateOrganisation({ id: 'contoso', name: 'Contoso', domains: ['Contoso.COM'] })).toEqual({ ok: true, organisation: { id: 'contoso', name: 'Contoso', domains: ['contoso.com'], sponsors: [], state: 'configured' } });
  });

  it('names every offending field', () => {
    const result = validateOrganisation({ id: 'Contoso!', name: '', domains: ['not a domain', 'contoso.com', 'contoso.com'], sponsors: ['E 1'], state: 'maybe', extra: 1 });
    expect(result.ok).toBe(false);
    const paths = result.ok ? [] : result.errors.map((e) => e.path);
    expect(paths).toEqual(expect.arrayContaining(['id', 'name', 'domains.0', 'sponsors.0', 'state', 'extra']));
    const twice = validateOrganisation({ id: 'c', name: 'C', domains: ['c.com', 'C.com'] });
    expect(twice.ok ? [] : twice.errors).toEqual([{ path: 'domains.1', message: '"c.com" is listed twice' }]);
  });
});

describe('checkOrganisationFile', () => {
  it('reports each problem by path, and a domain claimed twice', () => {
    const result = checkOrganisationFile('organisations:\n  - { id: a, name: A, domains: [a.com] }\n  - { id: b, name: B, domains: [b.com, a.com] }\n  - { id: a, name: A2, domains: [x] }\n');
    expect(result.ok ? [] : result.problems).toEqual(['organisations.1.domains.1: "a.com" already belongs to a', 'organisations.2.domains.0: expected a mail domain like contoso.com']);
    expect(checkOrganisationFile('organisations: [{ id: a, name: A, domains: [a.com] }, { id: a, name: B, domains: [b.com] }]')).toEqual({ ok: false, problems: ['organisations.1.id: "a" is also organisations.0'] });
    expect(checkOrganisationFile('organisations: [')).toMatchObject({ ok: false });
    expect(checkOrganisationFile('orgs: []')).toEqual({ ok: false, problems: expect.arrayContaining(['orgs: unknown field', expect.stringMatching(/^organisations: /)]) });
  });
});

describe('admitsGuest', () => {
  it('admits nobody by default, listed organisations, configured ones only, or anyone', () => {
    expect(admitsGuest(undefined, contoso)).toBe(false);
    expect(admitsGuest({ type: 'none' }, contoso)).toBe(false);
    expect(admitsGuest({ type: 'organisations', organisations: ['contoso'] }, contoso)).toBe(true);
    expect(admitsGuest({ type: 'organisations', organisations: ['fabrikam'] }, contoso)).toBe(false);
    expect(admitsGuest({ type: 'configured' }, contoso)).toBe(true);
    expect(admitsGuest({ type: 'configured' }, proposed)).toBe(false);
    expect(admitsGuest({ type: 'configured' }, undefined)).toBe(false);
    expect(admitsGuest({ type: 'anyone' }, undefined)).toBe(true);
  });

  it('proposes an organisation named after an unknown domain, without sponsors', () => {
    expect(proposedOrganisation('new.example')).toEqual({ id: 'proposed-new-example', name: 'new.example', domains: ['new.example'], sponsors: [], state: 'proposed' });
  });
});

describe('request policies for guests', () => {
  const base = { id: 'p', catalog: 'c', name: 'P', resources: [{ target: 'ldap', group: 'cn=p' }] };
  const context = { groupTargets: ['ldap'], extensions: [] };

  it('admit no guests unless they say so, and take sponsors as approvers', () => {
    const plain = validatePackage({ ...base, policies: [{ id: 'r', type: 'request' }] }, context);
    expect(plain.ok && plain.accessPackage.policies[0]).toMatchObject({ guests: { type: 'none' } });
    const open = validatePackage({ ...base, policies: [{ id: 'r', type: 'request', guests: { type: 'organisations', organisations: ['contoso'] }, stages: [{ approvers: [{ type: 'sponsors' }] }] }] }, context);
    expect(open.ok).toBe(true);
    const bad = validatePackage({ ...base, policies: [{ id: 'r', type: 'request', guests: { type: 'organisations', organisations: [] } }] }, context);
    expect(bad.ok ? [] : bad.errors.map((e) => e.path)).toEqual(['policies.0.guests.organisations']);
  });

  it('resolve sponsors who are still here, never the guest', () => {
    const people: Record<string, boolean> = { E1: true, E2: false };
    const context = { beneficiary: { employeeId: 'g-0123456789abcdef', active: true }, person: (id: string) => (id in people ? { employeeId: id, active: people[id]! } : undefined), catalogOwners: [], matching: () => [], sponsors: ['E1', 'E2', 'E3'] };
    expect(resolveApprovers([{ type: 'sponsors' }], context, ['g-0123456789abcdef'])).toEqual(['E1']);
    expect(resolveApprovers([{ type: 'sponsors' }], { ...context, sponsors: undefined }, [])).toEqual([]);
  });
});
