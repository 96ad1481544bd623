import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { LifecyclePolicy } from '../domain/lifecycle';
import type { HrRecord } from '../domain/hr-record';
import type { SyncOutcome } from '../activities/provisioning';
import type { IdentitySnapshot } from './identity-state';

// What the API and the worker agree on: message definitions, ids and search attributes.
// Imported by api/, so it must stay free of anything but definitions.

export const identityWorkflowId = (employeeId: string): string => `identity-${employeeId}`;
export const hrWritebackWorkflowId = (employeeId: string): string => `hr-writeback-${employeeId}`;

interface DeliveryBase {
  /** hr_inbox row id: the record is stored before it is delivered. */
  inboxId: number;
  /** Who sent it (API key name), for the audit trail. */
  actor: string;
  receivedAt: number;
  policy: LifecyclePolicy;
}

export type HrDelivery =
  | (DeliveryBase & { kind: 'upsert'; asOf: number; record: HrRecord })
  | (DeliveryBase & { kind: 'withdraw'; asOf: number });

export interface IdentityWorkflowInput {
  employeeId: string;
  /** State carried across continue-as-new. */
  carried?: IdentitySnapshot;
  /** Deliveries that arrived while the previous run was closing. */
  pending?: HrDelivery[];
  /** On-demand run requests that arrived while the previous run was closing. */
  pendingOnDemand?: OnDemandRun[];
  /** Continue-as-new after this many history events (default 5,000; tests use less). */
  maxHistoryEvents?: number;
}

export const hrRecordSignal = defineSignal<[HrDelivery]>('hrRecord');
/** A manager's account appeared, changed or went: refresh the manager reference. */
export const managerAccountChangedSignal = defineSignal<[]>('managerAccountChanged');
export const identityStateQuery = defineQuery<IdentitySnapshot>('identityState');

/** Lifecycle workflow definitions changed: plan this person's runs again. */
export const lifecycleDefinitionsChangedSignal = defineSignal<[]>('lifecycleDefinitionsChanged');

export interface OnDemandRun {
  definitionId: string;
  /** Unique per request, so a repeated request starts no second run. */
  requestId: string;
  requestedBy: string;
}
/** Run a lifecycle workflow for this person now (on-demand). */
export const runLifecycleWorkflowSignal = defineSignal<[OnDemandRun]>('runLifecycleWorkflow');

export interface GroupMembershipChange {
  group: string;
  change: 'added' | 'removed';
  /** Unique per change (run and task), for the runs it triggers. */
  key: string;
}
/** A lifecycle task changed the person's group memberships. */
export const groupMembershipChangedSignal = defineSignal<[GroupMembershipChange]>('groupMembershipChanged');

export interface ResumeTask {
  taskId: string;
  outcome: 'completed' | 'failed';
  message?: string;
}
/** Apply the desired state to every target now; answers each target's outcome. */
export const provisionNowUpdate = defineUpdate<ProvisionNowResult, []>('provisionNow');
export interface ProvisionNowResult {
  outcomes: SyncOutcome[];
  state: string;
  lastError?: string;
}

/** The periodic sweep: compare every account with its desired state and put drift right. */
export const reconcileSignal = defineSignal<[]>('reconcile');

/** A paused target is back: bring this person's accounts on it up to date. */
export const targetResumedSignal = defineSignal<[]>('targetResumed');

/** A custom extension that was launched and waited for reports back. */
export const resumeTaskUpdate = defineUpdate<{ accepted: true }, [ResumeTask]>('resumeTask');

export const lifecycleRunWorkflowId = (definitionId: string, employeeId: string, suffix: string): string => `lifecycle-${definitionId}-${employeeId}-${suffix}`;

export const employeeIdSearchAttribute = defineSearchAttributeKey('EmployeeId', SearchAttributeType.KEYWORD);
export const lifecycleStateSearchAttribute = defineSearchAttributeKey('LifecycleState', SearchAttributeType.KEYWORD);
export const departmentSearchAttribute = defineSearchAttributeKey('Department', SearchAttributeType.KEYWORD);
export const lifecycleWorkflowSearchAttribute = defineSearchAttributeKey('LifecycleWorkflow', SearchAttributeType.KEYWORD);

/** Registered on the dev server at start; a production cluster needs the same ones. */
export const searchAttributeNames = ['EmployeeId', 'LifecycleState', 'Department', 'LifecycleWorkflow'] as const;
