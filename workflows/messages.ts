import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { LifecyclePolicy } from '../domain/lifecycle';
import type { HrRecord } from '../domain/hr-record';
import type { IdentitySnapshot } from './identity-state';

// What the API and the worker agree on: message definitions, ids and search attributes.
// Imported by api/, so it must stay free of anything but definitions.

export const defaultTaskQueue = 'tenure-lifecycle';

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
  /** Continue-as-new after this many history events (default 5,000; tests use less). */
  maxHistoryEvents?: number;
}

export const hrRecordSignal = defineSignal<[HrDelivery]>('hrRecord');
/** A manager's account appeared, changed or went: refresh the manager reference. */
export const managerAccountChangedSignal = defineSignal<[]>('managerAccountChanged');
export const identityStateQuery = defineQuery<IdentitySnapshot>('identityState');

export const employeeIdSearchAttribute = defineSearchAttributeKey('EmployeeId', SearchAttributeType.KEYWORD);
export const lifecycleStateSearchAttribute = defineSearchAttributeKey('LifecycleState', SearchAttributeType.KEYWORD);
export const departmentSearchAttribute = defineSearchAttributeKey('Department', SearchAttributeType.KEYWORD);

/** Registered on the dev server at start; a production cluster needs the same three. */
export const searchAttributeNames = ['EmployeeId', 'LifecycleState', 'Department'] as const;
