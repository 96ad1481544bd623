import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { AccessDecision, AccessRequestState } from '../domain/access-requests';
import type { CampaignState, ReviewDecisionBatch } from '../domain/access-reviews';
import type { LifecyclePolicy } from '../domain/lifecycle';
import type { HrRecord } from '../domain/hr-record';
import type { SyncOutcome } from '../activities/provisioning';
import type { IdentityCarry, IdentitySnapshot } from './identity-state';

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
  /** The person and every accepted, unfinished message, carried across continue-as-new. */
  carried?: IdentityCarry;
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

/** A target whose breaker was open is back: bring this person's accounts on it up to date. */
export const targetResumedSignal = defineSignal<[]>('targetResumed');

/** One watch per target and deployment (task queue): probes an open or quarantined breaker. */
export const targetBreakerWorkflowId = (taskQueue: string, target: string): string => `target-breaker:${taskQueue}:${target}`;
/** One rollout per deployment (task queue), package and version: a saved package change asked of everyone already known. */
export const accessRolloutWorkflowId = (taskQueue: string, packageId: string, version: number): string => `access-rollout:${taskQueue}:${packageId}:v${version}`;
export interface AccessRolloutInput {
  /** Its access_rollouts row, which holds the pace and the progress. */
  rolloutId: number;
  packageId: string;
  version: number;
}

/** An operator asks the watch to probe its target now. */
export const probeTargetSignal = defineSignal<[]>('probeTarget');

/** A custom extension that was launched and waited for reports back. */
export const resumeTaskUpdate = defineUpdate<{ accepted: true }, [ResumeTask]>('resumeTask');

export const lifecycleRunWorkflowId = (definitionId: string, employeeId: string, suffix: string): string => `lifecycle-${definitionId}-${employeeId}-${suffix}`;

export const employeeIdSearchAttribute = defineSearchAttributeKey('EmployeeId', SearchAttributeType.KEYWORD);
export const lifecycleStateSearchAttribute = defineSearchAttributeKey('LifecycleState', SearchAttributeType.KEYWORD);
export const departmentSearchAttribute = defineSearchAttributeKey('Department', SearchAttributeType.KEYWORD);
export const lifecycleWorkflowSearchAttribute = defineSearchAttributeKey('LifecycleWorkflow', SearchAttributeType.KEYWORD);

/** Registered on the dev server at start; a production cluster needs the same ones. */
export const searchAttributeNames = ['EmployeeId', 'LifecycleState', 'Department', 'LifecycleWorkflow'] as const;

/** The person's access changed outside their own records (a request approved, an administrator's grant or removal, a policy changed): plan it again. */
export const accessChangedSignal = defineSignal<[]>('accessChanged');

export const accessRequestWorkflowId = (requestId: string): string => `access-request-${requestId}`;
/** An approver decides the current stage; the validator admits only a current approver. Answers the request's new state. */
export const decideAccessRequestUpdate = defineUpdate<AccessRequestState, [AccessDecision]>('decideAccessRequest');
export const accessRequestStateQuery = defineQuery<AccessRequestState>('accessRequestState');
/** A launched-and-waiting custom extension at a request stage reports back. */
export const resumeAccessHookUpdate = defineUpdate<{ accepted: true }, [{ on: string; outcome: 'completed' | 'failed'; message?: string }]>('resumeAccessHook');
/** An administrator or the requester withdraws a pending request. */
export const cancelAccessRequestUpdate = defineUpdate<AccessRequestState, [{ by: string; reason: string }]>('cancelAccessRequest');

/** A review's schedule, and the base of its campaigns' workflow ids (the schedule adds the occurrence's instant). */
export const accessReviewScheduleId = (taskQueue: string, reviewId: string): string => `access-review:${taskQueue}:${reviewId}`;
/** The workflow that takes the decisions on one batch of a campaign stage's items. */
export const reviewBatchWorkflowId = (campaignId: string, stage: number, batch: number): string => `${campaignId}/s${stage}/b${batch}`;
/** A reviewer decides items of the batch; the validator admits only each item's reviewer while the stage is open. */
export const decideReviewItemsUpdate = defineUpdate<{ recorded: number }, [ReviewDecisionBatch]>('decideReviewItems');
export const reviewBatchProgressQuery = defineQuery<{ items: number; decided: number; open: boolean }>('reviewBatchProgress');
/** A batch workflow has loaded its items and takes decisions. */
export const reviewBatchReadySignal = defineSignal<[{ stage: number; batch: number }]>('reviewBatchReady');
export const campaignStateQuery = defineQuery<CampaignState>('campaignState');
/** An administrator ends the open stage now (and with it the campaign's later stages). */
export const stopReviewSignal = defineSignal<[{ by: string }]>('stopReview');
/** An administrator asks for a reminder to every reviewer with undecided items now. */
export const remindReviewersSignal = defineSignal<[{ by: string }]>('remindReviewers');
/** An administrator applies a campaign that waits for it (apply: manual). */
export const applyReviewSignal = defineSignal<[{ by: string }]>('applyReview');

/** The workflow that mails one guest sign-in code. */
export const guestSignInCodeWorkflowId = (sendId: string): string => `guest-code-${sendId}`;
