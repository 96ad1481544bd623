import { randomBytes, randomInt } from 'node:crypto';
import { activityInfo, ApplicationFailure } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import type { Db } from '../db/client';
import { findRequest, listPackages } from '../db/queries/access';
import { appendAuditEvents } from '../db/queries/audit';
import { findGuest, findOrganisation, findOrganisationByDomain, findCode, guestCodeHash, markCodeSent, replaceUnsentCode, setGuestSponsor } from '../db/queries/guests';
import { insertInboxRows, markDelivered, undeliveredOf, type InboxRow } from '../db/queries/hr-inbox';
import { findIdentity, upsertIdentityRecord } from '../db/queries/identities';
import { mailDomainOf } from '../domain/connected-organisations';
import { formatGuestCode } from '../domain/guest-codes';
import { guestPolicy, type GuestEvent } from '../domain/guest-lifecycle';
import type { HrRecord } from '../domain/hr-record';
import { renderTemplate } from '../domain/mail-templates';
import { hrRecordSignal, identityWorkflowId, type HrDelivery } from '../workflows/messages';
import { MailRejectedError, type Mailer } from './connectors/mailer';
import type { Cause } from './types';

// Guests from the worker's side: mailing a sign-in code (made, hashed and sent here, so the code
// never travels through the API's logs or any workflow history), turning an approved guest into
// an identity, and the trail of their life.

export interface GuestDeps {
  db: Db;
  mailer: Mailer;
  temporal: Client;
  mail: { organizationName: string; defaultLocale: string };
  guests: { codeLifetimeMs: number; deleteAfterMs: number };
  now: () => Date;
}

export const guestActor = 'tenure:guests';

const codeMail = {
  subject: 'Your sign-in code for {{organizationName}}',
  body: 'Hello,\n\nyour code to sign in to {{organizationName}} as a guest is\n\n    {{code}}\n\nIt works once, until {{until}} (UTC). If you did not ask for it, ignore this mail.',
};

const permanent = (type: string, message: string) => ApplicationFailure.create({ type, message, nonRetryable: true });

export function createGuestActivities(deps: GuestDeps) {
  const { db } = deps;

  /** Whether this address may sign in: its domain is a connected organisation's, or some package is open to anyone. */
  async function admissible(email: string): Promise<boolean> {
    if (await findOrganisationByDomain(db, mailDomainOf(email))) return true;
    const packages = await listPackages(db);
    return packages.some((p) => p.enabled && p.policies.some((policy) => policy.type === 'request' && policy.guests?.type === 'anyone'));
  }

  /** Hands a guest's inbox row to their workflow, starting it if needed, as the API does for HR's rows. */
  async function deliver(row: InboxRow): Promise<void> {
    if (row.kind !== 'upsert' || !row.record) return;
    const delivery: HrDelivery = { inboxId: row.id, actor: row.actor, receivedAt: row.receivedAt.getTime(), policy: row.policy, asOf: row.asOf.getTime(), kind: 'upsert', record: row.record };
    await deps.temporal.workflow.signalWithStart('identityWorkflow', {
      workflowId: identityWorkflowId(row.employeeId),
      taskQueue: activityInfo().taskQueue,
      args: [{ employeeId: row.employeeId }],
      signal: hrRecordSignal,
      signalArgs: [delivery],
    });
    await markDelivered(db, [row.id]);
  }

  return {
    /**
     * Mails a fresh code to an address that may sign in; for any other address nothing is sent,
     * and the caller, who answered before this ran, cannot tell the difference. Once per send.
     */
    async sendGuestSignInCode(input: { sendId: string; email: string }): Promise<{ sent: boolean }> {
      const existing = await findCode(db, input.sendId);
      if (existing?.sentAt) return { sent: true };
      if (!(await admissible(input.email))) return { sent: false };
      const code = formatGuestCode(randomInt(100_000_000));
      const salt = randomBytes(16).toString('hex');
      const expiresAt = new Date(deps.now().getTime() + deps.guests.codeLifetimeMs);
      await replaceUnsentCode(db, { id: input.sendId, email: input.email, codeHash: guestCodeHash(salt, input.email, code), salt, expiresAt });
      const rendered = renderTemplate(codeMail, { organizationName: deps.mail.organizationName, code, until: expiresAt.toISOString().slice(0, 16).replace('T', ' ') });
      try {
        await deps.mailer.send({ to: input.email, subject: rendered.subject, text: rendered.body, locale: deps.mail.defaultLocale, messageId: `<${input.sendId}.code@tenure>` });
      } catch (error) {
        if (error instanceof MailRejectedError) return { sent: false };
        throw error;
      }
      await markCodeSent(db, input.sendId, input.email, deps.now());
      await appendAuditEvents(db, [
        { kind: 'guest.code-sent', actor: guestActor, system: 'guests', summary: `a sign-in code was mailed to ${input.email}`, details: { email: input.email, expiresAt: expiresAt.toISOString() }, idempotencyKey: `guest-code:${input.sendId}` },
      ]);
      return { sent: true };
    },

    /**
     * On approval of a guest's request: the guest becomes an identity (type guest, their record
     * made by Tenure, their sponsor as manager) and their workflow is started with that record,
     * through the same inbox as HR's records. A guest who is an identity already only has their
     * sponsor brought up to date. Idempotent: the identity row and inbox row are written once.
     */
    async admitGuest(input: { requestId: string; approvers: string[] }): Promise<void> {
      const request = await findRequest(db, input.requestId);
      if (!request) throw permanent('RequestMissing', `no access request ${input.requestId}`);
      const guest = await findGuest(db, request.employeeId);
      if (!guest) throw permanent('GuestMissing', `no guest ${request.employeeId}`);
      const organisation = await findOrganisation(db, guest.organisationId);
      const sponsors = organisation?.sponsors ?? [];
      const sponsor = input.approvers.find((id) => sponsors.includes(id)) ?? guest.sponsorEmployeeId ?? sponsors[0] ?? undefined;
      if (sponsor && sponsor !== guest.sponsorEmployeeId) await setGuestSponsor(db, guest.id, sponsor);
      const workflowId = identityWorkflowId(guest.id);
      if (await findIdentity(db, guest.id)) {
        // A retry after the rows were written: hand over whatever did not reach the workflow.
        for (const row of await undeliveredOf(db, guest.id)) await deliver(row);
        return;
      }

      const now = deps.now();
      const record: HrRecord = {
        employeeId: guest.id,
        asOf: now.getTime(),
        givenName: guest.givenName,
        familyName: guest.familyName,
        displayName: `${guest.givenName} ${guest.familyName} (${organisation?.name ?? mailDomainOf(guest.email)})`,
        personalEmail: guest.email,
        // Their own address stays their address in the directories; no mailbox is made for them.
        workEmail: guest.email,
        employeeType: 'guest',
        managerEmployeeId: sponsor,
        timeZone: 'UTC',
        hireDate: now.toISOString().slice(0, 10),
        hireAt: now.getTime(),
      };
      const row = await db.transaction(async (tx) => {
        await upsertIdentityRecord(tx, record, workflowId);
        const [stored] = await insertInboxRows(tx, [{ employeeId: guest.id, kind: 'upsert', asOf: now, payload: null, record, policy: guestPolicy(deps.guests.deleteAfterMs), actor: guestActor }]);
        await appendAuditEvents(tx, [
          {
            employeeId: guest.id,
            kind: 'guest.created',
            actor: `request:${request.id}`,
            system: 'guests',
            summary: `guest ${guest.email} of ${organisation?.name ?? guest.organisationId} becomes identity ${guest.id}${sponsor ? `, sponsored by ${sponsor}` : ''}`,
            details: { email: guest.email, organisationId: guest.organisationId, sponsor: sponsor ?? null, requestId: request.id },
            workflowId,
            idempotencyKey: `guest:${guest.id}:created`,
          },
        ]);
        return stored!;
      });
      await deliver(row);
    },

    /** The trail of a guest's life: admitted, blocked (with the deletion instant), unblocked, admitted afresh. */
    async recordGuestLifecycle(input: { employeeId: string; event: GuestEvent; deleteAt?: number; cause: Cause }): Promise<void> {
      const summaries: Record<GuestEvent, string> = {
        admitted: 'the guest holds their first access package',
        blocked: `the guest's last access package ended: blocked (accounts disabled), deleted at ${input.deleteAt === undefined ? '?' : new Date(input.deleteAt).toISOString()}`,
        unblocked: 'a new access package was approved: the guest is unblocked and their deletion cancelled',
        readmitted: 'a new access package was approved after the guest was deleted: provisioned afresh',
      };
      await appendAuditEvents(db, [
        {
          employeeId: input.employeeId,
          kind: `guest.${input.event}`,
          actor: input.cause.actor,
          system: 'guests',
          summary: summaries[input.event],
          details: { deleteAt: input.deleteAt === undefined ? null : new Date(input.deleteAt).toISOString() },
          workflowId: input.cause.workflowId,
          runId: input.cause.runId,
          idempotencyKey: `${input.cause.key}:guest-${input.event}`,
        },
      ]);
    },
  };
}
