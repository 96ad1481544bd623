import { describe, expect, it } from 'vitest';
import {
  describeRecordChange,
  effectiveEmployment,
  planLifecycle,
  type Employment,
  type LifecycleEvent,
  type LifecycleFacts,
  type LifecyclePlan,
  type LifecyclePolicy,
} from '../../domain/lifecycle';

const HOUR = 3600_000;
const DAY = 24 * HOUR;

const policy: LifecyclePolicy = { prehireLeadMs: 7 * DAY, leaverRetentionMs: 30 * DAY };

// One employment: hired on 2 March, leaving on 30 June; an earlier one ended on 15 January.
const hireAt = Date.parse('2026-03-02T05:00:00Z');
const leaveAt = Date.parse('2026-06-30T16:00:00Z');
const previousLeaveAt = Date.parse('2026-01-15T17:00:00Z');
const provisionAt = hireAt - policy.prehireLeadMs;
const deleteAt = leaveAt + policy.leaverRetentionMs;

function facts(overrides: Partial<LifecycleFacts> = {}): LifecycleFacts {
  return { employment: { hireAt }, accounts: 'none', ...overrides };
}

const plan = (f: LifecycleFacts, now: number): LifecyclePlan => planLifecycle(f, now, policy);

describe('planLifecycle: one employment', () => {
  const cases: { name: string; facts: LifecycleFacts; now: number; expected: LifecyclePlan }[] = [
    {
      name: 'no record yet',
      facts: { accounts: 'none' },
      now: hireAt,
      expected: { state: 'pending', accounts: 'none', stripMemberships: false },
    },
    {
      name: 'hire far in the future: pending until the lead time',
      facts: facts(),
      now: hireAt - 30 * DAY,
      expected: { state: 'pending', accounts: 'none', stripMemberships: false, next: { action: 'provision', at: provisionAt } },
    },
    {
      name: 'one millisecond before the lead time: still pending',
      facts: facts(),
      now: provisionAt - 1,
      expected: { state: 'pending', accounts: 'none', stripMemberships: false, next: { action: 'provision', at: provisionAt } },
    },
    {
      name: 'exactly hire − lead: prehire',
      facts: facts(),
      now: provisionAt,
      expected: { state: 'prehire', accounts: 'disabled', stripMemberships: false, next: { action: 'enable', at: hireAt } },
    },
    {
      name: 'inside the lead time: prehire, enable at hire',
      facts: facts({ accounts: 'disabled' }),
      now: hireAt - DAY,
      expected: { state: 'prehire', accounts: 'disabled', stripMemberships: false, next: { action: 'enable', at: hireAt } },
    },
    {
      name: 'exactly at hire: active',
      facts: facts({ accounts: 'disabled' }),
      now: hireAt,
      expected: { state: 'active', accounts: 'enabled', stripMemberships: false },
    },
    {
      name: 'after hire without a leave date: active with nothing scheduled',
      facts: facts({ accounts: 'enabled' }),
      now: hireAt + 10 * DAY,
      expected: { state: 'active', accounts: 'enabled', stripMemberships: false },
    },
    {
      name: 'after hire with a leave date: active, disable at leave',
      facts: facts({ employment: { hireAt, leaveAt }, accounts: 'enabled' }),
      now: hireAt + 10 * DAY,
      expected: { state: 'active', accounts: 'enabled', stripMemberships: false, next: { action: 'disable', at: leaveAt } },
    },
    {
      name: 'one millisecond before leave: still active',
      facts: facts({ employment: { hireAt, leaveAt }, accounts: 'enabled' }),
      now: leaveAt - 1,
      expected: { state: 'active', accounts: 'enabled', stripMemberships: false, next: { action: 'disable', at: leaveAt } },
    },
    {
      name: 'exactly at leave: terminated, disabled, memberships stripped, delete after retention',
      facts: facts({ employment: { hireAt, leaveAt }, accounts: 'enabled' }),
      now: leaveAt,
      expected: { state: 'terminated', accounts: 'disabled', stripMemberships: true, next: { action: 'delete', at: deleteAt }, previousLeaveAt: leaveAt },
    },
    {
      name: 'after leave with no accounts: terminated, accounts stay none',
      facts: facts({ employment: { hireAt, leaveAt }, accounts: 'none' }),
      now: leaveAt + DAY,
      expected: { state: 'terminated', accounts: 'none', stripMemberships: false, next: { action: 'delete', at: deleteAt }, previousLeaveAt: leaveAt },
    },
    {
      name: 'one millisecond before retention ends: still terminated',
      facts: facts({ employment: { hireAt, leaveAt }, accounts: 'disabled' }),
      now: deleteAt - 1,
      expected: { state: 'terminated', accounts: 'disabled', stripMemberships: true, next: { action: 'delete', at: deleteAt }, previousLeaveAt: leaveAt },
    },
    {
      name: 'exactly at leave + retention: deleted',
      facts: facts({ employment: { hireAt, leaveAt }, accounts: 'disabled' }),
      now: deleteAt,
      expected: { state: 'deleted', accounts: 'none', stripMemberships: false },
    },
    {
      name: 'a whole employment in the past: deleted without ever getting accounts',
      facts: facts({ employment: { hireAt, leaveAt }, accounts: 'none' }),
      now: deleteAt + 365 * DAY,
      expected: { state: 'deleted', accounts: 'none', stripMemberships: false },
    },
  ];

  it.each(cases)('$name', ({ facts: f, now, expected }) => {
    expect(plan(f, now)).toEqual(expected);
  });

  it('schedules nothing once deleted', () => {
    expect(plan(facts({ employment: { hireAt, leaveAt }, accounts: 'disabled' }), deleteAt).next).toBeUndefined();
  });

  it('with no lead time, provisions at the hire instant and is active from it', () => {
    const noLead = { ...policy, prehireLeadMs: 0 };
    expect(planLifecycle(facts(), hireAt - 1, noLead)).toEqual({ state: 'pending', accounts: 'none', stripMemberships: false, next: { action: 'provision', at: hireAt } });
    expect(planLifecycle(facts(), hireAt, noLead).state).toBe('active');
  });

  it('deletes at the leave instant when retention is zero', () => {
    const noRetention = { ...policy, leaverRetentionMs: 0 };
    expect(planLifecycle(facts({ employment: { hireAt, leaveAt }, accounts: 'enabled' }), leaveAt, noRetention).state).toBe('deleted');
  });
});

describe('planLifecycle: withdrawals', () => {
  it('withdrawn before hire: cancelled, accounts none even if pre-provisioned', () => {
    const withdrawnAt = hireAt - DAY;
    for (const accounts of ['none', 'disabled'] as const) {
      expect(plan(facts({ withdrawnAt, accounts }), withdrawnAt)).toEqual({ state: 'cancelled', accounts: 'none', stripMemberships: false });
    }
  });

  it('withdrawn before hire stays cancelled at and after the would-be hire instant', () => {
    const f = facts({ employment: { hireAt, leaveAt }, withdrawnAt: hireAt - DAY, accounts: 'none' });
    expect(plan(f, hireAt).state).toBe('cancelled');
    expect(plan(f, leaveAt + 1).state).toBe('cancelled');
  });

  it('withdrawn after hire: acts as a leave at the withdrawal instant', () => {
    const withdrawnAt = hireAt + 10 * DAY;
    expect(plan(facts({ withdrawnAt, accounts: 'enabled' }), withdrawnAt)).toEqual({
      state: 'terminated',
      accounts: 'disabled',
      stripMemberships: true,
      next: { action: 'delete', at: withdrawnAt + policy.leaverRetentionMs },
      previousLeaveAt: withdrawnAt,
    });
  });

  it('withdrawn after hire but before a scheduled leave: the withdrawal wins', () => {
    const withdrawnAt = hireAt + 10 * DAY;
    const p = plan(facts({ employment: { hireAt, leaveAt }, withdrawnAt, accounts: 'enabled' }), withdrawnAt + HOUR);
    expect(p.state).toBe('terminated');
    expect(p.next).toEqual({ action: 'delete', at: withdrawnAt + policy.leaverRetentionMs });
  });

  it('withdrawn after the leave: the earlier leave still counts', () => {
    const withdrawnAt = leaveAt + 5 * DAY;
    const p = plan(facts({ employment: { hireAt, leaveAt }, withdrawnAt, accounts: 'disabled' }), withdrawnAt);
    expect(p).toEqual({ state: 'terminated', accounts: 'disabled', stripMemberships: true, next: { action: 'delete', at: deleteAt }, previousLeaveAt: leaveAt });
  });

  it('withdrawn exactly at the hire instant counts as after hire', () => {
    const p = plan(facts({ withdrawnAt: hireAt, accounts: 'disabled' }), hireAt);
    expect(p.state).toBe('terminated');
    expect(p.next).toEqual({ action: 'delete', at: hireAt + policy.leaverRetentionMs });
  });

  it('withdrawn after hire and past retention: deleted', () => {
    const withdrawnAt = hireAt + 10 * DAY;
    expect(plan(facts({ withdrawnAt, accounts: 'disabled' }), withdrawnAt + policy.leaverRetentionMs).state).toBe('deleted');
  });
});

describe('planLifecycle: rehire', () => {
  // The earlier employment ended on previousLeaveAt; its accounts are kept, disabled.
  const rehireAt = previousLeaveAt + 20 * DAY;

  it('a future rehire with kept accounts is prehire even beyond the lead time', () => {
    const now = previousLeaveAt + DAY;
    expect(rehireAt - now).toBeGreaterThan(policy.prehireLeadMs);
    expect(plan({ employment: { hireAt: rehireAt }, previousLeaveAt, accounts: 'disabled' }, now)).toEqual({
      state: 'prehire',
      accounts: 'disabled',
      stripMemberships: false,
      next: { action: 'enable', at: rehireAt },
      previousLeaveAt,
    });
  });

  it('a future rehire after the old accounts were deleted waits for the lead time like a new hire', () => {
    const now = previousLeaveAt + DAY;
    expect(plan({ employment: { hireAt: rehireAt }, previousLeaveAt, accounts: 'none' }, now)).toEqual({
      state: 'pending',
      accounts: 'none',
      stripMemberships: false,
      next: { action: 'provision', at: rehireAt - policy.prehireLeadMs },
      previousLeaveAt,
    });
  });

  it('the rehire becomes active at its hire instant and keeps the earlier leave for the record', () => {
    expect(plan({ employment: { hireAt: rehireAt }, previousLeaveAt, accounts: 'disabled' }, rehireAt)).toEqual({
      state: 'active',
      accounts: 'enabled',
      stripMemberships: false,
      previousLeaveAt,
    });
  });

  it('a rescinded rehire within the earlier retention: terminated, delete at previous leave + retention', () => {
    const withdrawnAt = previousLeaveAt + 5 * DAY;
    const keepUntil = previousLeaveAt + policy.leaverRetentionMs;
    expect(plan({ employment: { hireAt: rehireAt }, withdrawnAt, previousLeaveAt, accounts: 'disabled' }, withdrawnAt)).toEqual({
      state: 'terminated',
      accounts: 'disabled',
      stripMemberships: true,
      next: { action: 'delete', at: keepUntil },
      previousLeaveAt,
    });
  });

  it('a rescinded rehire once the earlier retention is over: cancelled', () => {
    const withdrawnAt = previousLeaveAt + 5 * DAY;
    const keepUntil = previousLeaveAt + policy.leaverRetentionMs;
    const f: LifecycleFacts = { employment: { hireAt: previousLeaveAt + 40 * DAY }, withdrawnAt, previousLeaveAt, accounts: 'disabled' };
    expect(plan(f, keepUntil)).toEqual({ state: 'cancelled', accounts: 'none', stripMemberships: false });
  });

  it('a rescinded rehire without kept accounts: cancelled', () => {
    const withdrawnAt = previousLeaveAt + 5 * DAY;
    expect(plan({ employment: { hireAt: rehireAt }, withdrawnAt, previousLeaveAt, accounts: 'none' }, withdrawnAt).state).toBe('cancelled');
  });
});

describe('effectiveEmployment', () => {
  it('is the employment itself when nothing was withdrawn', () => {
    const employment = { hireAt, leaveAt };
    expect(effectiveEmployment({ employment, accounts: 'none' })).toEqual(employment);
  });

  it('is undefined before any record, withdrawn or not', () => {
    expect(effectiveEmployment({ accounts: 'none' })).toBeUndefined();
    expect(effectiveEmployment({ withdrawnAt: hireAt, accounts: 'none' })).toBeUndefined();
  });

  it('is undefined when withdrawn before the hire instant', () => {
    expect(effectiveEmployment({ employment: { hireAt, leaveAt }, withdrawnAt: hireAt - 1, accounts: 'none' })).toBeUndefined();
  });

  it.each([
    ['without a leave date', undefined, hireAt + DAY, hireAt + DAY],
    ['before the leave date', leaveAt, hireAt + DAY, hireAt + DAY],
    ['after the leave date', leaveAt, leaveAt + DAY, leaveAt],
    ['at the hire instant', undefined, hireAt, hireAt],
  ])('withdrawn after hire %s ends at the earlier of leave and withdrawal', (_, leave, withdrawnAt, end) => {
    const employment = leave === undefined ? { hireAt } : { hireAt, leaveAt: leave };
    expect(effectiveEmployment({ employment, withdrawnAt, accounts: 'enabled' })).toEqual({ hireAt, leaveAt: end });
  });
});

describe('describeRecordChange', () => {
  const later = leaveAt + 60 * DAY;

  const cases: { name: string; before?: Employment; after: Employment; previous?: number; event: LifecycleEvent }[] = [
    { name: 'first record', after: { hireAt }, event: 'hire' },
    { name: 'first record after an earlier employment', after: { hireAt: later }, previous: leaveAt, event: 'rehire' },
    { name: 'first record not after the earlier leave', after: { hireAt: leaveAt }, previous: leaveAt, event: 'hire' },
    { name: 'new hire after the leave', before: { hireAt, leaveAt }, after: { hireAt: later }, event: 'rehire' },
    { name: 'new hire with its own leave date', before: { hireAt, leaveAt }, after: { hireAt: later, leaveAt: later + DAY }, event: 'rehire' },
    { name: 'leave date removed', before: { hireAt, leaveAt }, after: { hireAt }, event: 'rescind-leave' },
    { name: 'leave date set', before: { hireAt }, after: { hireAt, leaveAt }, event: 'leave' },
    { name: 'leave date moved', before: { hireAt, leaveAt }, after: { hireAt, leaveAt: leaveAt + DAY }, event: 'leave' },
    { name: 'nothing about employment changed', before: { hireAt, leaveAt }, after: { hireAt, leaveAt }, event: 'move' },
    { name: 'no leave before or after', before: { hireAt }, after: { hireAt }, event: 'move' },
  ];

  it.each(cases)('$name → $event', ({ before, after, previous, event }) => {
    expect(describeRecordChange(before, after, previous)).toBe(event);
  });
});
