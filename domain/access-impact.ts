import type { AccessPackage, AccessPackageVersion, PackageResource } from './access-packages';
import { conflictFor, grantedGroups, heldPackages, planAccess, type AccessPlan, type AssignmentFact, type EndReason } from './access-planner';
import type { LifecycleState } from './lifecycle';
import type { Attributes } from './rules';
import { wantedGroups, type CompiledTarget } from './targets';

// What a change to the package set would do to each person, and which separation-of-duties
// conflicts people hold: the planner the person's workflow applies is asked twice — with the
// packages as they are and as they would be — and the two outcomes are compared. Pure.

/** States in which a person holds no access at all. */
export const leavingStates: readonly LifecycleState[] = ['terminated', 'deleted', 'cancelled'];
export const isLeaving = (state: string): boolean => (leavingStates as readonly string[]).includes(state);

/** The groups target rules give the person, for separation of duties. */
export function ruleGroupsOf(targets: CompiledTarget[], attributes: Attributes): PackageResource[] {
  return targets.flatMap((target) => wantedGroups(target, attributes).map((group) => ({ target: target.config.name, group })));
}

/** What the planner needs to know of one person. */
export interface AccessSubject {
  employeeId: string;
  attributes: Attributes;
  leaving: boolean;
  assignments: AssignmentFact[];
  ruleGroups: PackageResource[];
}

/** The other side of a conflict: a package, or a group however the person came by it. */
export type ConflictParty = { packageId: string } | PackageResource;

export interface Conflict {
  packageId: string;
  with: ConflictParty;
  reason: string;
}

export interface PackageLoss {
  packageId: string;
  reason: EndReason;
  /** A grace period keeps the package until then. */
  until?: number;
}

export interface PackageHold {
  packageId: string;
  policyId: string;
  conflict: string;
  with: ConflictParty[];
}

export interface PersonImpact {
  employeeId: string;
  gains: string[];
  losses: PackageLoss[];
  /** Automatic assignments that would match but wait, held by a conflict. */
  holds: PackageHold[];
  /** Conflicts the person would hold that they do not hold now (an incompatibility declared over existing access). */
  conflicts: Conflict[];
  /** Groups on each target, counting those target rules give: a group a rule keeps is not lost. */
  groups: { gained: PackageResource[]; lost: PackageResource[] };
}

export interface ImpactSummary {
  people: number;
  gaining: number;
  losing: number;
  held: number;
  conflicting: number;
}

const sameGroup = (a: PackageResource, b: PackageResource) => a.target === b.target && a.group.toLowerCase() === b.group.toLowerCase();
const partyKey = (party: ConflictParty) => ('packageId' in party ? `package:${party.packageId}` : `group:${party.target}:${party.group.toLowerCase()}`);
const conflictKey = (c: Conflict) => `${c.packageId}|${partyKey(c.with)}`;

/** The package set with `candidate` in place of the package of the same id (or added). */
export function withCandidate(packages: AccessPackageVersion[], candidate: AccessPackageVersion): AccessPackageVersion[] {
  const others = packages.filter((p) => p.id !== candidate.id);
  return [...others, candidate].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** Every conflict among what a person holds: each pair of packages once, and each package against the groups rules give. */
export function conflictsAmong(held: AccessPackage[], ruleGroups: PackageResource[]): Conflict[] {
  const found: Conflict[] = [];
  held.forEach((p, i) => {
    for (const q of held.slice(i + 1)) {
      const reason = conflictFor(p, { packages: [q], groups: [] });
      if (reason) found.push({ packageId: p.id, with: { packageId: q.id }, reason });
    }
    for (const group of ruleGroups) {
      const reason = conflictFor(p, { packages: [], groups: [group] });
      if (reason) found.push({ packageId: p.id, with: group, reason });
    }
  });
  return found;
}

/** A conflict between two packages told from the side of `packageId` when it is the other party. */
const seenFrom = (packageId: string, c: Conflict): Conflict => ('packageId' in c.with && c.with.packageId === packageId ? { packageId, with: { packageId: c.packageId }, reason: c.reason } : c);

/** The conflicts a person holds that involve one package, seen from that package. */
export function conflictsWith(packageId: string, held: AccessPackage[], ruleGroups: PackageResource[]): Conflict[] {
  return conflictsAmong(held, ruleGroups)
    .map((c) => seenFrom(packageId, c))
    .filter((c) => c.packageId === packageId);
}

/** The assignments a person would have once the plan is applied. */
function afterPlan(assignments: AssignmentFact[], plan: AccessPlan, now: number): AssignmentFact[] {
  const ended = new Set(plan.end.map((e) => e.assignmentId));
  const status = new Map<string, Pick<AssignmentFact, 'status' | 'graceUntil'>>();
  for (const { assignmentId } of [...plan.release, ...plan.resume]) status.set(assignmentId, { status: 'active', graceUntil: undefined });
  for (const { assignmentId, until } of plan.startGrace) status.set(assignmentId, { status: 'grace', graceUntil: until });
  const kept = assignments.filter((a) => !ended.has(a.id)).map((a) => ({ ...a, ...status.get(a.id) }));
  const planned = (packageId: string, policyId: string, held: boolean): AssignmentFact => ({ id: `planned:${packageId}:${policyId}`, packageId, policyId, source: 'auto', status: held ? 'held' : 'active', startsAt: now, remindersSent: [] });
  return [...kept, ...plan.grant.map((g) => planned(g.packageId, g.policyId, false)), ...plan.hold.map((h) => planned(h.packageId, h.policyId, true))];
}

interface Outcome {
  plan: AccessPlan;
  assignments: AssignmentFact[];
  held: AccessPackage[];
  groups: PackageResource[];
  conflicts: Conflict[];
}

function outcome(person: AccessSubject, packages: AccessPackageVersion[], now: number): Outcome {
  const plan = planAccess({ attributes: person.attributes, leaving: person.leaving, packages, assignments: person.assignments, ruleGroups: person.ruleGroups, now });
  const assignments = afterPlan(person.assignments, plan, now);
  const held = heldPackages(assignments, packages);
  const groups = [...person.ruleGroups];
  for (const g of grantedGroups(assignments, packages)) if (!groups.some((h) => sameGroup(h, g))) groups.push(g);
  return { plan, assignments, held, groups, conflicts: conflictsAmong(held, person.ruleGroups) };
}

const missingFrom = (list: PackageResource[], other: PackageResource[]) => list.filter((g) => !other.some((h) => sameGroup(g, h)));

/**
 * What replacing the `current` package set with `candidate` would change for one person;
 * undefined when nothing. Conflicts involving the `changed` package are told from its side.
 */
export function personImpact(person: AccessSubject, current: AccessPackageVersion[], candidate: AccessPackageVersion[], now: number, changed?: string): PersonImpact | undefined {
  const before = outcome(person, current, now);
  const after = outcome(person, candidate, now);
  const beforeIds = new Set(before.held.map((p) => p.id));
  const afterIds = new Set(after.held.map((p) => p.id));
  const gains = after.held.filter((p) => !beforeIds.has(p.id)).map((p) => p.id);

  const endedBy = new Map(after.plan.end.map((e) => [e.assignmentId, e.reason]));
  const losses: PackageLoss[] = [];
  for (const id of beforeIds) {
    if (afterIds.has(id)) continue;
    const ended = person.assignments.find((a) => a.packageId === id && endedBy.has(a.id));
    losses.push({ packageId: id, reason: ended ? endedBy.get(ended.id)! : 'policy-removed' });
  }
  const graceBefore = new Set(before.assignments.filter((a) => a.status === 'grace').map((a) => a.id));
  for (const a of after.assignments) {
    if (a.status === 'grace' && !graceBefore.has(a.id) && a.graceUntil !== undefined) losses.push({ packageId: a.packageId, reason: 'no-longer-matches', until: a.graceUntil });
  }

  const holdKey = (h: { packageId: string; policyId: string }) => `${h.packageId}:${h.policyId}`;
  const heldBefore = new Set(before.assignments.filter((a) => a.status === 'held').map((a) => holdKey({ packageId: a.packageId, policyId: a.policyId ?? '' })));
  const holds = after.plan.hold
    .filter((h) => !heldBefore.has(holdKey(h)))
    .map((h): PackageHold => {
      const accessPackage = candidate.find((p) => p.id === h.packageId)!;
      const partners = conflictsWith(h.packageId, [accessPackage, ...after.held.filter((p) => p.id !== h.packageId)], person.ruleGroups).map((c) => c.with);
      return { ...h, with: partners };
    });

  const known = new Set(before.conflicts.map(conflictKey));
  const conflicts = after.conflicts.filter((c) => !known.has(conflictKey(c))).map((c) => (changed ? seenFrom(changed, c) : c));
  const groups = { gained: missingFrom(after.groups, before.groups), lost: missingFrom(before.groups, after.groups) };

  if (gains.length + losses.length + holds.length + conflicts.length + groups.gained.length + groups.lost.length === 0) return undefined;
  return { employeeId: person.employeeId, gains, losses, holds, conflicts, groups };
}

/** Counts over everyone evaluated; `impacts` holds only the people something happens to. */
export function summariseImpact(people: number, impacts: PersonImpact[]): ImpactSummary {
  return {
    people,
    gaining: impacts.filter((i) => i.gains.length > 0).length,
    losing: impacts.filter((i) => i.losses.length > 0).length,
    held: impacts.filter((i) => i.holds.length > 0).length,
    conflicting: impacts.filter((i) => i.conflicts.length > 0).length,
  };
}
