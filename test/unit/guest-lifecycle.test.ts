import { describe, expect, it } from 'vitest';
import { guestEmployment, guestPolicy, isGuestId, planGuest, type GuestStanding } from '../../domain/guest-lifecycle';
import { planLifecycle } from '../../domain/lifecycle';

const minute = 60_000;
const day = 86_400_000;
const t0 = Date.parse('2026-12-01T09:00:00Z');
const fresh: GuestStanding = { admitted: false };
const admitted: GuestStanding = { admitted: true };

/** Where the identity state machine puts a guest with this standing at `now`. */
const stateAt = (standing: GuestStanding, now: number, deleteAfterMs: number, accounts: 'none' | 'disabled' | 'enabled' = 'enabled') =>
  planLifecycle({ employment: guestEmployment(t0, standing), accounts }, now, guestPolicy(deleteAfterMs));

describe('guest ids', () => {
  it('are g- and 16 hex digits, nothing else', () => {
    expect(isGuestId('g-0123456789abcdef')).toBe(true);
    for (const id of ['g-0123456789ABCDEF', 'g-0123456789abcde', 'E1001', 'g-0123456789abcdefa', 'xg-0123456789abcdef']) expect(isGuestId(id), id).toBe(false);
  });
});

describe('planGuest', () => {
  it('admits a guest with their first assignment, and never blocks one who held nothing yet', () => {
    expect(planGuest(fresh, 0, t0, 30 * day)).toBeUndefined();
    expect(planGuest(fresh, 1, t0, 30 * day)).toEqual({ standing: admitted, event: 'admitted' });
    expect(planGuest(admitted, 2, t0, 30 * day)).toBeUndefined();
  });

  it('blocks at once when the last assignment ends, with the deletion deleteAfter later', () => {
    const change = planGuest(admitted, 0, t0 + 5 * minute, 30 * day);
    expect(change).toEqual({ standing: { admitted: true, blockedAt: t0 + 5 * minute }, event: 'blocked', deleteAt: t0 + 5 * minute + 30 * day });
    // Blocked stays blocked: the block instant does not move.
    expect(planGuest(change!.standing, 0, t0 + day, 30 * day)).toBeUndefined();
  });

  it('unblocks within the window (the deletion is cancelled) and admits afresh after it', () => {
    const blocked = { admitted: true, blockedAt: t0 };
    expect(planGuest(blocked, 1, t0 + 29 * day, 30 * day)).toEqual({ standing: admitted, event: 'unblocked' });
    expect(planGuest(blocked, 1, t0 + 30 * day, 30 * day)).toEqual({ standing: admitted, event: 'readmitted' });
  });
});

describe('a guest through the identity state machine', () => {
  it('is active while they hold access, with no end in sight', () => {
    expect(stateAt(admitted, t0 + day, 30 * day)).toMatchObject({ state: 'active', accounts: 'enabled' });
    expect(stateAt(admitted, t0 + day, 30 * day).next).toBeUndefined();
  });

  it('is blocked (accounts disabled, memberships gone) from the end of their last assignment until the deletion', () => {
    const blocked = { admitted: true, blockedAt: t0 + day };
    expect(stateAt(blocked, t0 + day, 30 * day)).toMatchObject({ state: 'terminated', accounts: 'disabled', stripMemberships: true, next: { action: 'delete', at: t0 + 31 * day } });
    expect(stateAt(blocked, t0 + 31 * day - 1, 30 * day, 'disabled').state).toBe('terminated');
    expect(stateAt(blocked, t0 + 31 * day, 30 * day, 'disabled')).toMatchObject({ state: 'deleted', accounts: 'none' });
  });

  it('is deleted at once with a deleteAfter of PT0S', () => {
    expect(stateAt({ admitted: true, blockedAt: t0 + day }, t0 + day, 0)).toMatchObject({ state: 'deleted', accounts: 'none' });
  });

  it('comes back enabled on the same accounts when unblocked within the window, and afresh after the deletion', () => {
    expect(stateAt(admitted, t0 + 10 * day, 30 * day, 'disabled')).toMatchObject({ state: 'active', accounts: 'enabled' });
    expect(stateAt(admitted, t0 + 40 * day, 30 * day, 'none')).toMatchObject({ state: 'active', accounts: 'enabled' });
  });
});
