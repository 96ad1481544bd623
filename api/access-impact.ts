import type { Db } from '../db/client';
import { listPackages, liveAssignmentsOf, holdersOf, toAssignmentFact, type AssignmentRow } from '../db/queries/access';
import { findIdentities, identityFacts, listIdentities, type IdentityRow } from '../db/queries/identities';
import type { AccessPackageVersion } from '../domain/access-packages';
import { heldPackages } from '../domain/access-planner';
import { conflictsWith, isLeaving, personImpact, ruleGroupsOf, summariseImpact, withCandidate, type AccessSubject, type Conflict, type ImpactSummary, type PersonImpact } from '../domain/access-impact';
import type { CompiledTarget } from '../domain/targets';

// The dry run of a package change and the conflicts people hold, for everyone known: people are
// read a page at a time with their live assignments and handed to the pure domain functions.

const pageSize = 500;

export interface ImpactDeps {
  db: Db;
  targets: CompiledTarget[];
  now: () => Date;
}

/** Who a person is, in a listing. */
export interface PersonRef {
  employeeId: string;
  displayName: string;
  department: string | null;
  state: string;
}

const ref = (identity: IdentityRow): PersonRef => ({ employeeId: identity.employeeId, displayName: identity.displayName, department: identity.department, state: identity.state });

function subject(identity: IdentityRow, assignments: AssignmentRow[], targets: CompiledTarget[]): AccessSubject {
  const { attributes } = identityFacts(identity, identity.state === 'cancelled');
  return { employeeId: identity.employeeId, attributes, leaving: isLeaving(identity.state), assignments: assignments.map(toAssignmentFact), ruleGroups: ruleGroupsOf(targets, attributes) };
}

async function subjectsOf(deps: ImpactDeps, page: IdentityRow[]): Promise<{ identity: IdentityRow; subject: AccessSubject }[]> {
  const assignments = await liveAssignmentsOf(deps.db, page.map((i) => i.employeeId));
  return page.map((identity) => ({ identity, subject: subject(identity, assignments.get(identity.employeeId) ?? [], deps.targets) }));
}

/** What saving `candidate` would do to everyone known, without saving it; lists up to `limit` people. */
export async function impactOfChange(deps: ImpactDeps, candidate: AccessPackageVersion, limit: number): Promise<{ summary: ImpactSummary; people: (PersonRef & PersonImpact)[]; unlisted: number }> {
  const current = await listPackages(deps.db);
  const next = withCandidate(current, candidate);
  const now = deps.now().getTime();
  const impacts: (PersonRef & PersonImpact)[] = [];
  let people = 0;
  let after: string | undefined;
  for (;;) {
    const page = await listIdentities(deps.db, { after, limit: pageSize });
    if (page.length === 0) break;
    for (const { identity, subject: person } of await subjectsOf(deps, page)) {
      const impact = personImpact(person, current, next, now, candidate.id);
      if (impact) impacts.push({ ...ref(identity), ...impact });
    }
    people += page.length;
    after = page[page.length - 1]!.employeeId;
  }
  return { summary: summariseImpact(people, impacts), people: impacts.slice(0, limit), unlisted: Math.max(0, impacts.length - limit) };
}

/** People who hold the package together with a package or group declared incompatible, a page at a time. */
export async function conflictsOfPackage(deps: ImpactDeps, packageId: string, page: { after?: string; limit: number }): Promise<{ people: (PersonRef & { conflicts: Conflict[] })[]; next?: string }> {
  const packages = await listPackages(deps.db);
  const found: (PersonRef & { conflicts: Conflict[] })[] = [];
  let after = page.after;
  // Read holders until the page is full: most holders hold no conflict.
  for (;;) {
    const holders = await holdersOf(deps.db, packageId, { after, limit: pageSize });
    if (holders.length === 0) return { people: found };
    for (const { identity, subject: person } of await subjectsOf(deps, await findIdentities(deps.db, holders))) {
      after = identity.employeeId;
      const conflicts = conflictsWith(packageId, heldPackages(person.assignments, packages), person.ruleGroups);
      if (conflicts.length > 0) found.push({ ...ref(identity), conflicts });
      if (found.length === page.limit) return { people: found, next: identity.employeeId };
    }
    after = holders[holders.length - 1];
  }
}
