import { createHash, randomBytes } from 'node:crypto';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { listPackages, listRequests, type RequestRow } from '../db/queries/access';
import { appendAuditEvents } from '../db/queries/audit';
import {
  codeMatches,
  countWrongTry,
  ensureGuest,
  findGuestByEmail,
  findOrganisation,
  findOrganisationByDomain,
  guestTicketHash,
  insertTicket,
  latestCode,
  proposeOrganisation,
  useCode,
  findTicketEmail,
  type OrganisationRow,
} from '../db/queries/guests';
import { findIdentity } from '../db/queries/identities';
import type { AccessPackageVersion, RequestPolicy } from '../domain/access-packages';
import { admitsGuest, mailDomainOf, proposedOrganisation } from '../domain/connected-organisations';
import { judgeCode } from '../domain/guest-codes';
import { guestSignInCodeWorkflowId } from '../workflows/messages';
import { guestPoliciesFor, startAccessRequest, type GuestRequester } from './access-service';
import type { AppDeps } from './app';
import { recordFailedAuthentication, refuseFailedAuthentications } from './auth';
import { ApiError } from './errors';
import { countFailure, refuseWhileLimited } from './rate-limit';

// Guests for every door that leads to them (the JSON API here, the portal's pages): asking for a
// sign-in code, trading it for a ticket, and what a signed-in guest may see and ask for. Every
// answer about an address is the same whether or not Tenure knows it.

/** Who a signed-in guest is, as far as Tenure knows. */
export interface GuestIdentity {
  email: string;
  /** The connected organisation of their domain; none for a domain nobody configured or proposed yet. */
  organisation: { id: string; name: string; state: 'configured' | 'proposed' } | null;
  /** Their guest id once they asked for something; their identity exists from their first approval. */
  guestId: string | null;
  /** Their identity's lifecycle state (active, terminated = blocked, deleted), once they have one. */
  state: string | null;
}

/** Rate-limit keys carry a digest of the address, not the address. */
const addressKey = (email: string) => `guest-code:${createHash('sha256').update(email).digest('hex').slice(0, 32)}`;
const clientKey = (client: string) => `guest-code-client:${client}`;

const invalidCode = () => new ApiError(401, 'invalid_code', 'the code is wrong, used up or expired; ask for a new one', [{ path: 'code', message: 'not a valid code for this address' }]);

/**
 * Starts the mail of a sign-in code and answers when it would expire. Whether a mail goes out
 * (the address's domain is a connected organisation's, or some package is open to anyone) is
 * decided by the worker, after this answer: known and unknown addresses are answered alike.
 */
export async function requestGuestCode(deps: AppDeps, input: { email: string; client: string }): Promise<{ expiresInSeconds: number }> {
  const now = deps.now();
  const policy = deps.config.guestPolicy;
  const perAddress = { failures: policy.codesPerAddress, windowMs: policy.codeWindowMs };
  const perClient = { failures: policy.codesPerClient, windowMs: policy.codeWindowMs };
  await refuseWhileLimited(deps.db, clientKey(input.client), perClient, now, `sign-in codes asked for from ${input.client}`);
  await refuseWhileLimited(deps.db, addressKey(input.email), perAddress, now, 'sign-in codes asked for this address');
  await countFailure(deps.db, clientKey(input.client), perClient, now);
  await countFailure(deps.db, addressKey(input.email), perAddress, now);
  const sendId = randomBytes(8).toString('hex');
  try {
    await deps.temporal.client.workflow.start('guestSignInCodeWorkflow', { workflowId: guestSignInCodeWorkflowId(sendId), taskQueue: deps.temporal.taskQueue, args: [{ sendId, email: input.email }] });
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
  }
  return { expiresInSeconds: Math.round(policy.codeLifetimeMs / 1000) };
}

/** Who the address belongs to: their connected organisation, their guest id and identity state. */
export async function describeGuest(deps: AppDeps, email: string): Promise<GuestIdentity> {
  const guest = await findGuestByEmail(deps.db, email);
  const organisation = guest ? await findOrganisation(deps.db, guest.organisationId) : await findOrganisationByDomain(deps.db, mailDomainOf(email));
  const identity = guest ? await findIdentity(deps.db, guest.id) : undefined;
  return {
    email,
    organisation: organisation ? { id: organisation.id, name: organisation.name, state: organisation.state } : null,
    guestId: guest?.id ?? null,
    state: identity?.state ?? null,
  };
}

/**
 * Checks a code against the newest one mailed to the address: right, unused and in time, it is
 * used up and the guest is answered. Wrong tries count against the code (locked at the limit)
 * and against the client address, like wrong API keys; every refusal reads the same.
 */
export async function verifyGuestCode(deps: AppDeps, input: { email: string; code: string; client: string }): Promise<GuestIdentity> {
  const now = deps.now();
  const limit = { failures: deps.config.rateLimitPolicy.authFailures, windowMs: deps.config.rateLimitPolicy.authWindowMs };
  await refuseFailedAuthentications(deps.db, input.client, limit, now);
  const refuse = async () => {
    await recordFailedAuthentication(deps.db, input.client, limit, now);
    return invalidCode();
  };
  const row = await latestCode(deps.db, input.email);
  if (!row) throw await refuse();
  const verdict = judgeCode(
    { expiresAt: row.expiresAt.getTime(), usedAt: row.usedAt?.getTime(), lockedAt: row.lockedAt?.getTime(), attempts: row.attempts },
    codeMatches(row, input.code),
    now.getTime(),
    deps.config.guestPolicy.codeAttempts,
  );
  if (verdict.outcome === 'wrong') await countWrongTry(deps.db, row.id, verdict.lock, now);
  // Two tries with the right code at once: only the one that uses it up signs in.
  if (verdict.outcome !== 'accepted' || !(await useCode(deps.db, row.id, now))) throw await refuse();
  await appendAuditEvents(deps.db, [
    { kind: 'guest.signed-in', actor: `guest:${input.email}`, system: 'guests', summary: `${input.email} signed in with a mailed code from ${input.client}`, details: { email: input.email, client: input.client }, idempotencyKey: `guest-code:${row.id}:used` },
  ]);
  return describeGuest(deps, input.email);
}

/** A short-lived bearer ticket for the guest routes; only its SHA-256 is stored. */
export async function issueGuestTicket(deps: AppDeps, email: string): Promise<{ ticket: string; expiresAt: Date }> {
  const ticket = `gt_${randomBytes(32).toString('base64url')}`;
  const expiresAt = new Date(deps.now().getTime() + deps.config.guestPolicy.ticketLifetimeMs);
  await insertTicket(deps.db, { tokenHash: guestTicketHash(ticket), email, expiresAt });
  return { ticket, expiresAt };
}

/** The address a live ticket stands for; undefined for anything else. */
export async function guestOfTicket(deps: AppDeps, ticket: string): Promise<string | undefined> {
  return /^gt_[A-Za-z0-9_-]{43}$/.test(ticket) ? findTicketEmail(deps.db, ticket, deps.now()) : undefined;
}

async function requesterOf(deps: AppDeps, email: string): Promise<{ organisation?: OrganisationRow; requester: GuestRequester }> {
  const guest = await findGuestByEmail(deps.db, email);
  const organisation = guest ? await findOrganisation(deps.db, guest.organisationId) : await findOrganisationByDomain(deps.db, mailDomainOf(email));
  return { organisation, requester: { organisation } };
}

/** Enabled packages with a policy that admits this guest, each with those policies. */
export async function guestPackages(deps: AppDeps, email: string): Promise<{ accessPackage: AccessPackageVersion; policies: RequestPolicy[] }[]> {
  const { requester } = await requesterOf(deps, email);
  const packages = await listPackages(deps.db);
  return packages.filter((p) => p.enabled).flatMap((accessPackage) => {
    const policies = guestPoliciesFor(accessPackage, requester);
    return policies.length > 0 ? [{ accessPackage, policies }] : [];
  });
}

export interface GuestRequest {
  packageId: string;
  policyId?: string;
  justification?: string;
  until?: string;
  /** Needed the first time a guest asks; kept from then on. */
  givenName?: string;
  familyName?: string;
}

/**
 * A guest asks for a package: on their first request they are recorded (a guest id that no HR
 * id can take, their name, their organisation — proposed now if their domain is new and the
 * policy is open to anyone); then it is a request like any other, for the policy's approvers.
 */
export async function startGuestRequest(deps: AppDeps, email: string, input: GuestRequest): Promise<RequestRow> {
  let { organisation } = await requesterOf(deps, email);
  let guest = await findGuestByEmail(deps.db, email);
  if (!organisation) {
    const accessPackage = (await listPackages(deps.db)).find((p) => p.id === input.packageId);
    const open = accessPackage?.policies.some((p) => p.type === 'request' && admitsGuest(p.guests, undefined) && (!input.policyId || p.id === input.policyId));
    if (!open) throw new ApiError(403, 'not_requestable', `${input.packageId} is not open to guests of ${mailDomainOf(email)}`, [{ path: 'packageId', message: 'no request policy of this package admits your organisation' }]);
    organisation = await proposeOrganisation(deps.db, proposedOrganisation(mailDomainOf(email)));
    await appendAuditEvents(deps.db, [
      { kind: 'organisation.proposed', actor: `guest:${email}`, system: 'guests', summary: `${email} asked for ${input.packageId}: connected organisation ${organisation.id} proposed for ${mailDomainOf(email)}`, details: { organisationId: organisation.id, domain: mailDomainOf(email) }, idempotencyKey: `organisation:${organisation.id}:proposed` },
    ]);
  }
  if (!guest) {
    const missing = [!input.givenName ? 'givenName' : undefined, !input.familyName ? 'familyName' : undefined].filter((f): f is string => f !== undefined);
    if (missing.length > 0) throw new ApiError(400, 'validation_failed', 'your name is needed with your first request', missing.map((path) => ({ path, message: 'required with a first request' })));
    guest = await ensureGuest(deps.db, { id: `g-${randomBytes(8).toString('hex')}`, email, organisationId: organisation.id, givenName: input.givenName!, familyName: input.familyName! });
  }
  return startAccessRequest(deps, {
    employeeId: guest.id,
    requestedBy: guest.id,
    guest: { organisation },
    packageId: input.packageId,
    policyId: input.policyId,
    justification: input.justification,
    until: input.until,
  });
}

/** The guest's own requests, newest first. */
export async function guestRequests(deps: AppDeps, email: string): Promise<RequestRow[]> {
  const guest = await findGuestByEmail(deps.db, email);
  return guest ? listRequests(deps.db, { employeeId: guest.id, limit: 100 }) : [];
}
