import type { Db } from '../db/client';
import { listPackages, liveAssignments, toAssignmentFact } from '../db/queries/access';
import { applyAccessPlan, markOutbox, undeliveredOutbox, type AccessCause, type OutboxHook, type OutboxMail, type OutboxRow } from '../db/queries/access-changes';
import { findIdentity, identityFacts, type IdentityRow } from '../db/queries/identities';
import { accessMailTemplates } from '../domain/access-mail';
import { leavingStates, ruleGroupsOf } from '../domain/access-impact';
import { planAccess, type ExpiryReminder } from '../domain/access-planner';
import type { LifecycleState } from '../domain/lifecycle';
import { formatDate, renderTemplate } from '../domain/mail-templates';
import type { CompiledTarget } from '../domain/targets';
import { MailRejectedError, type Mailer } from './connectors/mailer';
import { isRefusal, postWebhook } from './connectors/signed-webhook';

// A person's access, applied from their identity workflow: automatic assignments by rule,
// expiry, grace periods, reminders — then the mail and extension calls those changes owe.

export interface AccessDeps {
  db: Db;
  mailer: Mailer;
  targets: CompiledTarget[];
  /** How long before an assignment ends its reminders go out. */
  expiryReminders: ExpiryReminder[];
  mail: { organizationName: string; defaultLocale: string };
  extensions: Record<string, { url: string; secret: string }>;
  now: () => Date;
}

export function createAccessActivities(deps: AccessDeps) {
  const { db } = deps;

  async function recipient(identity: IdentityRow, to: OutboxMail['to']): Promise<IdentityRow | undefined> {
    if (to === 'person') return identity;
    const id = to === 'manager' ? identity.record.managerEmployeeId : to.employeeId;
    return id ? findIdentity(db, id) : undefined;
  }

  async function deliverMail(row: OutboxRow, identity: IdentityRow, mail: OutboxMail): Promise<void> {
    const to = await recipient(identity, mail.to);
    const address = to?.workEmail ?? to?.record.workEmail ?? to?.record.personalEmail;
    // A reminder has its moment: with nobody to send it to, it is recorded and dropped.
    if (!to || !address) return markOutbox(db, row.id, { delivered: true, error: 'no address to send it to' });
    const locale = deps.mail.defaultLocale;
    const endsAt = mail.values.endsAt ? formatDate(Date.parse(mail.values.endsAt), locale, identity.record.timeZone) : undefined;
    const values = {
      ...mail.values,
      endsAt,
      displayName: identity.displayName,
      givenName: identity.preferredName ?? identity.givenName,
      recipientGivenName: to.preferredName ?? to.givenName,
      organizationName: deps.mail.organizationName,
    };
    const rendered = renderTemplate(accessMailTemplates[mail.template], values);
    if (rendered.missing.length > 0) return markOutbox(db, row.id, { delivered: true, error: `no value for ${rendered.missing.join(', ')}` });
    try {
      await deps.mailer.send({ to: address, subject: rendered.subject, text: rendered.body, locale, messageId: `<${row.id}@tenure>` });
      await markOutbox(db, row.id, { delivered: true });
    } catch (error) {
      if (!(error instanceof MailRejectedError)) throw error;
      await markOutbox(db, row.id, { delivered: true, error: `${address}: ${error.message}` });
    }
  }

  async function deliverHook(row: OutboxRow, identity: IdentityRow, hook: OutboxHook): Promise<void> {
    const extension = deps.extensions[hook.extension];
    if (!extension) return markOutbox(db, row.id, { delivered: true, error: `no custom extension "${hook.extension}" is configured` });
    const payload = {
      event: hook.event,
      assignmentId: hook.assignmentId,
      packageId: hook.packageId,
      endsAt: hook.endsAt ?? null,
      before: hook.before ?? null,
      employee: { employeeId: identity.employeeId, displayName: identity.displayName, username: identity.username, workEmail: identity.workEmail, department: identity.department, state: identity.state },
    };
    try {
      await postWebhook({ url: extension.url, secret: extension.secret }, payload, deps.now());
      await markOutbox(db, row.id, { delivered: true });
    } catch (error) {
      if (!isRefusal(error)) throw error;
      await markOutbox(db, row.id, { delivered: true, error: (error as Error).message });
    }
  }

  /** Sends what the person's access changes owe; an outage leaves the rest for the retry. */
  async function deliverOutbox(identity: IdentityRow): Promise<number> {
    const rows = await undeliveredOutbox(db, identity.employeeId);
    for (const row of rows) {
      try {
        if (row.kind === 'mail') await deliverMail(row, identity, row.payload as unknown as OutboxMail);
        else await deliverHook(row, identity, row.payload as unknown as OutboxHook);
      } catch (error) {
        await markOutbox(db, row.id, { delivered: false, error: (error as Error).message });
        throw error;
      }
    }
    return rows.length;
  }

  return {
    /**
     * Brings the person's assignments in line with the policies and the clock. Answers whether
     * the access they hold changed (their groups must follow), when the plan next changes by
     * itself, and how many mails and extension calls wait to be sent.
     */
    async reconcileAccess(input: { employeeId: string; state: LifecycleState; cause: AccessCause }): Promise<{ changed: boolean; nextAt?: number; notices: number; live: number }> {
      const identity = await findIdentity(db, input.employeeId);
      if (!identity) return { changed: false, notices: 0, live: 0 };
      const [packages, rows] = await Promise.all([listPackages(db), liveAssignments(db, input.employeeId)]);
      if (packages.length === 0 && rows.length === 0) return { changed: false, notices: 0, live: 0 };
      const attributes = { ...identityFacts(identity, input.state === 'cancelled').attributes, state: input.state };
      const now = deps.now();
      const plan = planAccess({ attributes, leaving: leavingStates.includes(input.state), packages, assignments: rows.map(toAssignmentFact), ruleGroups: ruleGroupsOf(deps.targets, attributes), reminders: deps.expiryReminders, now: now.getTime() });
      const work = plan.grant.length + plan.hold.length + plan.release.length + plan.startGrace.length + plan.resume.length + plan.end.length + plan.remind.length;
      const changed = work > 0 ? await applyAccessPlan(db, input.employeeId, plan, { packages, now, cause: input.cause, autoActor: (policyId) => `policy:${policyId}` }) : false;
      // What the person holds after the plan (a guest's life depends on it); held ones wait for a conflict and count for nothing.
      const live = work > 0 ? await liveAssignments(db, input.employeeId) : rows;
      return { changed, nextAt: plan.nextAt, notices: (await undeliveredOutbox(db, input.employeeId)).length, live: live.filter((a) => a.status !== 'held').length };
    },

    /** Sends the mail and extension calls the person's access changes owe; answers how many were handled. */
    async deliverAccessNotices(input: { employeeId: string }): Promise<number> {
      const identity = await findIdentity(db, input.employeeId);
      return identity ? deliverOutbox(identity) : 0;
    },
  };
}
