import { ApplicationFailure, activityInfo } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import type { Db } from '../db/client';
import { appendAuditEvents, type AuditEntry } from '../db/queries/audit';
import { forgetMemberships, recordMemberships } from '../db/queries/group-memberships';
import { clearIdentityNames, findDirectReports, findIdentity, findLiveAccount, identityFacts, markAccountDeleted, saveLiveAccount, setIdentityNames, type IdentityRow } from '../db/queries/identities';
import { clearPending, findTargetStatus, markPending, recordTargetFailure, recordTargetSuccess, type TargetStatusRow } from '../db/queries/targets';
import { findReservation, findUsernameOwner, releaseReservation, tryReserveUsername } from '../db/queries/username-reservations';
import { attributeChanges, containerFor, desiredAttributes, inTargetScope, uniqueCandidates, wantedGroups, type AttributeValue, type CompiledTarget, type MappingContext } from '../domain/targets';
import { usernameCandidates, type UsernamePolicy } from '../domain/username';
import { redact, TargetRefusedError, TargetThrottledError, type GroupChanges, type RemoteAccount, type TargetConnector } from './connectors/target-connector';
import { auditTransition, breakerActor, failureKind, watchTarget } from './target-breaker';
import type { Cause } from './types';
import { listPackages, liveAssignments, toAssignmentFact } from '../db/queries/access';
import type { PackageResource } from '../domain/access-packages';
import { grantedGroups } from '../domain/access-planner';

// Applying a person's desired state to each provisioning target: create, update only what
// differs, enable, disable, delete — every step converges, so repeating one is harmless.

export interface ProvisioningDeps {
  db: Db;
  temporal: Client;
  targets: CompiledTarget[];
  connectors: Map<string, TargetConnector>;
  usernamePolicy: UsernamePolicy;
  emailDomain: string;
  hrWritebackConfigured: boolean;
  now: () => Date;
  random: () => number;
}

export type DesiredAccount = 'enabled' | 'disabled' | 'absent';

export interface SyncTargetInput {
  employeeId: string;
  target: string;
  desired: DesiredAccount;
  stripMemberships: boolean;
  cause: Cause;
}

export interface SyncOutcome {
  target: string;
  status: 'created' | 'updated' | 'unchanged' | 'removed' | 'absent' | 'out-of-scope' | 'waiting';
  /** The account is owed but the target's breaker is not closed: since when and why. */
  waiting?: { since: string; reason: string };
  accountId?: string;
  enabled?: boolean;
  /** What was written (secrets redacted). */
  sent?: Record<string, AttributeValue | undefined>;
  /** Changes to the target's rule-given group memberships. */
  groups?: GroupChanges;
  /** The person's username and work email, once reserved. */
  username?: string;
  workEmail?: string;
  /** Direct reports to tell, when this call created or removed the account. */
  reportsToNotify?: string[];
  /** HR wants to hear the username and work email (a write-back webhook is configured). */
  writeBack?: boolean;
}

const permanent = (type: string, message: string, details: unknown[] = []) => ApplicationFailure.create({ type, message, nonRetryable: true, details });

/** `lastSuccessAt` is refreshed at most this often by the syncs of a healthy target. */
const successRefreshMs = 5_000;
/** A watch whose probe is this late has died (or never started): the next sync starts one. */
const overdueWatchMs = 60_000;

/** The username is checked on a directory whose breaker is not closed: the person waits for it. */
class WaitingForTarget extends Error {
  constructor(
    readonly target: string,
    reason: string,
  ) {
    super(reason);
  }
}

/** Why people wait for a target, as the person's view shows it. */
function waitingReason(name: string, status: TargetStatusRow): string {
  const next = status.nextProbeAt ? `; next attempt ${status.nextProbeAt.toISOString()}` : '';
  return status.state === 'quarantined' ? `${name} refused Tenure (quarantined): ${status.stateReason ?? status.lastError ?? ''}${next}` : `${name} is unreachable: ${status.stateReason ?? status.lastError ?? ''}${next}`;
}

export function createProvisioningActivities(deps: ProvisioningDeps) {
  const { db } = deps;
  const byName = new Map(deps.targets.map((t) => [t.config.name, t]));

  function connector(name: string): { target: CompiledTarget; connector: TargetConnector } {
    const target = byName.get(name);
    const found = deps.connectors.get(name);
    if (!target || !found) throw permanent('UnknownTarget', `no provisioning target "${name}" is configured`);
    return { target, connector: found };
  }

  async function mappingContext(identity: IdentityRow, target: string): Promise<MappingContext> {
    const facts = identityFacts(identity, false);
    const managerId = identity.record.managerEmployeeId;
    const manager = managerId ? await findLiveAccount(db, managerId, target) : undefined;
    return {
      attributes: { ...facts.attributes, username: identity.username ?? undefined, workEmail: identity.workEmail ?? undefined, manager: manager?.externalId },
      now: deps.now(),
      random: deps.random,
    };
  }

  /** Checks every SelectUniqueValue candidate against the target and the username reservations. */
  async function uniquenessFor(target: CompiledTarget, found: TargetConnector, context: MappingContext, employeeId: string): Promise<(value: string) => boolean> {
    const free = new Set<string>();
    for (const { mapping, candidates } of uniqueCandidates(target, context)) {
      for (const candidate of candidates) {
        const owner = await findUsernameOwner(db, candidate);
        if (owner && owner !== employeeId) continue;
        if (await found.isUnique(mapping, candidate, employeeId)) free.add(candidate);
      }
    }
    return (value) => free.has(value);
  }

  function audit(cause: Cause, employeeId: string, target: string, kind: string, summary: string, details: Record<string, unknown>): AuditEntry {
    return { employeeId, kind, actor: cause.actor, system: target, summary, details, workflowId: cause.workflowId, runId: cause.runId, idempotencyKey: `${cause.key}:${kind}:${target}` };
  }

  /** The work on one target; errors are sorted into facts (non-retryable) and outages (retried, counted). */
  /** The person to sync, with a username and work email reserved unless their accounts are to go. */
  async function identityToSync(input: SyncTargetInput): Promise<IdentityRow> {
    const identity = await findIdentity(db, input.employeeId);
    if (!identity) throw permanent('IdentityMissing', `no identity ${input.employeeId}`);
    // A name given back after a collision is replaced before anything is created.
    return input.desired !== 'absent' && !identity.username ? { ...identity, ...(await reserve(identity)) } : identity;
  }

  async function apply(input: SyncTargetInput, target: CompiledTarget, found: TargetConnector, identity: IdentityRow): Promise<SyncOutcome> {
    const context = await mappingContext(identity, target.config.name);
    const name = target.config.name;
    const desired: DesiredAccount = input.desired !== 'absent' && !inTargetScope(target, context.attributes) ? 'absent' : input.desired;
    const outOfScope = desired !== input.desired;
    const remote = await found.find(input.employeeId);
    const stored = await findLiveAccount(db, input.employeeId, name);
    const events: AuditEntry[] = [];

    if (desired === 'absent') {
      if (!remote) {
        if (stored) await markAccountDeleted(db, input.employeeId, name);
        return { target: name, status: outOfScope ? 'out-of-scope' : 'absent' };
      }
      if (target.config.deprovision === 'disable') {
        await found.setEnabled(remote, false);
        const groups = await found.removeMemberships(remote);
        await db.transaction(async (tx) => {
          await saveLiveAccount(tx, { employeeId: input.employeeId, system: name, externalId: remote.id, username: identity.username ?? input.employeeId, enabled: false, attributes: flat(remote.attributes) });
          await forgetMemberships(tx, input.employeeId, name);
          await appendAuditEvents(tx, [audit(input.cause, input.employeeId, name, 'account.disabled', `disabled ${remote.id}${outOfScope ? ' (out of scope)' : ''}`, { id: remote.id, groups })]);
        });
        return { target: name, status: outOfScope ? 'out-of-scope' : 'removed', accountId: remote.id, enabled: false };
      }
      await found.remove(remote);
      await db.transaction(async (tx) => {
        await markAccountDeleted(tx, input.employeeId, name);
        await forgetMemberships(tx, input.employeeId, name);
        await appendAuditEvents(tx, [audit(input.cause, input.employeeId, name, 'account.deleted', `deleted ${remote.id}${outOfScope ? ' (out of scope)' : ''}`, { id: remote.id })]);
      });
      return { target: name, status: outOfScope ? 'out-of-scope' : 'removed', accountId: remote.id };
    }

    const enabled = desired === 'enabled';
    let account: RemoteAccount;
    let status: SyncOutcome['status'];
    let sent: Record<string, AttributeValue | undefined>;
    if (!remote) {
      const isUnique = await uniquenessFor(target, found, context, input.employeeId);
      const { values } = desiredAttributes(target, { ...context, isUnique }, { forCreate: true });
      sent = values;
      account = await found.create(input.employeeId, values, { enabled, container: containerFor(target, context) });
      if (account.enabled !== enabled) await found.setEnabled(account, enabled);
      status = 'created';
      events.push(audit(input.cause, input.employeeId, name, stored ? 'account.recreated' : 'account.created', `${stored ? 're-created' : 'created'} ${account.id} (${enabled ? 'enabled' : 'disabled'})`, { id: account.id, enabled, attributes: redact(values) }));
    } else {
      if (!stored) {
        // The account exists but Tenure has no record of it: an attempt that died after creating it.
        events.push(audit(input.cause, input.employeeId, name, 'account.created', `recorded ${remote.id} (found in the target)`, { id: remote.id, enabled, found: true }));
      }
      const { values, ignored } = desiredAttributes(target, { ...context, isUnique: () => true }, { forCreate: false });
      for (const key of ignored) delete values[key];
      const changes = attributeChanges(remote.attributes, values);
      const container = containerFor(target, context);
      sent = changes;
      account = Object.keys(changes).length > 0 || container ? await found.update(remote, changes, { container }) : remote;
      if (account.id !== remote.id) events.push(audit(input.cause, input.employeeId, name, 'account.moved', `moved ${remote.id} to ${account.id}`, { from: remote.id, to: account.id }));
      status = Object.keys(changes).length > 0 || account.id !== remote.id ? 'updated' : 'unchanged';
      if (Object.keys(changes).length > 0) {
        const diff = Object.fromEntries(Object.keys(changes).map((k) => [k, { from: remote.attributes[k] ?? null, to: changes[k] ?? null }]));
        events.push(audit(input.cause, input.employeeId, name, 'account.updated', `updated ${Object.keys(changes).join(', ')} on ${account.id}`, { id: account.id, changes: redact(diff as never) }));
      }
      if (remote.enabled !== enabled) {
        await found.setEnabled(account, enabled);
        status = status === 'unchanged' ? 'updated' : status;
        // The trail says whether Tenure changed its mind or put back something changed by hand.
        const drift = stored !== undefined && stored.enabled === enabled;
        events.push(
          drift
            ? audit(input.cause, input.employeeId, name, 'account.drift-corrected', `${enabled ? 'enabled' : 'disabled'} ${account.id} again: it had been changed outside Tenure`, { id: account.id, enabled })
            : audit(input.cause, input.employeeId, name, enabled ? 'account.enabled' : 'account.disabled', `${enabled ? 'enabled' : 'disabled'} ${account.id}`, { id: account.id }),
        );
      }
    }
    const groups = input.stripMemberships ? await found.removeMemberships(account) : [];
    if (groups.length > 0) events.push(audit(input.cause, input.employeeId, name, 'membership.removed', `removed ${account.id} from ${groups.length} group(s)`, { id: account.id, groups }));
    const written = { ...(stored?.attributes ?? {}), ...flat(redact(sent)) };
    await db.transaction(async (tx) => {
      await saveLiveAccount(tx, { employeeId: input.employeeId, system: name, externalId: account.id, username: identity.username ?? input.employeeId, enabled, attributes: written });
      if (input.stripMemberships) await forgetMemberships(tx, input.employeeId, name);
      await appendAuditEvents(tx, events);
    });
    // After the account is on record: a missing or misnamed group fails this sync, not the account's bookkeeping.
    const ruled = input.stripMemberships ? undefined : await syncRuleGroups(input, target, found, account, context);
    if (status === 'unchanged' && (ruled?.added.length || ruled?.removed.length)) status = 'updated';
    return { target: name, status, accountId: account.id, enabled, sent: redact(sent), ...(ruled && { groups: ruled }) };
  }

  /**
   * The groups Tenure manages on the target, and those the person belongs in: the target's rule
   * groups (a mover leaves the old job's and joins the new one's) and the groups of the access
   * packages the person holds. A group given by both stays while either holds.
   */
  async function groupsFor(input: SyncTargetInput, target: CompiledTarget, context: MappingContext): Promise<{ managed: string[]; wanted: string[] }> {
    const name = target.config.name;
    const packages = (await listPackages(db)).filter((p) => p.resources.some((r) => r.target === name));
    const held = packages.length > 0 ? grantedGroups((await liveAssignments(db, input.employeeId)).map(toAssignmentFact), packages) : [];
    const onTarget = (groups: PackageResource[]) => groups.filter((r) => r.target === name).map((r) => r.group);
    return {
      managed: uniqueGroups([...target.groups.map((g) => g.group), ...onTarget(packages.flatMap((p) => p.resources))]),
      wanted: uniqueGroups([...wantedGroups(target, context.attributes), ...onTarget(held)]),
    };
  }

  /** Makes the account a member of exactly the groups it belongs in, of those Tenure manages. */
  async function syncRuleGroups(input: SyncTargetInput, target: CompiledTarget, found: TargetConnector, account: RemoteAccount, context: MappingContext): Promise<GroupChanges | undefined> {
    const { managed, wanted } = await groupsFor(input, target, context);
    if (managed.length === 0) return undefined;
    const name = target.config.name;
    const changes = await found.syncGroups(account, wanted, managed);
    const events: AuditEntry[] = [];
    if (changes.added.length) events.push(audit(input.cause, input.employeeId, name, 'membership.added', `added ${account.id} to ${changes.added.join('; ')}`, { id: account.id, groups: changes.added }));
    if (changes.removed.length) events.push(audit(input.cause, input.employeeId, name, 'membership.removed', `removed ${account.id} from ${changes.removed.join('; ')}`, { id: account.id, groups: changes.removed }));
    await db.transaction(async (tx) => {
      // The whole wanted set, not only this call's changes: a retry after a crash finds nothing to change.
      await forgetMemberships(tx, input.employeeId, name, managed.filter((group) => !wanted.includes(group)));
      await recordMemberships(tx, wanted.map((group) => ({ employeeId: input.employeeId, system: name, groupDn: group, groupName: group })));
      await appendAuditEvents(tx, events);
    });
    return changes;
  }

  return {
    /** Names of the configured targets, in configuration order. */
    async listTargets(): Promise<string[]> {
      return deps.targets.map((t) => t.config.name);
    },

    /** Brings one target to the desired state for a person; while its breaker is not closed, the person waits. */
    async syncTarget(input: SyncTargetInput): Promise<SyncOutcome> {
      const { target, connector: found } = connector(input.target);
      const name = input.target;
      const status = await findTargetStatus(db, name);
      if (status && status.state !== 'closed') return waitFor(input.employeeId, name, status);
      try {
        const identity = await identityToSync(input);
        const outcome = await apply(input, target, found, identity);
        const now = deps.now();
        if (!status || status.failingSince || !status.lastSuccessAt || now.getTime() - status.lastSuccessAt.getTime() > successRefreshMs) {
          await recordTargetSuccess(db, name, now, successRefreshMs);
        }
        await clearPending(db, input.employeeId, name);
        const reportsToNotify = outcome.status === 'created' || outcome.status === 'removed' ? await findDirectReports(db, input.employeeId) : [];
        return { ...outcome, username: identity.username ?? undefined, workEmail: identity.workEmail ?? undefined, reportsToNotify, writeBack: deps.hrWritebackConfigured };
      } catch (error) {
        if (error instanceof WaitingForTarget) {
          // The other directory is the one to wait for: its watch brings this person up to date.
          const pending = await markPendingWhileOpen(input.employeeId, error.target, error.message);
          return { target: name, status: 'waiting', waiting: { since: pending.since.toISOString(), reason: error.message } };
        }
        if (error instanceof TargetRefusedError && error.scope === 'target') {
          const opened = await countFailure(name, 'refused', error.message);
          return waitFor(input.employeeId, name, opened);
        }
        // Facts about this person (and permanent failures) are theirs to show, not the target's to wait for.
        if (error instanceof ApplicationFailure || error instanceof TargetRefusedError) await clearPending(db, input.employeeId, name);
        if (error instanceof ApplicationFailure) throw error;
        if (error instanceof TargetRefusedError) {
          // Someone else's entry took the username after it was checked: give it back; the retry takes the next one.
          if (error.code === 'name-taken' && target.config.type === 'ldap' && !(await findLiveAccount(db, input.employeeId, name))) {
            await releaseUsername(input.employeeId);
            throw new Error(`${name}: ${error.message}; trying the next username`);
          }
          throw permanent('TargetRefused', `${name}: ${error.message}`, [error.code]);
        }
        const message = ((error as Error).message ?? String(error)).slice(0, 500);
        const row = await countFailure(name, 'unreachable', message);
        if (row.state !== 'closed') return waitFor(input.employeeId, name, row);
        if (error instanceof TargetThrottledError) {
          throw ApplicationFailure.create({ type: 'TargetThrottled', message: `${name}: ${error.message}`, nextRetryDelay: error.retryAfterMs });
        }
        throw Object.assign(new Error(`${name}: ${message}`), { attempt: activityInfo().attempt });
      }
    },
  };

  /** Counts a failure against the target's breaker; a transition is audited and starts the watch. */
  async function countFailure(name: string, kind: 'unreachable' | 'refused', message: string): Promise<TargetStatusRow> {
    const target = byName.get(name)!;
    const { row, transition } = await recordTargetFailure(db, name, { kind, error: message.slice(0, 500), now: deps.now(), policy: target.breaker });
    if (transition) {
      await auditTransition(db, name, transition, breakerActor);
      await watchTarget(deps.temporal, activityInfo().taskQueue, name);
    }
    return row;
  }

  /** Records that the person waits for the target and says why; starts a watch that should be running but is late. */
  async function waitFor(employeeId: string, name: string, status: TargetStatusRow): Promise<SyncOutcome> {
    const reason = waitingReason(name, status);
    const pending = await markPendingWhileOpen(employeeId, name, reason);
    if (status.nextProbeAt && deps.now().getTime() - status.nextProbeAt.getTime() > overdueWatchMs) await watchTarget(deps.temporal, activityInfo().taskQueue, name);
    return { target: name, status: 'waiting', waiting: { since: pending.since.toISOString(), reason } };
  }

  /**
   * Marks the person as waiting for the target, then looks at its breaker again: a breaker that
   * closed in between may have been drained before this row was visible, so the person must not
   * wait for a signal that already went out — the activity's retry syncs them now.
   */
  async function markPendingWhileOpen(employeeId: string, name: string, reason: string): Promise<{ since: Date; reason: string }> {
    const pending = await markPending(db, employeeId, name, reason);
    const after = await findTargetStatus(db, name);
    if (!after || after.state === 'closed') {
      await clearPending(db, employeeId, name);
      throw new Error(`${name} closed its breaker while ${employeeId} was set to wait for it; syncing again`);
    }
    return pending;
  }

  async function releaseUsername(employeeId: string): Promise<void> {
    const username = await findReservation(db, employeeId);
    if (username) await releaseReservation(db, username, employeeId);
    await clearIdentityNames(db, employeeId);
  }

  async function reserve(identity: IdentityRow): Promise<{ username: string; workEmail: string }> {
    const record = identity.record;
    const email = (username: string) => record.workEmail ?? `${username}@${deps.emailDomain}`;
    let username = await findReservation(db, identity.employeeId);
    if (!username) {
      for (const candidate of usernameCandidates(record, deps.usernamePolicy)) {
        if (!(await freeInDirectories(candidate, email(candidate), identity.employeeId))) continue;
        if (await tryReserveUsername(db, candidate, identity.employeeId)) {
          username = candidate;
          break;
        }
        // A sync of another target for this person may have reserved one a moment ago.
        username = await findReservation(db, identity.employeeId);
        if (username) break;
      }
    }
    if (!username) throw permanent('UsernameExhausted', `no free username for ${identity.employeeId}`);
    const workEmail = email(username);
    if (identity.username !== username || identity.workEmail !== workEmail) await setIdentityNames(db, identity.employeeId, username, workEmail);
    return { username, workEmail };
  }

  /** A username is free when no directory has it; one that cannot be asked makes the person wait for it. */
  async function freeInDirectories(username: string, mail: string, employeeId: string): Promise<boolean> {
    for (const target of deps.targets) {
      if (target.config.type !== 'ldap') continue;
      const name = target.config.name;
      const status = await findTargetStatus(db, name);
      if (status && status.state !== 'closed') throw new WaitingForTarget(name, `the username is checked on ${name} first: ${waitingReason(name, status)}`);
      const found = deps.connectors.get(name)!;
      try {
        if (!(await found.isUnique(target.config.rdnAttribute, username, employeeId))) return false;
        if (!(await found.isUnique('mail', mail, employeeId))) return false;
      } catch (error) {
        if (error instanceof TargetRefusedError && error.scope === 'account') throw error;
        const message = ((error as Error).message ?? String(error)).slice(0, 500);
        const row = await countFailure(name, failureKind(error), message);
        if (row.state !== 'closed') throw new WaitingForTarget(name, `the username is checked on ${name} first: ${waitingReason(name, row)}`);
        throw new Error(`checking the username on ${name}: ${message}`);
      }
    }
    return true;
  }
}

/** Groups named once each: DNs and display names compare without letter case. */
function uniqueGroups(groups: string[]): string[] {
  const seen = new Set<string>();
  return groups.filter((g) => !seen.has(g.toLowerCase()) && seen.add(g.toLowerCase()));
}

function flat(values: Record<string, AttributeValue | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(values).filter((e): e is [string, AttributeValue] => e[1] !== undefined).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : v]));
}
