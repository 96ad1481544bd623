import type { HrRecord } from '../domain/hr-record';
import type { LifecycleEvent, LifecycleState, ScheduledAction } from '../domain/lifecycle';

/** Who asked for a step and where it sits in the workflow, for audit rows and idempotency keys. */
export interface Cause {
  actor: string;
  workflowId: string;
  runId: string;
  /** Stable across retries and replays of the same step: `{workflowId}:{firstRunId}:{operation}`. */
  key: string;
}



export interface RecordLifecycleStateInput {
  employeeId: string;
  from: LifecycleState | undefined;
  to: LifecycleState;
  next?: { action: ScheduledAction; at: number };
  lastError?: string;
  /** Per target, why its last sync failed; targets that succeeded are absent. */
  targetErrors?: Record<string, string>;
  /** Per target, an account owed but not there while its breaker is not closed. */
  waiting?: Record<string, { since: string; reason: string }>;
  cause: Cause;
}

export interface ApplyHrRecordInput {
  employeeId: string;
  inboxId: number;
  /** The record as stored in the inbox row `inboxId` (the workflow received it with the row's id). */
  record: HrRecord;
  event: LifecycleEvent;
  changed: string[];
  cause: Cause;
}

export interface IgnoredDeliveryInput {
  employeeId: string;
  inboxId: number;
  outcome: 'stale' | 'duplicate';
  reason: string;
  cause: Cause;
}

