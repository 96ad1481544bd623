import { sql } from 'drizzle-orm';
import { bigserial, boolean, check, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import type { AccessPackage } from '../../domain/access-packages';

// Entitlement management: catalogs and their versioned access packages, the assignments people
// hold, the requests that ask for them and every decision on those requests.

const at = () => timestamp({ withTimezone: true, mode: 'date' });

export const catalogs = pgTable('catalogs', {
  id: text().primaryKey(),
  name: text().notNull(),
  description: text(),
  owners: text().array().notNull().default(sql`'{}'::text[]`),
  /** "api" or the YAML file that defines it. */
  source: text().notNull(),
  createdAt: at().notNull().defaultNow(),
  updatedAt: at().notNull().defaultNow(),
});

export const accessPackages = pgTable('access_packages', {
  id: text().primaryKey(),
  catalogId: text()
    .notNull()
    .references(() => catalogs.id),
  name: text().notNull(),
  enabled: boolean().notNull(),
  currentVersion: integer().notNull(),
  source: text().notNull(),
  createdAt: at().notNull().defaultNow(),
  updatedAt: at().notNull().defaultNow(),
});

/** Every saved content of a package; requests name the version they were decided under. */
export const accessPackageVersions = pgTable(
  'access_package_versions',
  {
    packageId: text()
      .notNull()
      .references(() => accessPackages.id),
    version: integer().notNull(),
    definition: jsonb().$type<AccessPackage>().notNull(),
    createdBy: text().notNull(),
    createdAt: at().notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.packageId, t.version] })],
);

/** A person's hold on a package: by rule (auto), by an approved request, or by an administrator. */
export const accessAssignments = pgTable(
  'access_assignments',
  {
    id: text().primaryKey(),
    packageId: text()
      .notNull()
      .references(() => accessPackages.id),
    employeeId: text().notNull(),
    source: text().$type<'auto' | 'request' | 'admin'>().notNull(),
    policyId: text(),
    requestId: text(),
    /** Who granted it: a policy rule, the approvers' request, an administrator. */
    grantedBy: text().notNull(),
    reason: text(),
    status: text().$type<'active' | 'grace' | 'held' | 'ended'>().notNull(),
    startsAt: at().notNull(),
    endsAt: at(),
    graceUntil: at(),
    /** Why a matching automatic assignment waits (a separation-of-duties conflict). */
    heldReason: text(),
    remindersSent: text().array().notNull().default(sql`'{}'::text[]`),
    endedAt: at(),
    endReason: text(),
    endedBy: text(),
    createdAt: at().notNull().defaultNow(),
    updatedAt: at().notNull().defaultNow(),
  },
  (t) => [
    index().on(t.employeeId, t.status),
    index().on(t.packageId, t.status),
    // One automatic assignment per person and policy while it lasts.
    uniqueIndex('access_assignments_one_auto').on(t.employeeId, t.packageId, t.policyId).where(sql`${t.source} = 'auto' and ${t.status} <> 'ended'`),
    check('access_assignments_source_check', sql`${t.source} in ('auto', 'request', 'admin')`),
    check('access_assignments_status_check', sql`${t.status} in ('active', 'grace', 'held', 'ended')`),
  ],
);

export const accessRequests = pgTable(
  'access_requests',
  {
    id: text().primaryKey(),
    kind: text().$type<'new' | 'extension'>().notNull(),
    packageId: text()
      .notNull()
      .references(() => accessPackages.id),
    packageVersion: integer().notNull(),
    policyId: text().notNull(),
    /** Who gets the access. */
    employeeId: text().notNull(),
    /** Who asked: the employee id of a person, or an API key's name. */
    requestedBy: text().notNull(),
    /** An extension request extends this assignment. */
    assignmentId: text(),
    justification: text(),
    requestedEnd: at(),
    status: text().$type<'pending' | 'approved' | 'denied' | 'cancelled' | 'failed'>().notNull(),
    /** The stage waiting for a decision (1-based); 0 before the first. */
    stage: integer().notNull().default(0),
    stageCount: integer().notNull(),
    /** Employee ids who may decide the current stage. */
    approvers: text().array().notNull().default(sql`'{}'::text[]`),
    stageDeadline: at(),
    outcomeReason: text(),
    createdAt: at().notNull().defaultNow(),
    decidedAt: at(),
    updatedAt: at().notNull().defaultNow(),
  },
  (t) => [
    index().on(t.employeeId, t.createdAt),
    index().on(t.status),
    index('access_requests_approvers').using('gin', t.approvers),
    check('access_requests_status_check', sql`${t.status} in ('pending', 'approved', 'denied', 'cancelled', 'failed')`),
    check('access_requests_kind_check', sql`${t.kind} in ('new', 'extension')`),
  ],
);

export const accessDecisions = pgTable(
  'access_request_decisions',
  {
    id: bigserial({ mode: 'number' }).primaryKey(),
    requestId: text()
      .notNull()
      .references(() => accessRequests.id),
    stage: integer().notNull(),
    /** The approver's employee id, or "tenure:deadline" for an escalation or a denial at the deadline. */
    approver: text().notNull(),
    decision: text().$type<'approve' | 'deny' | 'escalate'>().notNull(),
    justification: text(),
    /** api, link, portal or deadline. */
    via: text().notNull(),
    decidedAt: at().notNull().defaultNow(),
  },
  (t) => [uniqueIndex('access_request_decisions_once').on(t.requestId, t.stage, t.decision, t.approver), check('access_request_decisions_check', sql`${t.decision} in ('approve', 'deny', 'escalate')`)],
);

/** Single-use links in approval mail, one per approver and stage: only a hash of the token is kept. */
export const approvalLinks = pgTable(
  'approval_links',
  {
    tokenHash: text().primaryKey(),
    requestId: text()
      .notNull()
      .references(() => accessRequests.id),
    stage: integer().notNull(),
    approver: text().notNull(),
    expiresAt: at().notNull(),
    /** The mail with the link went out; a link never sent is replaced by a new one. */
    sentAt: at(),
    usedAt: at(),
    createdAt: at().notNull().defaultNow(),
  },
  (t) => [uniqueIndex('approval_links_per_approver').on(t.requestId, t.stage, t.approver)],
);

/**
 * Mail and custom-extension calls that an access change owes, written in the same transaction as
 * the change and delivered after it: a crash in between delays them, never loses them.
 */
export const accessOutbox = pgTable(
  'access_outbox',
  {
    id: text().primaryKey(),
    employeeId: text().notNull(),
    kind: text().$type<'mail' | 'hook'>().notNull(),
    payload: jsonb().$type<Record<string, unknown>>().notNull(),
    createdAt: at().notNull().defaultNow(),
    deliveredAt: at(),
    attempts: integer().notNull().default(0),
    lastError: text(),
  },
  (t) => [index('access_outbox_undelivered').on(t.employeeId).where(sql`${t.deliveredAt} is null`), check('access_outbox_kind_check', sql`${t.kind} in ('mail', 'hook')`)],
);
