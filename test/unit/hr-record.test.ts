import { describe, expect, it } from 'vitest';
import { attributeChanges, watchedAttributes, type HrRecord } from '../../domain/hr-record';

const utc = (iso: string) => Date.parse(iso);

/** A resolved record: hired 2 March 2026 at 06:00 in Berlin. */
function record(overrides: Partial<HrRecord> = {}): HrRecord {
  return {
    employeeId: 'E1001',
    asOf: utc('2026-01-15T10:00:00Z'),
    givenName: 'Ada',
    familyName: 'Lovelace',
    displayName: 'Ada Lovelace',
    employeeType: 'employee',
    department: 'Sales',
    jobTitle: 'Account Executive',
    managerEmployeeId: 'E0042',
    location: 'Berlin',
    timeZone: 'Europe/Berlin',
    hireDate: '2026-03-02',
    hireAt: utc('2026-03-02T05:00:00Z'),
    ...overrides,
  };
}

/** Changes in attribute order, so assertions do not depend on the order they are listed in. */
const changes = (before: HrRecord, after: HrRecord) => [...attributeChanges(before, after)].sort((a, b) => a.attribute.localeCompare(b.attribute));

describe('watchedAttributes', () => {
  it('gives every watched attribute as text, with the hire date as an ISO instant', () => {
    expect(watchedAttributes(record())).toEqual({
      givenName: 'Ada',
      familyName: 'Lovelace',
      preferredName: undefined,
      displayName: 'Ada Lovelace',
      employeeType: 'employee',
      department: 'Sales',
      jobTitle: 'Account Executive',
      managerEmployeeId: 'E0042',
      location: 'Berlin',
      timeZone: 'Europe/Berlin',
      workEmail: undefined,
      personalEmail: undefined,
      hireDate: '2026-03-02T05:00:00.000Z',
      leaveDate: undefined,
    });
  });

  it('gives the leave date as an ISO instant once it is known', () => {
    const watched = watchedAttributes(record({ leaveDate: '2026-06-30', leaveAt: utc('2026-06-30T16:00:00Z') }));
    expect(watched.leaveDate).toBe('2026-06-30T16:00:00.000Z');
  });

  it('includes optional attributes that are set', () => {
    const watched = watchedAttributes(record({ preferredName: 'Addie', workEmail: 'ada@example.com', personalEmail: 'ada@example.org' }));
    expect(watched).toMatchObject({ preferredName: 'Addie', workEmail: 'ada@example.com', personalEmail: 'ada@example.org' });
  });

  it('leaves out the employee id and the version stamp, which are not attributes that change', () => {
    const watched = watchedAttributes(record());
    expect(watched).not.toHaveProperty('employeeId');
    expect(watched).not.toHaveProperty('asOf');
    expect(watched).not.toHaveProperty('hireAt');
  });

  it('takes the hire date from the resolved instant, not the calendar date', () => {
    // Same calendar date, placed at another local time.
    expect(watchedAttributes(record({ hireAt: utc('2026-03-02T08:00:00Z') })).hireDate).toBe('2026-03-02T08:00:00.000Z');
  });
});

describe('attributeChanges', () => {
  it('finds nothing between equal records', () => {
    expect(attributeChanges(record(), record())).toEqual([]);
  });

  it('ignores a new version stamp with the same content', () => {
    expect(attributeChanges(record(), record({ asOf: utc('2026-02-01T10:00:00Z') }))).toEqual([]);
  });

  it('reports one changed attribute with where it came from and went to', () => {
    expect(attributeChanges(record(), record({ department: 'Marketing' }))).toEqual([{ attribute: 'department', from: 'Sales', to: 'Marketing' }]);
  });

  it('reports only the attributes that changed', () => {
    const after = record({ department: 'Engineering', jobTitle: 'Engineer', managerEmployeeId: 'E0077', location: 'Berlin' });
    expect(changes(record(), after)).toEqual([
      { attribute: 'department', from: 'Sales', to: 'Engineering' },
      { attribute: 'jobTitle', from: 'Account Executive', to: 'Engineer' },
      { attribute: 'managerEmployeeId', from: 'E0042', to: 'E0077' },
    ]);
  });

  it('reports an attribute that appears or disappears with undefined on the other side', () => {
    expect(changes(record({ workEmail: 'ada@example.com' }), record({ preferredName: 'Addie' }))).toEqual([
      { attribute: 'preferredName', from: undefined, to: 'Addie' },
      { attribute: 'workEmail', from: 'ada@example.com', to: undefined },
    ]);
  });

  it('reports a new leave date as an ISO instant', () => {
    const after = record({ leaveDate: '2026-06-30', leaveAt: utc('2026-06-30T16:00:00Z') });
    expect(attributeChanges(record(), after)).toEqual([{ attribute: 'leaveDate', from: undefined, to: '2026-06-30T16:00:00.000Z' }]);
  });

  it('reports a withdrawn leave date', () => {
    const before = record({ leaveDate: '2026-06-30', leaveAt: utc('2026-06-30T16:00:00Z') });
    expect(attributeChanges(before, record())).toEqual([{ attribute: 'leaveDate', from: '2026-06-30T16:00:00.000Z', to: undefined }]);
  });

  it('reports a moved hire date as ISO instants', () => {
    const after = record({ hireDate: '2026-03-09', hireAt: utc('2026-03-09T05:00:00Z') });
    expect(attributeChanges(record(), after)).toEqual([{ attribute: 'hireDate', from: '2026-03-02T05:00:00.000Z', to: '2026-03-09T05:00:00.000Z' }]);
  });

  it('reports a change of time zone', () => {
    expect(attributeChanges(record(), record({ timeZone: 'Europe/Lisbon' }))).toEqual([{ attribute: 'timeZone', from: 'Europe/Berlin', to: 'Europe/Lisbon' }]);
  });

  it('treats a change of case as a change', () => {
    expect(attributeChanges(record(), record({ department: 'SALES' }))).toEqual([{ attribute: 'department', from: 'Sales', to: 'SALES' }]);
  });

  it('names only watched attributes', () => {
    const after = record({ givenName: 'Augusta', familyName: 'King', displayName: 'Augusta King', employeeType: 'contractor', personalEmail: 'a@example.org' });
    const watched = Object.keys(watchedAttributes(after));
    for (const change of attributeChanges(record(), after)) expect(watched).toContain(change.attribute);
    expect(attributeChanges(record(), after)).toHaveLength(5);
  });
});
