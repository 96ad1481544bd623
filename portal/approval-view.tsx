import { decisionsOf, findPackage, type DecisionRow, type RequestRow } from '../db/queries/access';
import { findIdentities } from '../db/queries/identities';
import type { AccessPackageVersion } from '../domain/access-packages';
import type { AppDeps } from '../api/app';
import { conflictOf } from '../api/access-service';
import { Grants, nameOf, when } from './render';

// What an approver sees of one request, wherever they come from (the Approvals page with a
// session, or the single-use link in the mail): who asks for what and why, what it grants, the
// separation-of-duties check, and what earlier stages decided.

export interface ApprovalFacts {
  request: RequestRow;
  accessPackage: AccessPackageVersion | undefined;
  decisions: DecisionRow[];
  conflict: string | undefined;
  name: (employeeId: string) => string;
  department: string | null;
  timeZone: string;
}

export async function approvalFacts(deps: AppDeps, request: RequestRow, viewerTimeZone = 'UTC'): Promise<ApprovalFacts> {
  const [accessPackage, decisions] = await Promise.all([findPackage(deps.db, request.packageId, request.packageVersion), decisionsOf(deps.db, request.id)]);
  const people = new Map((await findIdentities(deps.db, [request.employeeId, request.requestedBy, ...decisions.map((d) => d.approver)])).map((p) => [p.employeeId, p]));
  const person = people.get(request.employeeId);
  const conflict = person && accessPackage && request.kind === 'new' ? await conflictOf(deps, person, accessPackage) : undefined;
  return { request, accessPackage, decisions, conflict, name: nameOf(people), department: person?.department ?? null, timeZone: viewerTimeZone };
}

const decisionWords = { approve: 'approved', deny: 'denied', escalate: 'escalated' } as const;

export function ApprovalDetails({ facts }: { facts: ApprovalFacts }) {
  const { request, accessPackage, decisions, conflict, name, timeZone } = facts;
  return (
    <div>
      <dl>
        <dt>For</dt>
        <dd>
          {name(request.employeeId)}
          {facts.department ? `, ${facts.department}` : ''}
        </dd>
        <dt>Asked by</dt>
        <dd>{name(request.requestedBy)}</dd>
        <dt>Package</dt>
        <dd>
          {accessPackage?.name ?? request.packageId}
          {request.kind === 'extension' ? ' (to keep it longer)' : ''}
        </dd>
        {accessPackage?.resources.length ? (
          <>
            <dt>Grants</dt>
            <dd>
              <Grants resources={accessPackage.resources} />
            </dd>
          </>
        ) : null}
        <dt>Reason</dt>
        <dd>{request.justification ?? 'none given'}</dd>
        <dt>Until</dt>
        <dd>{request.requestedEnd ? when(request.requestedEnd, timeZone) : 'as long as the policy allows'}</dd>
        <dt>Stage</dt>
        <dd>
          {request.stage} of {request.stageCount}, open until {when(request.stageDeadline, timeZone)}
        </dd>
        <dt>Separation of duties</dt>
        <dd>{conflict ? <strong class="danger">Conflict: {conflict}</strong> : 'no conflict with what the person holds'}</dd>
      </dl>
      {decisions.length > 0 ? (
        <section aria-label="Earlier decisions">
          <h3>Earlier decisions</h3>
          <ul class="plain">
            {decisions.map((d) => (
              <li>
                Stage {d.stage}: {d.approver.startsWith('tenure:') ? 'Tenure' : name(d.approver)} {decisionWords[d.decision]} on {when(d.decidedAt, timeZone)}
                {d.justification ? ` — “${d.justification}”` : ''}
              </li>
            ))}
          </ul>
        </section>
      ) : null}
    </div>
  );
}

/** Approve or deny with a reason; `csrf` for a session's form (a link's token is its own proof). */
export function DecisionForm({ action, csrf, id }: { action: string; csrf?: string; id: string }) {
  return (
    <form method="post" action={action}>
      {csrf ? <input type="hidden" name="csrf" value={csrf} /> : null}
      <label for={`justification-${id}`}>Your reason (optional)</label>
      <textarea id={`justification-${id}`} name="justification" rows={3} maxlength={2000}></textarea>
      <div class="actions">
        <button type="submit" name="decision" value="approve">
          Approve
        </button>
        <button type="submit" name="decision" value="deny" class="secondary">
          Deny
        </button>
      </div>
    </form>
  );
}

export const decisionOf = (form: Record<string, string>) => (form.decision === 'approve' || form.decision === 'deny' ? form.decision : undefined);
