import type { AccountStatus, LifecyclePolicy, LifecycleState, ScheduledAction } from '../domain/lifecycle';
import type { HrRecord } from '../domain/hr-record';

/** Everything the entity workflow knows about a person; carried across continue-as-new. */
export interface IdentitySnapshot {
  employeeId: string;
  /** The last applied HR record. */
  record?: HrRecord;
  /** HR withdrew the record: `asOf` orders it against records, `at` is when it took effect. */
  withdrawal?: { asOf: number; at: number };
  policy?: LifecyclePolicy;
  state?: LifecycleState;
  accounts: AccountStatus;
  /** The accounts lag behind the record's attributes (or the manager's entry). */
  attributesStale: boolean;
  previousLeaveAt?: number;
  username?: string;
  workEmail?: string;
  /** What HR was last told; a change starts a new write-back. */
  writtenBack?: { username: string; workEmail: string };
  next?: { action: ScheduledAction; at: number };
  lastError?: string;
  /** Last position written to the identity store, to skip repeats. */
  stored?: { state: LifecycleState; nextAt?: number; lastError?: string };
  /** Per provisioning target, why its last sync failed. */
  targetErrors?: Record<string, string>;
  /** Counter behind idempotency keys; survives continue-as-new. */
  operation: number;
  /** Inbox rows already handled: a redelivered row is dropped without a trace. */
  recentInboxIds: number[];
  /** After a failure that retrying at once cannot fix, try again at this instant. */
  retryAt?: number;
  lifecycle: {
    /** Trigger keys of lifecycle runs already started (the newest few hundred). */
    started: string[];
    /** The next time-triggered run. */
    nextAt?: number;
  };
}

export function initialSnapshot(employeeId: string): IdentitySnapshot {
  return { employeeId, accounts: 'none', attributesStale: false, operation: 0, recentInboxIds: [], lifecycle: { started: [] } };
}

/** Keeps the newest `limit` entries of a list that grows by appending. */
export function remember<T>(list: T[], item: T, limit: number): void {
  list.push(item);
  if (list.length > limit) list.splice(0, list.length - limit);
}

/** The version stamp of the latest word from HR, record or withdrawal. */
export function latestAsOf(snapshot: IdentitySnapshot): number | undefined {
  const stamps = [snapshot.record?.asOf, snapshot.withdrawal?.asOf].filter((v): v is number => v !== undefined);
  return stamps.length === 0 ? undefined : Math.max(...stamps);
}
