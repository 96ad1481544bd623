import { randomBytes } from 'node:crypto';
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { findPackage, insertRequest, listRequests, liveAssignments, listPackages, toAssignmentFact, updateRequest, type RequestRow } from '../db/queries/access';
import { appendAuditEvents } from '../db/queries/audit';
import { findIdentity, identityFacts, type IdentityRow } from '../db/queries/identities';
import { isLeaving, ruleGroupsOf } from '../domain/access-impact';
import { assignmentEnd, type AccessPackageVersion, type RequestPolicy } from '../domain/access-packages';
import { conflictFor, heldPackages, matches } from '../domain/access-planner';
import { mayRequest, type AccessDecision, type AccessRequestState } from '../domain/access-requests';
import { admitsGuest } from '../domain/connected-organisations';
import { accessRequestWorkflowId, cancelAccessRequestUpdate, decideAccessRequestUpdate } from '../workflows/messages';
import { presentRequestable } from './access-schemas';
import type { AppDeps } from './app';
import { ApiError } from './errors';

// Asking for access and deciding on it, for every door that leads there (the API for a person
// or an administrator, approval links, the portal): the same checks, the same workflow.

/** The groups the person's target rules give them. */
export const ruleGroupsFor = (deps: AppDeps, identity: IdentityRow) => ruleGroupsOf(deps.config.targets, identityFacts(identity, false).attributes);

/** Why this person cannot hold the package next to what they hold, or undefined. */
export async function conflictOf(deps: AppDeps, identity: IdentityRow, accessPackage: AccessPackageVersion): Promise<string | undefined> {
  const [packages, live] = await Promise.all([listPackages(deps.db), liveAssignments(deps.db, identity.employeeId)]);
  return conflictFor(accessPackage, { packages: heldPackages(live.map(toAssignmentFact), packages), groups: ruleGroupsFor(deps, identity) });
}

/** The request policies of a package this requester may use. */
export function requestPoliciesFor(accessPackage: AccessPackageVersion, requester: IdentityRow | undefined): RequestPolicy[] {
  const attributes = requester ? identityFacts(requester, false).attributes : undefined;
  return accessPackage.policies.filter((p): p is RequestPolicy => p.type === 'request' && (attributes === undefined || mayRequest(p, (rule) => matches(rule, attributes))));
}

/** The guest a request is from: the connected organisation decides which policies admit them. */
export interface GuestRequester {
  /** Undefined while their domain belongs to no connected organisation: only policies open to anyone admit them. */
  organisation?: { id: string; state: 'configured' | 'proposed' };
}

/** The request policies of a package a guest of this organisation may use (packages saved before guests existed admit none). */
export function guestPoliciesFor(accessPackage: AccessPackageVersion, guest: GuestRequester): RequestPolicy[] {
  return accessPackage.policies.filter((p): p is RequestPolicy => p.type === 'request' && admitsGuest(p.guests, guest.organisation));
}

/** The enabled packages this person may request, each with its request policies and any separation-of-duties conflict. */
export async function requestablePackages(deps: AppDeps, identity: IdentityRow): Promise<ReturnType<typeof presentRequestable>[]> {
  const items = [];
  for (const accessPackage of await listPackages(deps.db)) {
    const policies = requestPoliciesFor(accessPackage, identity);
    if (!accessPackage.enabled || policies.length === 0) continue;
    items.push(presentRequestable(accessPackage, policies, await conflictOf(deps, identity, accessPackage)));
  }
  return items;
}

export interface NewRequest {
  employeeId: string;
  /** The employee id of the person asking, or (an administrator on someone's behalf) the API key's name. */
  requestedBy: string;
  /** The person asking, when a person asks: the policy's requestors rule applies to them. */
  requester?: IdentityRow;
  /** A guest asking for themselves: the policy's guests setting applies, and they need not be an identity yet. */
  guest?: GuestRequester;
  packageId: string;
  policyId?: string;
  justification?: string;
  until?: string;
  /** An extension of this assignment, through the same policy. */
  extends?: { assignmentId: string; policyId?: string };
}

/** Checks a request as the policy wants it, stores it and starts its workflow; every refusal names the field. */
export async function startAccessRequest(deps: AppDeps, input: NewRequest): Promise<RequestRow> {
  const identity = await findIdentity(deps.db, input.employeeId);
  // A guest is an identity from their first approval on; blocked or deleted, they may ask again.
  if (!identity && !input.guest) throw new ApiError(404, 'not_found', `no identity ${input.employeeId}`, [{ path: 'employeeId', message: 'no such person' }]);
  if (identity && !input.guest && isLeaving(identity.state)) throw new ApiError(409, 'left', `the person ${input.employeeId} has left`, [{ path: 'employeeId', message: `the person is ${identity.state}` }]);
  const accessPackage = await findPackage(deps.db, input.packageId);
  if (!accessPackage) throw new ApiError(404, 'not_found', `no access package ${input.packageId}`, [{ path: 'packageId', message: 'no such package' }]);
  if (!accessPackage.enabled) throw new ApiError(409, 'disabled', `${input.packageId} cannot be requested now`, [{ path: 'packageId', message: 'the package is disabled' }]);
  const allowed = input.guest ? guestPoliciesFor(accessPackage, input.guest) : requestPoliciesFor(accessPackage, input.requester);
  const policyId = input.extends?.policyId ?? input.policyId;
  const policy = policyId ? allowed.find((p) => p.id === policyId) : allowed[0];
  if (!policy) {
    const field = policyId ? 'policyId' : 'packageId';
    throw new ApiError(403, 'not_requestable', `${input.requestedBy} may not request ${input.packageId}${policyId ? ` under policy ${policyId}` : ''}`, [{ path: field, message: 'no request policy of this package admits the requester' }]);
  }
  if (policy.justification === 'required' && !input.justification?.trim()) throw new ApiError(400, 'validation_failed', 'a justification is required', [{ path: 'justification', message: 'this package asks for a reason' }]);
  const now = deps.now().getTime();
  const until = input.until === undefined ? undefined : Date.parse(input.until);
  const end = assignmentEnd(policy.lifetime, now, until);
  if (end.problem) throw new ApiError(400, 'validation_failed', end.problem, [{ path: 'until', message: end.problem }]);
  const employeeId = input.employeeId;
  if (!input.extends) {
    const live = await liveAssignments(deps.db, employeeId);
    if (live.some((a) => a.packageId === accessPackage.id && a.status !== 'held' && a.source !== 'auto')) throw new ApiError(409, 'already_held', `${employeeId} already holds ${accessPackage.id}`, [{ path: 'packageId', message: 'already held: ask for an extension instead' }]);
    const conflict = identity ? await conflictOf(deps, identity, accessPackage) : undefined;
    if (conflict) throw new ApiError(409, 'conflict', `separation of duties: ${conflict}`, [{ path: 'packageId', message: conflict }]);
  }
  const pending = await listRequests(deps.db, { employeeId, status: 'pending', packageId: accessPackage.id, limit: 1 });
  if (pending.length > 0) throw new ApiError(409, 'duplicate', `request ${pending[0]!.id} for ${accessPackage.id} is still pending`, [{ path: 'packageId', message: 'a request for this package is pending' }]);

  const id = `r${randomBytes(6).toString('hex')}`;
  const row = await deps.db.transaction(async (tx) => {
    const stored = await insertRequest(tx, {
      id,
      kind: input.extends ? 'extension' : 'new',
      packageId: accessPackage.id,
      packageVersion: accessPackage.version,
      policyId: policy.id,
      employeeId,
      requestedBy: input.requestedBy,
      assignmentId: input.extends?.assignmentId ?? null,
      justification: input.justification?.trim() || null,
      requestedEnd: until === undefined ? null : new Date(until),
      status: 'pending',
      stageCount: policy.stages.length,
    });
    await appendAuditEvents(tx, [
      {
        employeeId,
        kind: input.extends ? 'request.extension-requested' : 'request.created',
        actor: input.requestedBy,
        system: 'access',
        summary: `${input.requestedBy} asked for ${accessPackage.name}${input.extends ? ' to be extended' : ''} (policy ${policy.id}, ${policy.stages.length} stage(s))`,
        details: { requestId: id, packageId: accessPackage.id, policyId: policy.id, justification: input.justification ?? null, until: input.until ?? null },
        workflowId: accessRequestWorkflowId(id),
        idempotencyKey: `${accessRequestWorkflowId(id)}:created`,
      },
    ]);
    return stored;
  });
  try {
    await deps.temporal.client.workflow.start('accessRequestWorkflow', { workflowId: accessRequestWorkflowId(id), taskQueue: deps.temporal.taskQueue, args: [{ requestId: id }] });
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) {
      await updateRequest(deps.db, id, { status: 'failed', outcomeReason: 'its workflow could not be started' });
      throw error;
    }
  }
  return row;
}

/** Takes an approver's decision to the request workflow; a refusal (not theirs to decide, their own request, decided already) is a 403 and changes nothing. */
export async function decideAccessRequest(deps: AppDeps, requestId: string, decision: AccessDecision): Promise<AccessRequestState> {
  const { client } = deps.temporal;
  try {
    // The answer is the state after the decision: worth waiting for, within a bound.
    return await client.withDeadline(Date.now() + decisionWaitMs, () => client.workflow.getHandle(accessRequestWorkflowId(requestId)).executeUpdate(decideAccessRequestUpdate, { args: [decision] }));
  } catch (error) {
    throw refusal(error, requestId);
  }
}

export async function cancelAccessRequest(deps: AppDeps, requestId: string, by: string, reason: string): Promise<AccessRequestState> {
  try {
    return await deps.temporal.client.workflow.getHandle(accessRequestWorkflowId(requestId)).executeUpdate(cancelAccessRequestUpdate, { args: [{ by, reason }] });
  } catch (error) {
    throw refusal(error, requestId);
  }
}

/** How long a decision waits for the request workflow to settle it (a worker restarting takes a while). */
const decisionWaitMs = 60_000;

function refusal(error: unknown, requestId: string): unknown {
  if (error instanceof WorkflowUpdateFailedError) return new ApiError(403, 'refused', (error.cause?.message ?? error.message).split('\n')[0]!);
  // A request that was decided has no workflow left to ask.
  if (error instanceof WorkflowNotFoundError || (error as Error).message?.includes('already completed')) return new ApiError(409, 'decided', `request ${requestId} is not pending`);
  return error;
}
