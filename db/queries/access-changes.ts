import { randomUUID } from 'node:crypto';
import { and, asc, eq, isNull, sql } from 'drizzle-orm';
import type { AccessPackage, PackageResource } from '../../domain/access-packages';
import { conflictFor, heldPackages, type AccessPlan } from '../../domain/access-planner';
import type { AccessMailKind } from '../../domain/access-mail';
import type { DbOrTx } from '../client';
import { accessOutbox } from '../schema';
import { endAssignment, findAssignment, insertAssignment, listPackages, liveAssignments, toAssignmentFact, updateAssignment, type AssignmentRow } from './access';
import { appendAuditEvents, type AuditEntry } from './audit';

// Changes to a person's access, each in one transaction with its audit row and the mail and
// extension calls it owes (the outbox), serialised per person so two grants never both pass
// the separation-of-duties check. The API and the activities change access only through here.

export interface AccessCause {
  actor: string;
  workflowId?: string;
  runId?: string;
  /** Stable across retries of the same step, for idempotent audit rows. */
  key: string;
}

export type AssignmentEvent = 'granted' | 'removed' | 'expiring';

export interface OutboxMail {
  template: AccessMailKind;
  /** The person, their manager, or an employee id. */
  to: 'person' | 'manager' | { employeeId: string };
  values: Record<string, string | undefined>;
}

export interface OutboxHook {
  extension: string;
  event: AssignmentEvent;
  assignmentId: string;
  packageId: string;
  endsAt?: string;
  /** For `expiring`: how long before the end. */
  before?: string;
}

/** Serialises access changes of one person across processes. */
async function lockPerson(tx: DbOrTx, employeeId: string): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`tenure-access:${employeeId}`}))`);
}

function audit(cause: AccessCause, employeeId: string, kind: string, summary: string, details: Record<string, unknown>, suffix: string): AuditEntry {
  return { employeeId, kind, actor: cause.actor, system: 'access', summary, details, workflowId: cause.workflowId, runId: cause.runId, idempotencyKey: `${cause.key}:${suffix}` };
}

async function queue(tx: DbOrTx, employeeId: string, entries: { id: string; kind: 'mail' | 'hook'; payload: OutboxMail | OutboxHook }[]): Promise<void> {
  if (entries.length === 0) return;
  await tx
    .insert(accessOutbox)
    .values(entries.map((e) => ({ id: e.id, employeeId, kind: e.kind, payload: e.payload as unknown as Record<string, unknown> })))
    .onConflictDoNothing();
}

const hooksFor = (accessPackage: AccessPackage | undefined, event: AssignmentEvent, assignment: Pick<AssignmentRow, 'id' | 'packageId' | 'endsAt'>, before?: string) =>
  (accessPackage?.hooks ?? [])
    .filter((h) => h.on === event)
    .map((h) => ({ id: `${assignment.id}:${event}${before ? `:${before}` : ''}:${h.extension}`, kind: 'hook' as const, payload: { extension: h.extension, event, assignmentId: assignment.id, packageId: assignment.packageId, endsAt: assignment.endsAt?.toISOString(), before } }));

export interface GrantInput {
  /** Deterministic for a request (`request-{id}`), so a retry grants once. */
  id: string;
  employeeId: string;
  packageId: string;
  source: 'request' | 'admin';
  policyId?: string;
  requestId?: string;
  grantedBy: string;
  reason?: string;
  endsAt?: Date;
}

/** Grants a package unless the person would then hold incompatible access; an existing grant with the id is answered as it is. */
export async function grantAssignment(
  db: DbOrTx,
  input: GrantInput,
  context: { ruleGroups: PackageResource[]; now: Date; cause: AccessCause },
): Promise<{ ok: true; assignment: AssignmentRow; created: boolean } | { ok: false; conflict: string }> {
  return db.transaction(async (tx) => {
    await lockPerson(tx, input.employeeId);
    const existing = await findAssignment(tx, input.id);
    if (existing) return { ok: true as const, assignment: existing, created: false };
    const packages = await listPackages(tx);
    const accessPackage = packages.find((p) => p.id === input.packageId);
    if (!accessPackage) return { ok: false as const, conflict: `no access package ${input.packageId}` };
    const live = (await liveAssignments(tx, input.employeeId)).map(toAssignmentFact);
    const conflict = conflictFor(accessPackage, { packages: heldPackages(live, packages), groups: context.ruleGroups });
    if (conflict) return { ok: false as const, conflict };
    const assignment = (await insertAssignment(tx, { ...input, status: 'active', startsAt: context.now }))!;
    const ends = input.endsAt ? ` until ${input.endsAt.toISOString()}` : '';
    await appendAuditEvents(tx, [
      audit(context.cause, input.employeeId, 'assignment.granted', `${accessPackage.name} granted${ends} (${input.source}: ${input.grantedBy}${input.reason ? `, "${input.reason}"` : ''})`, { assignmentId: input.id, packageId: input.packageId, source: input.source, policyId: input.policyId ?? null, requestId: input.requestId ?? null, grantedBy: input.grantedBy, reason: input.reason ?? null, endsAt: input.endsAt?.toISOString() ?? null }, `grant:${input.id}`),
    ]);
    await queue(tx, input.employeeId, hooksFor(accessPackage, 'granted', assignment));
    return { ok: true as const, assignment, created: true };
  });
}

/** Moves an assignment's end (an approved extension). */
export async function extendAssignment(db: DbOrTx, id: string, endsAt: Date | undefined, cause: AccessCause & { requestId: string }): Promise<AssignmentRow | undefined> {
  return db.transaction(async (tx) => {
    const current = await findAssignment(tx, id);
    if (!current || current.status === 'ended') return undefined;
    await lockPerson(tx, current.employeeId);
    // Reminders start over for the new end.
    const row = await updateAssignment(tx, id, { endsAt: endsAt ?? null, remindersSent: [] });
    await appendAuditEvents(tx, [audit(cause, current.employeeId, 'assignment.extended', `extended until ${endsAt?.toISOString() ?? 'no end'} (request ${cause.requestId})`, { assignmentId: id, from: current.endsAt?.toISOString() ?? null, to: endsAt?.toISOString() ?? null, requestId: cause.requestId }, `extend:${id}:${cause.requestId}`)]);
    return row;
  });
}

/** Ends an assignment for someone who asked (an administrator, the person); answers it, or undefined when it had ended already. */
export async function removeAssignment(db: DbOrTx, id: string, removal: { by: string; reason: string; now: Date; cause: AccessCause }): Promise<AssignmentRow | undefined> {
  return db.transaction(async (tx) => {
    const current = await findAssignment(tx, id);
    if (!current) return undefined;
    await lockPerson(tx, current.employeeId);
    const ended = await endAssignment(tx, id, { reason: removal.reason, by: removal.by, at: removal.now });
    if (!ended) return undefined;
    const [accessPackage] = await listPackages(tx, { ids: [ended.packageId] });
    await appendAuditEvents(tx, [audit(removal.cause, ended.employeeId, 'assignment.removed', `${accessPackage?.name ?? ended.packageId} removed by ${removal.by}: ${removal.reason}`, { assignmentId: id, packageId: ended.packageId, by: removal.by, reason: removal.reason }, `remove:${id}`)]);
    await queue(tx, ended.employeeId, hooksFor(accessPackage, 'removed', ended));
    return ended;
  });
}

const endKinds = { expired: 'assignment.expired', 'no-longer-matches': 'assignment.ended', left: 'assignment.ended', 'policy-removed': 'assignment.ended' } as const;

/** Applies what the planner said for one person; answers whether their held access changed. */
export async function applyAccessPlan(db: DbOrTx, employeeId: string, plan: AccessPlan, context: { packages: AccessPackage[]; now: Date; cause: AccessCause; autoActor: (policyId: string) => string }): Promise<boolean> {
  const { now, cause } = context;
  const named = (packageId: string) => context.packages.find((p) => p.id === packageId);
  return db.transaction(async (tx) => {
    await lockPerson(tx, employeeId);
    const live = new Map((await liveAssignments(tx, employeeId)).map((a) => [a.id, a]));
    const events: AuditEntry[] = [];
    const outbox: { id: string; kind: 'mail' | 'hook'; payload: OutboxMail | OutboxHook }[] = [];
    let changed = false;
    const wanted: { packageId: string; policyId: string; conflict?: string }[] = [...plan.grant, ...plan.hold];
    for (const grant of wanted) {
      const { conflict } = grant;
      const accessPackage = named(grant.packageId);
      const row = await insertAssignment(tx, {
        id: randomUUID(),
        employeeId,
        packageId: grant.packageId,
        source: 'auto',
        policyId: grant.policyId,
        grantedBy: context.autoActor(grant.policyId),
        status: conflict ? 'held' : 'active',
        heldReason: conflict ?? null,
        startsAt: now,
      });
      // Another attempt of this step made it already: the unique index keeps one.
      if (!row) continue;
      changed ||= !conflict;
      events.push(
        conflict
          ? audit(cause, employeeId, 'assignment.held', `${accessPackage?.name ?? grant.packageId} held, not granted: ${conflict}`, { assignmentId: row.id, packageId: grant.packageId, policyId: grant.policyId, conflict }, `hold:${grant.packageId}:${grant.policyId}`)
          : audit(cause, employeeId, 'assignment.granted', `${accessPackage?.name ?? grant.packageId} granted by rule (policy ${grant.policyId})`, { assignmentId: row.id, packageId: grant.packageId, source: 'auto', policyId: grant.policyId }, `grant:${grant.packageId}:${grant.policyId}`),
      );
      if (!conflict) outbox.push(...hooksFor(accessPackage, 'granted', row));
    }
    for (const { assignmentId } of plan.release) {
      const row = await updateAssignment(tx, assignmentId, { status: 'active', heldReason: null });
      if (!row) continue;
      changed = true;
      events.push(audit(cause, employeeId, 'assignment.granted', `${named(row.packageId)?.name ?? row.packageId} granted: the conflict that held it is gone`, { assignmentId, packageId: row.packageId, source: 'auto', policyId: row.policyId }, `release:${assignmentId}`));
      outbox.push(...hooksFor(named(row.packageId), 'granted', row));
    }
    for (const { assignmentId, until } of plan.startGrace) {
      const row = await updateAssignment(tx, assignmentId, { status: 'grace', graceUntil: new Date(until) });
      if (row) events.push(audit(cause, employeeId, 'assignment.grace', `${named(row.packageId)?.name ?? row.packageId}: the rule no longer matches; kept until ${new Date(until).toISOString()}`, { assignmentId, packageId: row.packageId, graceUntil: new Date(until).toISOString() }, `grace:${assignmentId}`));
    }
    for (const { assignmentId } of plan.resume) {
      const row = await updateAssignment(tx, assignmentId, { status: 'active', graceUntil: null });
      if (row) events.push(audit(cause, employeeId, 'assignment.resumed', `${named(row.packageId)?.name ?? row.packageId}: the rule matches again`, { assignmentId, packageId: row.packageId }, `resume:${assignmentId}`));
    }
    for (const { assignmentId, reason } of plan.end) {
      const before = live.get(assignmentId);
      const row = await endAssignment(tx, assignmentId, { reason, by: cause.actor, at: now });
      if (!row) continue;
      changed ||= before?.status !== 'held';
      const name = named(row.packageId)?.name ?? row.packageId;
      events.push(audit(cause, employeeId, endKinds[reason], `${name} ended: ${reason.replace(/-/g, ' ')}`, { assignmentId, packageId: row.packageId, reason }, `end:${assignmentId}`));
      if (before?.status !== 'held') outbox.push(...hooksFor(named(row.packageId), 'removed', row));
    }
    for (const reminder of plan.remind) {
      const row = live.get(reminder.assignmentId);
      if (!row) continue;
      await updateAssignment(tx, row.id, { remindersSent: [...row.remindersSent, reminder.before] });
      const accessPackage = named(row.packageId);
      const values = { packageName: accessPackage?.name ?? row.packageId, endsAt: new Date(reminder.endsAt).toISOString() };
      for (const to of ['person', 'manager'] as const) {
        outbox.push({ id: `${row.id}:reminder:${reminder.before}:${to}`, kind: 'mail', payload: { template: 'expiryReminder', to, values: { ...values, ...(to === 'manager' ? { forManager: 'yes' } : {}) } } });
      }
      outbox.push(...hooksFor(accessPackage, 'expiring', row, reminder.before));
      events.push(audit(cause, employeeId, 'assignment.reminded', `${values.packageName} ends ${values.endsAt}: reminded the person and their manager (${reminder.before} before)`, { assignmentId: row.id, before: reminder.before }, `remind:${row.id}:${reminder.before}`));
    }
    await appendAuditEvents(tx, events);
    await queue(tx, employeeId, outbox);
    return changed;
  });
}

export type OutboxRow = typeof accessOutbox.$inferSelect;

export async function undeliveredOutbox(db: DbOrTx, employeeId: string): Promise<OutboxRow[]> {
  return db.select().from(accessOutbox).where(and(eq(accessOutbox.employeeId, employeeId), isNull(accessOutbox.deliveredAt))).orderBy(asc(accessOutbox.createdAt));
}

export async function markOutbox(db: DbOrTx, id: string, outcome: { delivered: boolean; error?: string }): Promise<void> {
  await db
    .update(accessOutbox)
    .set({ attempts: sql`${accessOutbox.attempts} + 1`, lastError: outcome.error?.slice(0, 1000) ?? null, ...(outcome.delivered ? { deliveredAt: sql`now()` } : {}) })
    .where(eq(accessOutbox.id, id));
}
