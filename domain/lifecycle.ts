// The identity state machine: given what HR said, what exists, and the time, where should a
// person be and what is due next. Pure: the entity workflow asks it after every record and timer.

export const lifecycleStates = ['pending', 'prehire', 'active', 'terminated', 'deleted', 'cancelled'] as const;
export type LifecycleState = (typeof lifecycleStates)[number];

/** What the person's accounts look like across every connected system. */
export type AccountStatus = 'none' | 'disabled' | 'enabled';

export type ScheduledAction = 'provision' | 'enable' | 'disable' | 'delete';

export interface LifecyclePolicy {
  prehireLeadMs: number;
  leaverRetentionMs: number;
}

/** One employment as HR describes it, in epoch milliseconds. */
export interface Employment {
  hireAt: number;
  leaveAt?: number;
}

export interface LifecycleFacts {
  /** From the last applied record; absent before the first record. */
  employment?: Employment;
  /** When HR withdrew the record (DELETE), if that is the latest word. */
  withdrawnAt?: number;
  /** Leave instant of an earlier employment whose accounts are still kept for retention. */
  previousLeaveAt?: number;
  accounts: AccountStatus;
}

export interface LifecyclePlan {
  state: LifecycleState;
  /** Desired account status right now. */
  accounts: AccountStatus;
  /** Group memberships must go (the person has left). */
  stripMemberships: boolean;
  /** The next instant at which the plan changes by itself. */
  next?: { action: ScheduledAction; at: number };
  /** Leave instant to remember for a later rescinded rehire. */
  previousLeaveAt?: number;
}

/**
 * The employment that counts after a withdrawal: withdrawn before the hire instant it never
 * happened (cancelled); withdrawn later it ends at the withdrawal, like a leave.
 */
export function effectiveEmployment(facts: LifecycleFacts): Employment | undefined {
  const { employment, withdrawnAt } = facts;
  if (!employment || withdrawnAt === undefined) return employment;
  if (withdrawnAt < employment.hireAt) return undefined;
  const leaveAt = employment.leaveAt === undefined ? withdrawnAt : Math.min(employment.leaveAt, withdrawnAt);
  return { hireAt: employment.hireAt, leaveAt };
}

export function planLifecycle(facts: LifecycleFacts, now: number, policy: LifecyclePolicy): LifecyclePlan {
  const hasAccounts = facts.accounts !== 'none';
  const employment = effectiveEmployment(facts);

  if (!employment) {
    const keepUntil = facts.previousLeaveAt === undefined ? undefined : facts.previousLeaveAt + policy.leaverRetentionMs;
    if (hasAccounts && keepUntil !== undefined && now < keepUntil) {
      // A rescinded rehire: the earlier employment's accounts stay until their own retention ends.
      return { state: 'terminated', accounts: 'disabled', stripMemberships: true, next: { action: 'delete', at: keepUntil }, previousLeaveAt: facts.previousLeaveAt };
    }
    return { state: facts.employment ? 'cancelled' : 'pending', accounts: 'none', stripMemberships: false };
  }

  const { hireAt, leaveAt } = employment;
  if (leaveAt !== undefined && now >= leaveAt) {
    const deleteAt = leaveAt + policy.leaverRetentionMs;
    if (now >= deleteAt) return { state: 'deleted', accounts: 'none', stripMemberships: false };
    return {
      state: 'terminated',
      // Someone whose whole employment is in the past never gets accounts.
      accounts: hasAccounts ? 'disabled' : 'none',
      stripMemberships: hasAccounts,
      next: { action: 'delete', at: deleteAt },
      previousLeaveAt: leaveAt,
    };
  }

  if (now < hireAt) {
    const provisionAt = hireAt - policy.prehireLeadMs;
    // Accounts that already exist (pre-provisioned, or kept from an earlier employment) stay, disabled.
    if (hasAccounts || now >= provisionAt) {
      return { state: 'prehire', accounts: 'disabled', stripMemberships: false, next: { action: 'enable', at: hireAt }, previousLeaveAt: facts.previousLeaveAt };
    }
    return { state: 'pending', accounts: 'none', stripMemberships: false, next: { action: 'provision', at: provisionAt }, previousLeaveAt: facts.previousLeaveAt };
  }

  return {
    state: 'active',
    accounts: 'enabled',
    stripMemberships: false,
    ...(leaveAt === undefined ? {} : { next: { action: 'disable' as const, at: leaveAt } }),
    previousLeaveAt: facts.previousLeaveAt,
  };
}

export type LifecycleEvent = 'hire' | 'rehire' | 'move' | 'leave' | 'rescind-leave' | 'cancel' | 'withdraw-after-hire';

/** Names what a new record means for an auditor, comparing the employment before and after. */
export function describeRecordChange(before: Employment | undefined, after: Employment, previousLeaveAt: number | undefined): LifecycleEvent {
  if (!before) return previousLeaveAt !== undefined && after.hireAt > previousLeaveAt ? 'rehire' : 'hire';
  if (before.leaveAt !== undefined && after.hireAt > before.leaveAt) return 'rehire';
  if (before.leaveAt !== undefined && after.leaveAt === undefined) return 'rescind-leave';
  if (after.leaveAt !== undefined && after.leaveAt !== before.leaveAt) return 'leave';
  return 'move';
}
