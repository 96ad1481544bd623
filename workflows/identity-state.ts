import { isGuestId, type GuestStanding } from '../domain/guest-lifecycle';
import type { AccountStatus, LifecyclePolicy, LifecycleState, ScheduledAction } from '../domain/lifecycle';
import type { HrRecord } from '../domain/hr-record';
import type { AttributeChange } from '../domain/lifecycle-runs';
import type { GroupMembershipChange, HrDelivery, OnDemandRun } from './messages';

/**
 * Everything a run of the person's workflow hands to the next at continue-as-new: the person,
 * and every message a handler accepted that has not been acted on yet. A handler may only
 * accept what lands here, or what is finished before the run closes (provision-now).
 */
export interface IdentityCarry {
  snapshot: IdentitySnapshot;
  /** HR deliveries not applied yet, in arrival order. */
  inbox: HrDelivery[];
  triggers: LifecycleTriggers;
  /** The accounts must be compared with the desired state (drift sweep). */
  sweepAsked: boolean;
  /** The manager's entry changed or a target came back: attributes must be written again. */
  refreshAsked: boolean;
  /** The person's access must be planned again (a record arrived, a request was decided, a policy changed). */
  accessAsked: boolean;
}

/** What asks for lifecycle runs and has not started them yet. */
export interface LifecycleTriggers {
  /** Attribute changes of the last applied record, with the values before it. */
  changes?: { key: string; list: AttributeChange[]; previous: Record<string, string | undefined> };
  groupChanges: GroupMembershipChange[];
  onDemand: OnDemandRun[];
  /** Definitions changed (or a run began): plan the time-triggered runs again. */
  definitionsChanged: boolean;
}

export function freshCarry(employeeId: string): IdentityCarry {
  // A new run plans lifecycle runs once at start, so a changed code path sees every definition.
  return { snapshot: initialSnapshot(employeeId), inbox: [], triggers: { groupChanges: [], onDemand: [], definitionsChanged: true }, sweepAsked: false, refreshAsked: false, accessAsked: false };
}

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
  stored?: { state: LifecycleState; nextAt?: number; lastError?: string; waiting?: string };
  /** Per provisioning target, why its last sync failed. */
  targetErrors?: Record<string, string>;
  /** Per provisioning target, an account owed while the target's breaker is not closed. */
  waiting?: Record<string, { since: string; reason: string }>;
  /** Counter behind idempotency keys; survives continue-as-new. */
  operation: number;
  /** Inbox rows already handled: a redelivered row is dropped without a trace. */
  recentInboxIds: number[];
  /** After a failure that retrying at once cannot fix, try again at this instant. */
  retryAt?: number;
  /** Access packages: when the plan next changes by itself, the state it was planned for, mail owed. */
  access?: { nextAt?: number; state?: LifecycleState; noticesDue?: boolean };
  /** A guest's life, which follows their access rather than HR (see domain/guest-lifecycle.ts). */
  guest?: GuestStanding;
  lifecycle: {
    /** Trigger keys of lifecycle runs already started (the newest few hundred). */
    started: string[];
    /** The next time-triggered run. */
    nextAt?: number;
  };
}

export function initialSnapshot(employeeId: string): IdentitySnapshot {
  return { employeeId, accounts: 'none', attributesStale: false, operation: 0, recentInboxIds: [], lifecycle: { started: [] }, ...(isGuestId(employeeId) ? { guest: { admitted: false } } : {}) };
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
