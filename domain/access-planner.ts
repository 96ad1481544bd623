import type { AccessPackage, AccessPackageVersion, PackageResource } from './access-packages';
import { personAttributes } from './lifecycle-workflows';
import { evaluateRule, parseRule, type Attributes } from './rules';
import { parseExactDuration } from './time';

// What a person's access should be, now: which automatic assignments start, wait out their
// grace period or end, which assignments expire, which reminders are due, and which packages
// the person cannot hold together (separation of duties). Pure: the person's workflow applies
// the plan through an activity, and a dry run of a policy change asks the same planner.

export const assignmentSources = ['auto', 'request', 'admin'] as const;
export type AssignmentSource = (typeof assignmentSources)[number];

/** An assignment that has not ended. */
export interface AssignmentFact {
  id: string;
  packageId: string;
  source: AssignmentSource;
  policyId?: string;
  /** active: granted; grace: an automatic one whose rule no longer matches, kept until graceUntil; held: matches, but would conflict. */
  status: 'active' | 'grace' | 'held';
  startsAt: number;
  endsAt?: number;
  graceUntil?: number;
  /** Reminders already sent, by how long before the end ('P14D', 'P1D'). */
  remindersSent: string[];
}

/** A reminder before an assignment ends, to the person and their manager: 'P14D' and 'P1D' by default. */
export interface ExpiryReminder {
  before: string;
  ms: number;
}

export const defaultExpiryReminders: ExpiryReminder[] = [
  { before: 'P14D', ms: 14 * 86_400_000 },
  { before: 'P1D', ms: 86_400_000 },
];

export type EndReason = 'expired' | 'no-longer-matches' | 'left' | 'policy-removed';

export interface AccessPlan {
  grant: { packageId: string; policyId: string }[];
  hold: { packageId: string; policyId: string; conflict: string }[];
  /** Held assignments whose conflict is gone: they become active. */
  release: { assignmentId: string }[];
  startGrace: { assignmentId: string; until: number }[];
  /** Matches again during its grace period: active again. */
  resume: { assignmentId: string }[];
  end: { assignmentId: string; reason: EndReason }[];
  remind: { assignmentId: string; before: string; endsAt: number }[];
  /** The next instant at which the plan changes by itself. */
  nextAt?: number;
}

export interface AccessPlanInput {
  /** What rules see of the person. */
  attributes: Attributes;
  /** The person left (or their hire was withdrawn): every assignment ends. */
  leaving: boolean;
  packages: AccessPackageVersion[];
  assignments: AssignmentFact[];
  /** Groups the person holds other than through packages (target rules), for separation of duties. */
  ruleGroups?: PackageResource[];
  /** The configured reminders; 14 days and 1 day before the end when absent. */
  reminders?: ExpiryReminder[];
  now: number;
}

const ruleCache = new Map<string, ReturnType<typeof parseRule>>();
/** Whether the person matches a rule (already validated when it was saved). */
export function matches(rule: string, attributes: Attributes): boolean {
  let parsed = ruleCache.get(rule);
  if (!parsed) {
    parsed = parseRule(rule, { attributes: personAttributes });
    if (ruleCache.size > 1000) ruleCache.clear();
    ruleCache.set(rule, parsed);
  }
  return evaluateRule(parsed, attributes);
}

const sameGroup = (a: PackageResource, b: PackageResource) => a.target === b.target && a.group.toLowerCase() === b.group.toLowerCase();

/**
 * Why holding `candidate` next to what the person holds would break separation of duties, or
 * undefined. Package incompatibility counts in either direction; so do incompatible groups.
 */
export function conflictFor(candidate: AccessPackage, held: { packages: AccessPackage[]; groups: PackageResource[] }): string | undefined {
  for (const other of held.packages) {
    if (other.id === candidate.id) continue;
    if (candidate.incompatibleWith.includes(other.id) || other.incompatibleWith.includes(candidate.id)) return `${candidate.id} is incompatible with ${other.id}, which the person holds`;
    const clash = other.incompatibleGroups.find((g) => candidate.resources.some((r) => sameGroup(r, g)));
    if (clash) return `${candidate.id} grants ${clash.group} on ${clash.target}, which ${other.id} forbids`;
  }
  const group = candidate.incompatibleGroups.find((g) => held.groups.some((h) => sameGroup(h, g)) || held.packages.some((p) => p.resources.some((r) => sameGroup(r, g))));
  return group ? `${candidate.id} is incompatible with ${group.group} on ${group.target}, which the person holds` : undefined;
}

/** The packages an assignment list holds (active or in grace). */
export function heldPackages(assignments: AssignmentFact[], packages: AccessPackage[]): AccessPackage[] {
  const ids = new Set(assignments.filter((a) => a.status !== 'held').map((a) => a.packageId));
  return packages.filter((p) => ids.has(p.id));
}

/** The groups a person's assignments grant, on every target. */
export function grantedGroups(assignments: AssignmentFact[], packages: AccessPackage[]): PackageResource[] {
  const groups: PackageResource[] = [];
  for (const p of heldPackages(assignments, packages)) for (const r of p.resources) if (!groups.some((g) => sameGroup(g, r))) groups.push(r);
  return groups;
}

export function planAccess(input: AccessPlanInput): AccessPlan {
  const plan: AccessPlan = { grant: [], hold: [], release: [], startGrace: [], resume: [], end: [], remind: [] };
  const { now } = input;
  const upcoming: number[] = [];
  if (input.leaving) {
    plan.end = input.assignments.map((a) => ({ assignmentId: a.id, reason: 'left' as const }));
    return plan;
  }
  const byId = new Map(input.packages.map((p) => [p.id, p]));
  const live = input.assignments.filter((a) => a.status !== 'held');
  const held = { packages: heldPackages(live, input.packages), groups: input.ruleGroups ?? [] };
  const ends = (a: AssignmentFact, reason: EndReason) => plan.end.push({ assignmentId: a.id, reason });

  // Requested and direct assignments: expiry and reminders.
  for (const a of input.assignments.filter((x) => x.source !== 'auto')) {
    if (a.endsAt === undefined) continue;
    if (now >= a.endsAt) {
      ends(a, 'expired');
      continue;
    }
    upcoming.push(a.endsAt);
    for (const reminder of input.reminders ?? defaultExpiryReminders) {
      const due = a.endsAt - reminder.ms;
      // A reminder is for someone who had the access longer than its offset.
      if (a.remindersSent.includes(reminder.before) || due <= a.startsAt) continue;
      if (now >= due) plan.remind.push({ assignmentId: a.id, before: reminder.before, endsAt: a.endsAt });
      else upcoming.push(due);
    }
  }

  // Automatic assignments follow their rules.
  const autos = input.assignments.filter((a) => a.source === 'auto');
  for (const a of autos) {
    const policy = byId.get(a.packageId)?.policies.find((p) => p.id === a.policyId);
    if (!policy || policy.type !== 'auto') ends(a, 'policy-removed');
  }
  for (const accessPackage of input.packages) {
    for (const policy of accessPackage.policies) {
      if (policy.type !== 'auto') continue;
      const matching = accessPackage.enabled && matches(policy.rule, input.attributes);
      const existing = autos.find((a) => a.packageId === accessPackage.id && a.policyId === policy.id);
      if (!existing) {
        if (!matching) continue;
        const conflict = conflictFor(accessPackage, held);
        if (conflict) plan.hold.push({ packageId: accessPackage.id, policyId: policy.id, conflict });
        else {
          plan.grant.push({ packageId: accessPackage.id, policyId: policy.id });
          held.packages.push(accessPackage);
        }
        continue;
      }
      if (existing.status === 'held') {
        if (!matching) ends(existing, 'no-longer-matches');
        else if (!conflictFor(accessPackage, held)) {
          plan.release.push({ assignmentId: existing.id });
          held.packages.push(accessPackage);
        }
      } else if (existing.status === 'grace') {
        if (matching) plan.resume.push({ assignmentId: existing.id });
        else if (existing.graceUntil === undefined || now >= existing.graceUntil) ends(existing, 'no-longer-matches');
        else upcoming.push(existing.graceUntil);
      } else if (!matching) {
        const grace = policy.gracePeriod ? parseExactDuration(policy.gracePeriod) : 0;
        if (grace > 0) {
          plan.startGrace.push({ assignmentId: existing.id, until: now + grace });
          upcoming.push(now + grace);
        } else ends(existing, 'no-longer-matches');
      }
    }
  }
  const future = upcoming.filter((t) => t > now);
  if (future.length > 0) plan.nextAt = Math.min(...future);
  return plan;
}
