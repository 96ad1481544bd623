import { describe, expect, it } from 'vitest';
import {
  matchAttributeChange,
  matchGroupChange,
  planTimeTriggeredRuns,
  triggerInstant,
  type AttributeChange,
  type PersonFacts,
  type PlannedRun,
} from '../../domain/lifecycle-runs';
import { validateDefinition, type DefinitionVersion } from '../../domain/lifecycle-workflows';

const HOUR = 3600_000;
const DAY = 24 * HOUR;

const utc = (iso: string) => Date.parse(iso);

type TimeTrigger = Parameters<typeof triggerInstant>[0];

// Hired on Wednesday 1 April 2026 at 06:00 in Berlin (CEST); Berlin moved its clocks on 29 March.
const hireAt = utc('2026-04-01T04:00:00Z');
const createdAt = utc('2026-03-10T12:00:00Z');
// Leaving on Friday 23 October 2026 at 18:00 (CEST); clocks go back on 25 October.
const leaveAt = utc('2026-10-23T16:00:00Z');

function person(overrides: Partial<PersonFacts> = {}): PersonFacts {
  return {
    employeeId: 'E1001',
    attributes: { employeeId: 'E1001', givenName: 'Ada', department: 'Sales', employeeType: 'employee', jobTitle: 'Account Executive' },
    hireAt,
    createdAt,
    timeZone: 'Europe/Berlin',
    withdrawn: false,
    ...overrides,
  };
}

const withAttributes = (attributes: PersonFacts['attributes']) => person({ attributes: { ...person().attributes, ...attributes } });

/** A saved definition version, validated the way the API saves it. */
function definition(fields: Record<string, unknown>, version = 1): DefinitionVersion {
  const result = validateDefinition({ name: 'Test workflow', category: 'joiner', tasks: [{ type: 'enable-account' }], ...fields }, { extensions: [] });
  if (!result.ok) throw new Error(`invalid test definition: ${JSON.stringify(result.errors)}`);
  return { ...result.definition, version };
}

const timeDefinition = (id: string, trigger: Record<string, unknown>, fields: Record<string, unknown> = {}, version = 1) =>
  definition({ id, trigger: { type: 'time', ...trigger }, ...fields }, version);

const time = (on: TimeTrigger['on'], offset: string, localTime?: string): TimeTrigger =>
  localTime === undefined ? { type: 'time', on, offset } : { type: 'time', on, offset, localTime };

const ids = (definitions: DefinitionVersion[]) => definitions.map((d) => d.id);

describe('triggerInstant', () => {
  it('gives no instant for an offset saved before offsets were bounded, rather than an invalid date', () => {
    expect(triggerInstant(time('hireDate', '-P9999999999D'), person())).toBeUndefined();
    expect(triggerInstant(time('hireDate', '-P9999999999D', '09:00'), person())).toBeUndefined();
    expect(triggerInstant(time('hireDate', '-P365000D'), person({ hireAt: utc('0500-01-01T00:00:00Z') }))).toBeUndefined();
  });

  it.each([
    ['hireDate', 'P0D', hireAt],
    ['hireDate', '-P7D', hireAt - 7 * DAY],
    ['hireDate', 'P1D', hireAt + DAY],
    ['hireDate', '+P1D', hireAt + DAY],
    ['hireDate', '-PT12H', hireAt - 12 * HOUR],
    ['hireDate', 'P2W', hireAt + 14 * DAY],
    ['leaveDate', 'P0D', leaveAt],
    ['leaveDate', '-P1D', leaveAt - DAY],
    ['leaveDate', 'P3D', leaveAt + 3 * DAY],
    ['created', 'P0D', createdAt],
    ['created', 'PT1H', createdAt + HOUR],
  ] as const)('%s %s without a local time is exact elapsed time from the base', (on, offset, expected) => {
    expect(triggerInstant(time(on, offset), person({ leaveAt }))).toBe(expected);
  });

  it('is exact elapsed time across a clock change when no local time is given', () => {
    // 06:00 CEST minus 7 × 24 h is 05:00 CET.
    expect(triggerInstant(time('hireDate', '-P7D'), person())).toBe(utc('2026-03-25T04:00:00Z'));
  });

  it('has no instant for a leave date that is not known', () => {
    expect(triggerInstant(time('leaveDate', 'P0D'), person())).toBeUndefined();
    expect(triggerInstant(time('leaveDate', '-P7D', '09:00'), person())).toBeUndefined();
  });

  it.each([
    ['on the hire date, in summer time', time('hireDate', 'P0D', '09:00'), '2026-04-01T07:00:00Z'],
    ['a week before, in winter time', time('hireDate', '-P7D', '09:00'), '2026-03-25T08:00:00Z'],
    ['on the day the clocks go forward', time('hireDate', '-P3D', '09:00'), '2026-03-29T07:00:00Z'],
    ['the day before the clocks go forward', time('hireDate', '-P4D', '09:00'), '2026-03-28T08:00:00Z'],
    ['midnight a week before', time('hireDate', '-P7D', '00:00'), '2026-03-24T23:00:00Z'],
    ['on the leave date, in summer time', time('leaveDate', 'P0D', '18:00'), '2026-10-23T16:00:00Z'],
    ['after the clocks go back', time('leaveDate', 'P3D', '18:00'), '2026-10-26T17:00:00Z'],
    ['before the leave date', time('leaveDate', '-P1D', '12:30'), '2026-10-22T10:30:00Z'],
    ['on the day of creation', time('created', 'P1D', '08:15'), '2026-03-11T07:15:00Z'],
  ])('places the local time in the person’s zone: %s', (_when, trigger, expected) => {
    expect(triggerInstant(trigger, person({ leaveAt }))).toBe(utc(expected));
  });

  it('moves a local time in the spring-forward gap forward, as clocks do', () => {
    expect(triggerInstant(time('hireDate', '-P3D', '02:30'), person())).toBe(utc('2026-03-29T01:30:00Z'));
  });

  it.each([
    // The same instant is a different day and hour in each zone; 09:00 is taken on that local day.
    ['Europe/Berlin', '2026-04-01T07:00:00Z'],
    ['America/New_York', '2026-04-01T13:00:00Z'],
    ['America/Los_Angeles', '2026-03-31T16:00:00Z'],
    ['Asia/Tokyo', '2026-04-01T00:00:00Z'],
    ['UTC', '2026-04-01T09:00:00Z'],
  ])('uses the local day and time in %s', (timeZone, expected) => {
    expect(triggerInstant(time('hireDate', 'P0D', '09:00'), person({ timeZone }))).toBe(utc(expected));
  });

  it('honours a local time with seconds if the definition accepted one', () => {
    const result = validateDefinition(
      { id: 'x', name: 'x', category: 'joiner', trigger: { type: 'time', on: 'hireDate', localTime: '09:30:15' }, tasks: [{ type: 'enable-account' }] },
      { extensions: [] },
    );
    if (!result.ok) {
      expect(result.errors.map((e) => e.path)).toEqual(['trigger.localTime']);
      return;
    }
    const { trigger } = result.definition;
    if (trigger.type !== 'time') throw new Error('expected a time trigger');
    // Accepted input must not be silently changed: 09:30:15 CEST.
    expect(triggerInstant(trigger, person())).toBe(utc('2026-04-01T07:30:15Z'));
  });
});

describe('planTimeTriggeredRuns', () => {
  const now = utc('2026-03-28T12:00:00Z');
  const none = new Set<string>();

  const prepare = timeDefinition('prepare', { on: 'hireDate', offset: '-P14D' });
  const reminder = timeDefinition('reminder', { on: 'hireDate', offset: '-P5D' });
  const welcome = timeDefinition('welcome', { on: 'hireDate' });
  const checkIn = timeDefinition('check-in', { on: 'hireDate', offset: 'P30D', localTime: '10:00' }, {}, 3);
  const createdPing = timeDefinition('created-ping', { on: 'created' }, { catchUp: 'P30D' });
  const exitInterview = timeDefinition('exit-interview', { on: 'leaveDate', offset: '-P7D' }, { category: 'leaver' });

  const run = (d: DefinitionVersion, on: string, base: number, at: number, trigger: string): PlannedRun => ({
    definitionId: d.id,
    version: d.version,
    key: `${d.id}|${on}|${base}`,
    at,
    trigger,
  });

  it('splits time-triggered runs into due, upcoming and missed', () => {
    const plan = planTimeTriggeredRuns([prepare, reminder, welcome, checkIn, createdPing, exitInterview], person(), now, none);
    expect(plan).toEqual({
      due: [
        run(createdPing, 'created', createdAt, createdAt, 'created P0D'),
        run(reminder, 'hireDate', hireAt, hireAt - 5 * DAY, 'hireDate -P5D'),
      ],
      upcoming: [
        run(welcome, 'hireDate', hireAt, hireAt, 'hireDate P0D'),
        run(checkIn, 'hireDate', hireAt, utc('2026-05-01T08:00:00Z'), 'hireDate P30D at 10:00'),
      ],
      missed: [run(prepare, 'hireDate', hireAt, hireAt - 14 * DAY, 'hireDate -P14D')],
      outOfScope: [],
    });
  });

  it('sorts upcoming runs by instant, whatever the order of the definitions', () => {
    const plan = planTimeTriggeredRuns([checkIn, welcome, timeDefinition('soon', { on: 'hireDate', offset: '-P1D' })], person(), now, none);
    expect(plan.upcoming.map((r) => r.definitionId)).toEqual(['soon', 'welcome', 'check-in']);
    expect(plan.upcoming.map((r) => r.at)).toEqual([hireAt - DAY, hireAt, utc('2026-05-01T08:00:00Z')]);
  });

  describe('catch-up window', () => {
    const at = hireAt - 5 * DAY;
    const where = (at: number, d = reminder) => {
      const plan = planTimeTriggeredRuns([d], person(), at, none);
      return plan.due.length ? 'due' : plan.upcoming.length ? 'upcoming' : plan.missed.length ? 'missed' : 'nowhere';
    };

    it.each([
      ['a millisecond before the instant', at - 1, 'upcoming'],
      ['at the instant', at, 'due'],
      ['inside the default catch-up of three days', at + 2 * DAY, 'due'],
      ['at the end of the catch-up', at + 3 * DAY, 'due'],
      ['a millisecond after the catch-up', at + 3 * DAY + 1, 'missed'],
      ['weeks later', at + 30 * DAY, 'missed'],
    ])('%s: %s', (_when, now, expected) => {
      expect(where(now)).toBe(expected);
    });

    it('uses the definition’s own catch-up', () => {
      const short = timeDefinition('reminder', { on: 'hireDate', offset: '-P5D' }, { catchUp: 'PT1H' });
      expect(where(at + HOUR, short)).toBe('due');
      expect(where(at + HOUR + 1, short)).toBe('missed');
      const zero = timeDefinition('reminder', { on: 'hireDate', offset: '-P5D' }, { catchUp: 'PT0S' });
      expect(where(at, zero)).toBe('due');
      expect(where(at + 1, zero)).toBe('missed');
    });
  });

  it.each([
    ['a disabled definition', timeDefinition('welcome', { on: 'hireDate' }, { enabled: false })],
    ['an on-demand definition', definition({ id: 'manual', trigger: { type: 'on-demand' } })],
    ['a group-change definition', definition({ id: 'vpn', trigger: { type: 'group-change', change: 'added', group: 'vpn-users' } })],
    ['an attribute-change definition', definition({ id: 'move', category: 'mover', trigger: { type: 'attribute-change', attributes: ['department'] } })],
    ['a leave-date trigger without a leave date', exitInterview],
  ])('skips %s', (_what, d) => {
    expect(planTimeTriggeredRuns([d], person(), now, none)).toEqual({ due: [], upcoming: [], missed: [], outOfScope: [] });
  });

  it('plans a leave-date trigger once the leave date is known', () => {
    const plan = planTimeTriggeredRuns([exitInterview], person({ leaveAt }), now, none);
    expect(plan.upcoming).toEqual([run(exitInterview, 'leaveDate', leaveAt, leaveAt - 7 * DAY, 'leaveDate -P7D')]);
  });

  it('plans nothing at all for a withdrawn person', () => {
    const everything = [prepare, reminder, welcome, checkIn, createdPing, exitInterview];
    expect(planTimeTriggeredRuns(everything, person({ withdrawn: true, leaveAt }), now, none)).toEqual({ due: [], upcoming: [], missed: [], outOfScope: [] });
  });

  it('skips runs whose key has already started, in every bucket', () => {
    const everything = [prepare, reminder, welcome, createdPing];
    const first = planTimeTriggeredRuns(everything, person(), now, none);
    const started = new Set([...first.due, ...first.upcoming, ...first.missed].map((r) => r.key));
    expect(started.size).toBe(4);
    expect(planTimeTriggeredRuns(everything, person(), now, started)).toEqual({ due: [], upcoming: [], missed: [], outOfScope: [] });
  });

  it('skips only the started key, not other definitions on the same date', () => {
    const plan = planTimeTriggeredRuns([reminder, welcome], person(), now, new Set([`reminder|hireDate|${hireAt}`]));
    expect(plan.due).toEqual([]);
    expect(plan.upcoming.map((r) => r.definitionId)).toEqual(['welcome']);
  });

  it('keys a run by the base instant, so a moved hire date fires again', () => {
    const started = new Set(planTimeTriggeredRuns([reminder], person(), now, none).due.map((r) => r.key));
    const movedHireAt = hireAt + 2 * DAY;
    const plan = planTimeTriggeredRuns([reminder], person({ hireAt: movedHireAt }), now + 2 * DAY, started);
    expect(plan.due).toEqual([run(reminder, 'hireDate', movedHireAt, movedHireAt - 5 * DAY, 'hireDate -P5D')]);
    expect(plan.due[0]!.key).not.toBe([...started][0]);
  });

  it('keys a run by the base instant, not by the local time it lands on', () => {
    const plan = planTimeTriggeredRuns([checkIn], person(), now, none);
    expect(plan.upcoming[0]!.key).toBe(`check-in|hireDate|${hireAt}`);
  });

  it('does not fire again for a new version of a definition that already ran', () => {
    const started = new Set([`reminder|hireDate|${hireAt}`]);
    const newVersion = timeDefinition('reminder', { on: 'hireDate', offset: '-P5D' }, { name: 'Reminder, reworded' }, 2);
    expect(planTimeTriggeredRuns([newVersion], person(), now, started).due).toEqual([]);
  });

  describe('scope', () => {
    it('lists a definition for people outside its scope with the instant it would have had', () => {
      const engineers = timeDefinition('reminder', { on: 'hireDate', offset: '-P5D' }, { scope: "department eq 'Engineering'" }, 2);
      expect(planTimeTriggeredRuns([engineers], person(), now, none)).toEqual({
        due: [],
        upcoming: [],
        missed: [],
        outOfScope: [{ definitionId: 'reminder', version: 2, at: hireAt - 5 * DAY }],
      });
    });

    it('plans a definition for people inside its scope', () => {
      const employees = timeDefinition('reminder', { on: 'hireDate', offset: '-P5D' }, { scope: "employeeType eq 'employee' and not jobTitle co 'intern'" });
      expect(planTimeTriggeredRuns([employees], person(), now, none).due.map((r) => r.definitionId)).toEqual(['reminder']);
      expect(planTimeTriggeredRuns([employees], withAttributes({ jobTitle: 'Sales Intern' }), now, none).outOfScope).toHaveLength(1);
    });

    it('compares scope text ignoring case unless the definition is case-sensitive', () => {
      const insensitive = timeDefinition('reminder', { on: 'hireDate', offset: '-P5D' }, { scope: "department eq 'SALES'" });
      const sensitive = timeDefinition('reminder', { on: 'hireDate', offset: '-P5D' }, { scope: "department eq 'SALES'", caseSensitive: true });
      expect(planTimeTriggeredRuns([insensitive], person(), now, none).due).toHaveLength(1);
      expect(planTimeTriggeredRuns([sensitive], person(), now, none).outOfScope).toHaveLength(1);
    });

    it('matches scope attribute names in any case, as validation accepted them', () => {
      const scoped = timeDefinition('reminder', { on: 'hireDate', offset: '-P5D' }, { scope: "Department eq 'Sales' and EMPLOYEETYPE eq 'employee'" });
      const plan = planTimeTriggeredRuns([scoped], person(), now, none);
      expect(plan.outOfScope).toEqual([]);
      expect(plan.due.map((r) => r.definitionId)).toEqual(['reminder']);
    });
  });
});

describe('matchAttributeChange', () => {
  const mover = (id: string, trigger: Record<string, unknown>, fields: Record<string, unknown> = {}) =>
    definition({ id, category: 'mover', trigger: { type: 'attribute-change', ...trigger }, ...fields });

  const anyMove = mover('any-move', { attributes: ['department'] });
  const toSales = mover('to-sales', { attributes: ['department'], to: { department: 'Sales' } });
  const fromSales = mover('from-sales', { attributes: ['department'], from: { department: 'Sales' } });
  const salesToMarketing = mover('sales-to-marketing', { attributes: ['department'], from: { department: 'Sales' }, to: { department: 'Marketing' } });
  const titleOrLocation = mover('title-or-location', { attributes: ['jobTitle', 'location'] });
  const toManagerExactly = mover('to-manager', { attributes: ['jobTitle'], to: { jobTitle: 'Manager' } }, { caseSensitive: true });
  const contractorsOnly = mover('contractors', { attributes: ['department'] }, { scope: "employeeType eq 'contractor'" });
  const disabled = mover('disabled', { attributes: ['department'] }, { enabled: false });
  const timed = timeDefinition('timed', { on: 'hireDate' });
  const all = [anyMove, toSales, fromSales, salesToMarketing, titleOrLocation, toManagerExactly, contractorsOnly, disabled, timed];

  const change = (attribute: string, from: string | undefined, to: string | undefined): AttributeChange => ({ attribute, from, to });
  const match = (changes: AttributeChange[], p = person()) => ids(matchAttributeChange(all, p, changes));

  it.each([
    ['Sales → Marketing', [change('department', 'Sales', 'Marketing')], ['any-move', 'from-sales', 'sales-to-marketing']],
    ['sales → MARKETING, ignoring case', [change('department', 'sales', 'MARKETING')], ['any-move', 'from-sales', 'sales-to-marketing']],
    ['Marketing → Sales', [change('department', 'Marketing', 'Sales')], ['any-move', 'to-sales']],
    ['Support → Engineering', [change('department', 'Support', 'Engineering')], ['any-move']],
    ['none → Sales', [change('department', undefined, 'Sales')], ['any-move', 'to-sales']],
    ['Sales → none', [change('department', 'Sales', undefined)], ['any-move', 'from-sales']],
  ])('department %s', (_what, changes, expected) => {
    expect(match(changes)).toEqual(expected);
  });

  it('fires a trigger on any of its attributes', () => {
    expect(match([change('location', 'Berlin', 'Paris')])).toEqual(['title-or-location']);
    expect(match([change('jobTitle', 'Engineer', 'Senior Engineer')])).toEqual(['title-or-location']);
  });

  it('compares bounds exactly for a case-sensitive definition', () => {
    expect(match([change('jobTitle', 'Engineer', 'manager')])).toEqual(['title-or-location']);
    expect(match([change('jobTitle', 'Engineer', 'Manager')])).toEqual(['title-or-location', 'to-manager']);
  });

  it('fires on one relevant change among several', () => {
    expect(match([change('givenName', 'Ada', 'Augusta'), change('department', 'Marketing', 'Sales')])).toEqual(['any-move', 'to-sales']);
  });

  it('fires nothing for changes no trigger watches', () => {
    expect(match([change('givenName', 'Ada', 'Augusta'), change('personalEmail', undefined, 'ada@example.org')])).toEqual([]);
  });

  it('fires nothing without changes', () => {
    expect(match([])).toEqual([]);
  });

  it('fires nothing for a withdrawn person', () => {
    expect(match([change('department', 'Marketing', 'Sales')], person({ withdrawn: true }))).toEqual([]);
  });

  it('checks the scope against the person as they are after the change', () => {
    expect(match([change('department', 'Support', 'Engineering')], withAttributes({ employeeType: 'contractor', department: 'Engineering' }))).toEqual([
      'any-move',
      'contractors',
    ]);
  });
});

describe('matchGroupChange', () => {
  const groupDefinition = (id: string, change: 'added' | 'removed', group: string, fields: Record<string, unknown> = {}) =>
    definition({ id, trigger: { type: 'group-change', change, group }, ...fields });

  const vpnAdded = groupDefinition('vpn-added', 'added', 'VPN-Users');
  const vpnRemoved = groupDefinition('vpn-removed', 'removed', 'vpn-users');
  const adminsAdded = groupDefinition('admins-added', 'added', 'admins');
  const contractorVpn = groupDefinition('contractor-vpn', 'added', 'vpn-users', { scope: "employeeType eq 'contractor'" });
  const disabledVpn = groupDefinition('disabled-vpn', 'added', 'vpn-users', { enabled: false });
  const manual = definition({ id: 'manual', trigger: { type: 'on-demand' } });
  const all = [vpnAdded, vpnRemoved, adminsAdded, contractorVpn, disabledVpn, manual];

  it.each([
    [{ group: 'vpn-users', change: 'added' as const }, ['vpn-added']],
    [{ group: 'VPN-USERS', change: 'added' as const }, ['vpn-added']],
    [{ group: 'Vpn-Users', change: 'removed' as const }, ['vpn-removed']],
    [{ group: 'admins', change: 'added' as const }, ['admins-added']],
    [{ group: 'admins', change: 'removed' as const }, []],
    [{ group: 'vpn', change: 'added' as const }, []],
    [{ group: 'vpn-users-eu', change: 'added' as const }, []],
  ])('%j fires %j', (groupChange, expected) => {
    expect(ids(matchGroupChange(all, person(), groupChange))).toEqual(expected);
  });

  it('checks the scope', () => {
    expect(ids(matchGroupChange(all, withAttributes({ employeeType: 'contractor' }), { group: 'vpn-users', change: 'added' }))).toEqual([
      'vpn-added',
      'contractor-vpn',
    ]);
  });

  it('fires nothing for a withdrawn person', () => {
    expect(matchGroupChange(all, person({ withdrawn: true }), { group: 'vpn-users', change: 'added' })).toEqual([]);
  });
});
