import { randomBytes } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/activity';
import type { Db } from '../db/client';
import { approvalTokenHash, findCatalog, findPackage, findRequest, insertDecision, markApprovalLinkSent, replaceApprovalLink, stageLink, updateRequest, type RequestRow } from '../db/queries/access';
import { extendAssignment, grantAssignment, type AccessCause } from '../db/queries/access-changes';
import { appendAuditEvents } from '../db/queries/audit';
import { findGuest, findOrganisation } from '../db/queries/guests';
import { findIdentity, identityFacts, listIdentities, type IdentityRow } from '../db/queries/identities';
import { isGuestId } from '../domain/guest-lifecycle';
import { accessMailTemplates, type AccessMailKind } from '../domain/access-mail';
import { assignmentEnd, type AccessPackageVersion, type RequestPolicy } from '../domain/access-packages';
import { matches } from '../domain/access-planner';
import { resolveApprovers, type AccessDecision, type Candidate, type RequestStatus } from '../domain/access-requests';
import { formatDate, renderTemplate } from '../domain/mail-templates';
import { parseExactDuration } from '../domain/time';
import type { CompiledTarget } from '../domain/targets';
import { leavingStates, ruleGroupsOf } from '../domain/access-impact';
import { MailRejectedError, type Mailer } from './connectors/mailer';
import { isRefusal, postWebhook } from './connectors/signed-webhook';

// What an access request workflow does at each step: open a stage (who may decide, the mail with
// their single-use links), record decisions, grant or extend the access, call the policy's
// extensions, and close the request — each step idempotent.

export interface AccessRequestDeps {
  db: Db;
  mailer: Mailer;
  targets: CompiledTarget[];
  mail: { organizationName: string; defaultLocale: string };
  extensions: Record<string, { url: string; secret: string }>;
  publicUrl: string;
  now: () => Date;
}

const permanent = (type: string, message: string) => ApplicationFailure.create({ type, message, nonRetryable: true });


/** The person a request is for, as approvals and mail need them. */
interface Beneficiary {
  candidate: Candidate;
  displayName: string;
  givenName: string;
  timeZone: string;
  address?: string;
  /** Their connected organisation's sponsors, for a guest. */
  sponsors: string[];
}

const addressOf = (person: IdentityRow | undefined) => person?.workEmail ?? person?.record.workEmail ?? person?.record.personalEmail ?? undefined;

export interface RequestPlan {
  employeeId: string;
  requestedBy: string;
  stageCount: number;
  hooks: { on: 'created' | 'approved' | 'denied'; extension: string; mode: 'launch-and-continue' | 'launch-and-wait'; timeoutMs: number }[];
}

export interface OpenedStage {
  approvers: string[];
  deadlineMs: number;
  onDeadline: 'escalate' | 'deny';
  /** The stage can still be handed to its fallback approvers. */
  canEscalate: boolean;
}

export function createAccessRequestActivities(deps: AccessRequestDeps) {
  const { db } = deps;

  async function load(requestId: string): Promise<{ request: RequestRow; accessPackage: AccessPackageVersion; policy: RequestPolicy }> {
    const request = await findRequest(db, requestId);
    if (!request) throw permanent('RequestMissing', `no access request ${requestId}`);
    const accessPackage = await findPackage(db, request.packageId, request.packageVersion);
    const policy = accessPackage?.policies.find((p) => p.id === request.policyId);
    if (!accessPackage || !policy || policy.type !== 'request') throw permanent('PolicyMissing', `package ${request.packageId} v${request.packageVersion} has no request policy ${request.policyId}`);
    return { request, accessPackage, policy };
  }

  const candidate = (row: IdentityRow): Candidate => ({ employeeId: row.employeeId, active: !leavingStates.includes(row.state as never), managerEmployeeId: row.managerEmployeeId ?? undefined });

  async function people(ids: string[]): Promise<Map<string, Candidate>> {
    const found = new Map<string, Candidate>();
    for (const id of new Set(ids)) {
      const row = await findIdentity(db, id);
      if (row) found.set(id, candidate(row));
    }
    return found;
  }

  /** Everyone still here who matches a rule, read page by page. */
  async function matchingPeople(rule: string): Promise<string[]> {
    const ids: string[] = [];
    for (let after: string | undefined; ; ) {
      const page = await listIdentities(db, { after, limit: 500 });
      for (const row of page) if (!leavingStates.includes(row.state as never) && matches(rule, identityFacts(row, false).attributes)) ids.push(row.employeeId);
      if (page.length < 500) return ids;
      after = page[page.length - 1]!.employeeId;
    }
  }

  /** The person a request is for: their identity, or a guest who becomes one only on approval. */
  async function beneficiaryOf(employeeId: string): Promise<Beneficiary | undefined> {
    const identity = await findIdentity(db, employeeId);
    const guest = isGuestId(employeeId) ? await findGuest(db, employeeId) : undefined;
    const sponsors = guest ? ((await findOrganisation(db, guest.organisationId))?.sponsors ?? []) : [];
    if (identity) return { candidate: candidate(identity), displayName: identity.displayName, givenName: identity.preferredName ?? identity.givenName, timeZone: identity.timeZone, address: addressOf(identity), sponsors };
    if (!guest) return undefined;
    return { candidate: { employeeId, active: true }, displayName: `${guest.givenName} ${guest.familyName}`, givenName: guest.givenName, timeZone: 'UTC', address: guest.email, sponsors };
  }

  async function mail(kind: AccessMailKind, to: { address?: string } | undefined, values: Record<string, string | undefined>, messageId: string): Promise<boolean> {
    const address = to?.address;
    if (!to || !address) return false;
    const rendered = renderTemplate(accessMailTemplates[kind], { organizationName: deps.mail.organizationName, ...values });
    try {
      await deps.mailer.send({ to: address, subject: rendered.subject, text: rendered.body, locale: deps.mail.defaultLocale, messageId });
      return true;
    } catch (error) {
      // A refused address is a fact about that person; the others still get their mail.
      if (error instanceof MailRejectedError) return false;
      throw error;
    }
  }

  const when = (epochMs: number | undefined, zone: string) => (epochMs === undefined ? undefined : formatDate(epochMs, deps.mail.defaultLocale, zone, true));
  const cause = (request: RequestRow, step: string, actor = 'tenure:access-request'): AccessCause => ({ actor, workflowId: `access-request-${request.id}`, key: `access-request-${request.id}:${step}` });

  return {
    /** What the request workflow needs to know about its request. */
    async beginAccessRequest(input: { requestId: string }): Promise<RequestPlan> {
      const { request, policy } = await load(input.requestId);
      return {
        employeeId: request.employeeId,
        requestedBy: request.requestedBy,
        stageCount: policy.stages.length,
        hooks: policy.hooks.map((h) => ({ on: h.on, extension: h.extension, mode: h.mode, timeoutMs: parseExactDuration(h.timeout) })),
      };
    },

    /**
     * Opens a stage: resolves who may decide it (the fallback when the approvers are missing, or
     * on escalation) and records them and the deadline. Their mail goes out once the workflow
     * can take their decisions (notifyAccessApprovers).
     */
    async openAccessStage(input: { requestId: string; stage: number; escalate: boolean }): Promise<OpenedStage> {
      const { request, accessPackage, policy } = await load(input.requestId);
      const stage = policy.stages[input.stage - 1];
      if (!stage) throw permanent('StageMissing', `request ${request.id} has no stage ${input.stage}`);
      const beneficiary = await beneficiaryOf(request.employeeId);
      if (!beneficiary) throw permanent('IdentityMissing', `no identity ${request.employeeId}`);
      const catalog = await findCatalog(db, accessPackage.catalog);
      const named = stage.approvers.concat(stage.fallback).flatMap((a) => (a.type === 'people' ? a.employeeIds : []));
      const managerId = beneficiary.candidate.managerEmployeeId;
      const known = await people([managerId ?? '', ...named, ...(catalog?.owners ?? []), ...beneficiary.sponsors].filter(Boolean));
      const manager = managerId ? known.get(managerId) : undefined;
      if (manager?.managerEmployeeId && !known.has(manager.managerEmployeeId)) for (const [id, c] of await people([manager.managerEmployeeId])) known.set(id, c);
      const context = { beneficiary: beneficiary.candidate, person: (id: string) => known.get(id), catalogOwners: catalog?.owners ?? [], sponsors: beneficiary.sponsors, matching: (_rule: string) => [] as string[] };
      const ruled = new Map<string, string[]>();
      for (const spec of [...stage.approvers, ...stage.fallback]) if (spec.type === 'rule') ruled.set(spec.rule, await matchingPeople(spec.rule));
      for (const ids of ruled.values()) for (const [id, c] of await people(ids)) known.set(id, c);
      context.matching = (rule) => ruled.get(rule) ?? [];
      const excluded = [request.employeeId, request.requestedBy];
      const primary = input.escalate ? [] : resolveApprovers(stage.approvers, context, excluded);
      const fallback = resolveApprovers(stage.fallback, context, excluded);
      const approvers = primary.length > 0 ? primary : fallback;
      const usedFallback = primary.length === 0 && approvers.length > 0;
      const deadlineMs = parseExactDuration(stage.deadline);
      const deadline = new Date(deps.now().getTime() + deadlineMs);
      await updateRequest(db, request.id, { stage: input.stage, approvers, stageDeadline: deadline });
      const why = input.escalate ? 'escalated at the deadline' : usedFallback ? 'the approvers are missing (no manager, or they left)' : undefined;
      await appendAuditEvents(db, [
        {
          employeeId: request.employeeId,
          kind: 'request.stage-opened',
          actor: 'tenure:access-request',
          system: 'access',
          summary: `stage ${input.stage} of request ${request.id} waits for ${approvers.join(', ') || 'nobody'}${why ? ` (fallback: ${why})` : ''} until ${deadline.toISOString()}`,
          details: { requestId: request.id, stage: input.stage, approvers, deadline: deadline.toISOString(), fallback: why ?? null },
          workflowId: `access-request-${request.id}`,
          idempotencyKey: `access-request-${request.id}:stage-${input.stage}${input.escalate ? ':escalated' : ''}`,
        },
      ]);
      return { approvers, deadlineMs, onDeadline: stage.onDeadline, canEscalate: !input.escalate && stage.onDeadline === 'escalate' && fallback.length > 0 };
    },

    /** Mails each approver of the open stage their single-use link (once each; a link never sent is replaced). */
    async notifyAccessApprovers(input: { requestId: string; stage: number }): Promise<void> {
      const { request, accessPackage, policy } = await load(input.requestId);
      const beneficiary = await beneficiaryOf(request.employeeId);
      if (!beneficiary || request.status !== 'pending' || request.stage !== input.stage || !request.stageDeadline) return;
      const deadline = request.stageDeadline;
      const approvers = request.approvers;
      // A guest asks for themselves and has no identity yet: they are the requester named.
      const requesterName = request.requestedBy === request.employeeId ? beneficiary.displayName : ((await findIdentity(db, request.requestedBy))?.displayName ?? request.requestedBy);
      for (const approver of approvers) {
        const existing = await stageLink(db, request.id, input.stage, approver);
        if (existing?.sentAt) continue;
        const token = randomBytes(32).toString('base64url');
        await replaceApprovalLink(db, { tokenHash: approvalTokenHash(token), requestId: request.id, stage: input.stage, approver, expiresAt: deadline });
        const person = await findIdentity(db, approver);
        const sent = await mail(
          'approvalRequest',
          { address: addressOf(person) },
          {
            approverGivenName: person ? (person.preferredName ?? person.givenName) : approver,
            requesterName,
            displayName: beneficiary.displayName,
            forSomeoneElse: request.requestedBy !== request.employeeId ? 'yes' : undefined,
            packageName: accessPackage.name,
            endsAt: when(request.requestedEnd?.getTime(), beneficiary.timeZone),
            justification: request.justification ?? undefined,
            stage: String(input.stage),
            stageCount: String(policy.stages.length),
            deadline: when(deadline.getTime(), person?.timeZone ?? beneficiary.timeZone),
            link: `${deps.publicUrl}/approvals/${token}`,
          },
          `<${request.id}.stage${input.stage}.${approver}@tenure>`,
        );
        if (sent) await markApprovalLinkSent(db, approvalTokenHash(token));
      }
    },

    /** Records an approver's decision (or the deadline's) on a stage, once. */
    async recordAccessDecision(input: { requestId: string; stage: number; decision: AccessDecision | { approver: 'tenure:deadline'; decision: 'deny' | 'escalate'; justification: string; via: 'deadline' } }): Promise<void> {
      const { decision } = input;
      await insertDecision(db, { requestId: input.requestId, stage: input.stage, approver: decision.approver, decision: decision.decision, justification: decision.justification ?? null, via: decision.via });
      const request = await findRequest(db, input.requestId);
      const verb = decision.decision === 'approve' ? 'approved' : decision.decision === 'deny' ? 'denied' : 'escalated';
      await appendAuditEvents(db, [
        {
          employeeId: request?.employeeId,
          kind: `request.stage-${verb}`,
          actor: decision.approver,
          system: 'access',
          summary: `stage ${input.stage} of request ${input.requestId} ${verb} by ${decision.approver} (${decision.via})${decision.justification ? `: ${decision.justification}` : ''}`,
          details: { requestId: input.requestId, stage: input.stage, approver: decision.approver, decision: decision.decision, via: decision.via, justification: decision.justification ?? null },
          workflowId: `access-request-${input.requestId}`,
          idempotencyKey: `access-request-${input.requestId}:stage-${input.stage}:${decision.decision}:${decision.approver}`,
        },
      ]);
    },

    /** Grants the package (or moves the assignment's end, for an extension); a conflict that arose meanwhile refuses it. */
    async grantRequestedAccess(input: { requestId: string }): Promise<{ ok: true; assignmentId: string } | { ok: false; reason: string }> {
      const { request, policy } = await load(input.requestId);
      const now = deps.now();
      const end = assignmentEnd(policy.lifetime, now.getTime(), request.requestedEnd?.getTime());
      const endsAt = end.endsAt === undefined ? undefined : new Date(end.endsAt);
      const step = cause(request, 'grant');
      if (request.kind === 'extension') {
        const extended = request.assignmentId ? await extendAssignment(db, request.assignmentId, endsAt, { ...step, requestId: request.id }) : undefined;
        return extended ? { ok: true, assignmentId: extended.id } : { ok: false, reason: 'the assignment to extend has ended' };
      }
      const identity = await findIdentity(db, request.employeeId);
      // A guest becomes an identity on this approval, and a blocked or deleted guest comes back with it.
      const guest = isGuestId(request.employeeId);
      if (!guest && (!identity || leavingStates.includes(identity.state as never))) return { ok: false, reason: `${request.employeeId} has left` };
      if (guest && !identity && !(await findGuest(db, request.employeeId))) return { ok: false, reason: `no guest ${request.employeeId}` };
      const ruleGroups = identity ? ruleGroupsOf(deps.targets, identityFacts(identity, false).attributes) : [];
      const granted = await grantAssignment(
        db,
        { id: `request-${request.id}`, employeeId: request.employeeId, packageId: request.packageId, source: 'request', policyId: request.policyId, requestId: request.id, grantedBy: `request:${request.id}`, reason: request.justification ?? undefined, endsAt },
        { ruleGroups, now, cause: step },
      );
      return granted.ok ? { ok: true, assignmentId: granted.assignment.id } : { ok: false, reason: granted.conflict };
    },

    /** Closes the request with its outcome and tells the person (and whoever asked for them). */
    async finishAccessRequest(input: { requestId: string; status: Exclude<RequestStatus, 'pending'>; reason?: string; assignmentId?: string }): Promise<void> {
      const { request, accessPackage } = await load(input.requestId);
      await updateRequest(db, request.id, { status: input.status, outcomeReason: input.reason ?? null, approvers: [], stageDeadline: null, decidedAt: deps.now() });
      await appendAuditEvents(db, [
        {
          employeeId: request.employeeId,
          kind: `request.${input.status}`,
          actor: 'tenure:access-request',
          system: 'access',
          summary: `request ${request.id} for ${accessPackage.name} ${input.status}${input.reason ? `: ${input.reason}` : ''}`,
          details: { requestId: request.id, packageId: request.packageId, status: input.status, reason: input.reason ?? null, assignmentId: input.assignmentId ?? null },
          workflowId: `access-request-${request.id}`,
          idempotencyKey: `access-request-${request.id}:finished`,
        },
      ]);
    },

    /** Tells the person (and whoever asked for them) how their request ended. */
    async notifyAccessDecision(input: { requestId: string }): Promise<void> {
      const { request, accessPackage } = await load(input.requestId);
      if (request.status === 'pending') return;
      const outcome = request.status === 'approved' ? 'approved' : request.status === 'cancelled' ? 'cancelled' : 'denied';
      for (const id of new Set([request.employeeId, request.requestedBy])) {
        const person = await beneficiaryOf(id);
        await mail('requestDecided', person, { givenName: person?.givenName ?? id, packageName: accessPackage.name, outcome, reason: request.outcomeReason ?? undefined, endsAt: undefined }, `<${request.id}.decided.${id}@tenure>`);
      }
    },

    /** Calls a policy's extension at a request stage; in launch-and-wait it gets a signed way back. */
    async callAccessRequestHook(input: { requestId: string; on: string; extension: string; mode: 'launch-and-continue' | 'launch-and-wait'; timeoutMs: number }): Promise<void> {
      const extension = deps.extensions[input.extension];
      if (!extension) throw permanent('UnknownExtension', `no custom extension "${input.extension}" is configured`);
      const { request, accessPackage } = await load(input.requestId);
      const identity = await findIdentity(db, request.employeeId);
      const payload = {
        requestId: request.id,
        on: input.on,
        mode: input.mode,
        package: { id: accessPackage.id, name: accessPackage.name, catalog: accessPackage.catalog },
        requestedBy: request.requestedBy,
        justification: request.justification,
        employee: { employeeId: request.employeeId, displayName: identity?.displayName ?? null, department: identity?.department ?? null, workEmail: identity?.workEmail ?? null },
        ...(input.mode === 'launch-and-wait'
          ? { callback: { url: `${deps.publicUrl}/v1/access-requests/${encodeURIComponent(request.id)}/hooks/${input.on}/resume`, expiresAt: new Date(deps.now().getTime() + input.timeoutMs).toISOString() } }
          : {}),
      };
      try {
        await postWebhook({ url: extension.url, secret: extension.secret }, payload, deps.now());
      } catch (error) {
        if (isRefusal(error)) throw permanent('ExtensionRefused', (error as Error).message);
        throw error;
      }
    },
  };
}
