import { z } from '@hono/zod-openapi';
import type { AssignmentRow, DecisionRow, RequestRow } from '../db/queries/access';
import type { AccessPackageVersion, Approver } from '../domain/access-packages';
import { requestStatuses } from '../domain/access-requests';

// How assignments, requests and packages look in every answer that carries them.

const iso = (date: Date | null) => (date ? date.toISOString() : null);

export const assignmentSchema = z
  .object({
    id: z.string(),
    packageId: z.string(),
    packageName: z.string(),
    employeeId: z.string(),
    source: z.enum(['auto', 'request', 'admin']),
    policyId: z.string().nullable(),
    requestId: z.string().nullable(),
    grantedBy: z.string(),
    reason: z.string().nullable(),
    status: z.enum(['active', 'grace', 'held', 'ended']),
    heldReason: z.string().nullable().meta({ description: 'Why an automatic assignment waits: the separation-of-duties conflict' }),
    startsAt: z.string(),
    endsAt: z.string().nullable(),
    graceUntil: z.string().nullable(),
    endedAt: z.string().nullable(),
    endReason: z.string().nullable(),
  })
  .meta({ id: 'AccessAssignment' });

export function presentAssignment(row: AssignmentRow, packages: Map<string, { name: string }>) {
  return {
    id: row.id,
    packageId: row.packageId,
    packageName: packages.get(row.packageId)?.name ?? row.packageId,
    employeeId: row.employeeId,
    source: row.source,
    policyId: row.policyId,
    requestId: row.requestId,
    grantedBy: row.grantedBy,
    reason: row.reason,
    status: row.status,
    heldReason: row.heldReason,
    startsAt: row.startsAt.toISOString(),
    endsAt: iso(row.endsAt),
    graceUntil: iso(row.graceUntil),
    endedAt: iso(row.endedAt),
    endReason: row.endReason,
  };
}

export const decisionSchema = z.object({ stage: z.number().int(), approver: z.string(), decision: z.enum(['approve', 'deny', 'escalate']), justification: z.string().nullable(), via: z.string(), decidedAt: z.string() });

export const requestSchema = z
  .object({
    id: z.string(),
    kind: z.enum(['new', 'extension']),
    packageId: z.string(),
    packageVersion: z.number().int(),
    policyId: z.string(),
    employeeId: z.string(),
    requestedBy: z.string(),
    assignmentId: z.string().nullable(),
    justification: z.string().nullable(),
    requestedEnd: z.string().nullable(),
    status: z.enum(requestStatuses),
    stage: z.number().int().meta({ description: 'The stage waiting for a decision (1-based); 0 before the first' }),
    stageCount: z.number().int(),
    approvers: z.array(z.string()).meta({ description: 'Who may decide the current stage' }),
    stageDeadline: z.string().nullable(),
    outcomeReason: z.string().nullable(),
    createdAt: z.string(),
    decidedAt: z.string().nullable(),
    decisions: z.array(decisionSchema).optional(),
  })
  .meta({ id: 'AccessRequest' });

export function presentRequest(row: RequestRow, decisions?: DecisionRow[]) {
  return {
    id: row.id,
    kind: row.kind,
    packageId: row.packageId,
    packageVersion: row.packageVersion,
    policyId: row.policyId,
    employeeId: row.employeeId,
    requestedBy: row.requestedBy,
    assignmentId: row.assignmentId,
    justification: row.justification,
    requestedEnd: iso(row.requestedEnd),
    status: row.status,
    stage: row.stage,
    stageCount: row.stageCount,
    approvers: row.approvers,
    stageDeadline: iso(row.stageDeadline),
    outcomeReason: row.outcomeReason,
    createdAt: row.createdAt.toISOString(),
    decidedAt: iso(row.decidedAt),
    ...(decisions ? { decisions: decisions.map((d) => ({ stage: d.stage, approver: d.approver, decision: d.decision, justification: d.justification, via: d.via, decidedAt: d.decidedAt.toISOString() })) } : {}),
  };
}

function describeApprover(a: Approver): string {
  if (a.type === 'manager') return 'the manager';
  if (a.type === 'second-level-manager') return "the manager's manager";
  if (a.type === 'people') return a.employeeIds.join(', ');
  if (a.type === 'catalog-owners') return 'the catalog owners';
  if (a.type === 'sponsors') return "the guest organisation's sponsors";
  return `people matching ${a.rule}`;
}

export const requestablePackageSchema = z
  .object({
    id: z.string(),
    catalog: z.string(),
    name: z.string(),
    description: z.string().nullable(),
    resources: z.array(z.object({ target: z.string(), group: z.string() })),
    policies: z.array(
      z.object({
        id: z.string(),
        justification: z.enum(['required', 'optional']),
        lifetime: z.string().meta({ description: 'e.g. "P90D", "until 2027-03-31", "no end"' }),
        stages: z.array(z.object({ name: z.string().nullable(), approvers: z.array(z.string()), fallback: z.array(z.string()), deadline: z.string(), onDeadline: z.enum(['escalate', 'deny']) })),
      }),
    ),
    conflict: z.string().nullable().meta({ description: 'Why the person cannot hold it next to what they hold (separation of duties)' }),
  })
  .meta({ id: 'RequestablePackage' });

export function presentRequestable(accessPackage: AccessPackageVersion, policies: Extract<AccessPackageVersion['policies'][number], { type: 'request' }>[], conflict: string | undefined) {
  return {
    id: accessPackage.id,
    catalog: accessPackage.catalog,
    name: accessPackage.name,
    description: accessPackage.description ?? null,
    resources: accessPackage.resources,
    policies: policies.map((p) => ({
      id: p.id,
      justification: p.justification,
      lifetime: 'duration' in p.lifetime ? p.lifetime.duration : 'until' in p.lifetime ? `until ${p.lifetime.until}` : 'no end',
      stages: p.stages.map((s) => ({ name: s.name ?? null, approvers: s.approvers.map(describeApprover), fallback: s.fallback.map(describeApprover), deadline: s.deadline, onDeadline: s.onDeadline })),
    })),
    conflict: conflict ?? null,
  };
}
