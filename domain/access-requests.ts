import type { Approver, RequestPolicy } from './access-packages';

// Access requests as the API and the request workflow both see them, and who may decide a stage.

export const requestStatuses = ['pending', 'approved', 'denied', 'cancelled', 'failed'] as const;
export type RequestStatus = (typeof requestStatuses)[number];

/** Where a request stands: what the request workflow answers after each decision. */
export interface AccessRequestState {
  requestId: string;
  status: RequestStatus;
  /** The stage waiting for a decision (1-based), or the last one decided. */
  stage: number;
  stageCount: number;
  /** Who may decide the current stage. */
  approvers: string[];
  /** When the current stage ends (epoch ms). */
  deadline?: number;
  reason?: string;
}

export interface AccessDecision {
  /** The approver's employee id. */
  approver: string;
  decision: 'approve' | 'deny';
  justification?: string;
  via: 'api' | 'link' | 'portal';
}

/** Why a decision is not taken; the request is unchanged. */
export function refusalOfDecision(state: AccessRequestState, decision: AccessDecision, people: { requestedBy: string; employeeId: string }, decided: boolean): string | undefined {
  if (state.status !== 'pending' || state.stage === 0 || decided) return `request ${state.requestId} is not waiting for a decision`;
  if (decision.approver === people.requestedBy || decision.approver === people.employeeId) return 'you cannot decide your own request';
  if (!state.approvers.includes(decision.approver)) return `${decision.approver} is not an approver of stage ${state.stage} of request ${state.requestId}`;
  return undefined;
}

/** A person as approver resolution sees them. */
export interface Candidate {
  employeeId: string;
  /** Only people still here approve: not terminated, deleted or cancelled. */
  active: boolean;
  managerEmployeeId?: string;
}

export interface ApproverContext {
  beneficiary: Candidate;
  /** Looks up a person by employee id. */
  person: (employeeId: string) => Candidate | undefined;
  catalogOwners: string[];
  /** Everyone still here who matches the rule. */
  matching: (rule: string) => string[];
  /** The sponsors of the beneficiary's connected organisation, for a guest. */
  sponsors?: string[];
}

/** The employee ids a list of approver specifications names, present people only, without the requester or the beneficiary. */
export function resolveApprovers(specs: Approver[], context: ApproverContext, excluded: string[]): string[] {
  const found: string[] = [];
  const add = (id: string | undefined) => {
    if (!id || excluded.includes(id) || found.includes(id)) return;
    if (context.person(id)?.active) found.push(id);
  };
  const manager = context.beneficiary.managerEmployeeId;
  for (const spec of specs) {
    if (spec.type === 'manager') add(manager);
    else if (spec.type === 'second-level-manager') add(manager ? context.person(manager)?.managerEmployeeId : undefined);
    else if (spec.type === 'people') spec.employeeIds.forEach(add);
    else if (spec.type === 'catalog-owners') context.catalogOwners.forEach(add);
    else if (spec.type === 'sponsors') (context.sponsors ?? []).forEach(add);
    else context.matching(spec.rule).forEach(add);
  }
  return found;
}

/** Whether a request policy lets this person ask. */
export function mayRequest(policy: RequestPolicy, matches: (rule: string) => boolean): boolean {
  return policy.requestors.type === 'everyone' || (policy.requestors.type === 'rule' && matches(policy.requestors.rule));
}
