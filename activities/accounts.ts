import { ApplicationFailure } from '@temporalio/activity';
import type { Db } from '../db/client';
import { appendAuditEvents, type AuditEntry } from '../db/queries/audit';
import { findDirectReports, findIdentity, findLiveAccount, markAccountDeleted, saveLiveAccount, setIdentityNames } from '../db/queries/identities';
import { forgetMemberships } from '../db/queries/group-memberships';
import { findReservation, releaseReservation, tryReserveUsername } from '../db/queries/username-reservations';
import type { HrRecord } from '../domain/hr-record';
import { usernameCandidates, type UsernamePolicy } from '../domain/username';
import { DirectoryConflictError, type EnsureResult, type LdapDirectory, type ManagedLdapAttribute } from './connectors/ldap';
import { writeLifecyclePosition } from './identity-store';
import type { Cause, EnsureAccountsInput, EnsureAccountsResult } from './types';

export const ldapSystem = 'ldap';

export interface AccountDeps {
  db: Db;
  ldap: LdapDirectory;
  usernamePolicy: UsernamePolicy;
  emailDomain: string;
  hrWritebackConfigured: boolean;
}

/** The inetOrgPerson attributes of a person; the manager is a DN, present once the manager has an entry. */
export function ldapAttributes(record: HrRecord, workEmail: string, managerDn: string | undefined): Partial<Record<ManagedLdapAttribute, string>> {
  return {
    cn: record.displayName,
    sn: record.familyName,
    givenName: record.preferredName ?? record.givenName,
    displayName: record.displayName,
    mail: workEmail,
    employeeType: record.employeeType,
    title: record.jobTitle,
    departmentNumber: record.department,
    l: record.location,
    manager: managerDn,
  };
}

function definedOnly(attributes: Partial<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(attributes).filter((entry): entry is [string, string] => entry[1] !== undefined));
}

function audit(cause: Cause, employeeId: string, kind: string, summary: string, details: Record<string, unknown> = {}): AuditEntry {
  return {
    employeeId,
    kind,
    actor: cause.actor,
    system: ldapSystem,
    summary,
    details,
    workflowId: cause.workflowId,
    runId: cause.runId,
    idempotencyKey: `${cause.key}:${kind}:${ldapSystem}`,
  };
}

export function createAccountActivities(deps: AccountDeps) {
  const { db, ldap } = deps;
  const generatedEmail = (username: string) => `${username}@${deps.emailDomain}`;

  /** The person's username: kept if reserved before, else the first candidate free everywhere. */
  async function reserveUsername(record: HrRecord): Promise<string> {
    const existing = await findReservation(db, record.employeeId);
    if (existing) return existing;
    const candidates = usernameCandidates(record, deps.usernamePolicy);
    for (const candidate of candidates) {
      const mail = record.workEmail ?? generatedEmail(candidate);
      if (!(await ldap.isUsernameFree(candidate, mail, record.employeeId))) continue;
      if (await tryReserveUsername(db, candidate, record.employeeId)) return candidate;
    }
    throw ApplicationFailure.create({
      type: 'UsernameExhausted',
      message: `no free username for ${record.employeeId} among ${candidates.length} candidates`,
      nonRetryable: true,
    });
  }

  return {
    /** Creates or converges the person's accounts to the record, enabled or not; repeats are harmless. */
    async ensureAccounts(input: EnsureAccountsInput): Promise<EnsureAccountsResult> {
      const identity = await findIdentity(db, input.employeeId);
      if (!identity) {
        throw ApplicationFailure.create({ type: 'IdentityMissing', message: `no identity ${input.employeeId}`, nonRetryable: true });
      }
      const record = identity.record;
      const before = await findLiveAccount(db, input.employeeId, ldapSystem);
      const managerDn = record.managerEmployeeId
        ? (await findLiveAccount(db, record.managerEmployeeId, ldapSystem))?.externalId
        : undefined;
      let username: string;
      let workEmail: string;
      let attributes: Partial<Record<ManagedLdapAttribute, string>>;
      let result: EnsureResult;
      for (let attempt = 1; ; attempt++) {
        username = await reserveUsername(record);
        workEmail = record.workEmail ?? generatedEmail(username);
        attributes = ldapAttributes(record, workEmail, managerDn);
        try {
          result = await ldap.ensurePerson({ employeeId: input.employeeId, username, enabled: input.enabled, attributes });
          break;
        } catch (error) {
          if (!(error instanceof DirectoryConflictError)) throw error;
          // Someone else's entry took the name after we checked it: give the name up and take the next one.
          if (error.code === 'username-taken' && !before && attempt < 5) {
            await releaseReservation(db, username, input.employeeId);
            continue;
          }
          throw ApplicationFailure.create({ type: 'DirectoryConflict', message: error.message, nonRetryable: true, details: [error.code] });
        }
      }
      const groups = input.stripMemberships ? await ldap.removeMemberships(result.dn, undefined, username) : [];

      // The audit trail compares with what we stored last, so a retried step still reports what it did;
      // what the directory itself had drifted to (an entry deleted or unlocked by hand) is reported too.
      const written = definedOnly(attributes);
      const events: AuditEntry[] = [];
      const { cause } = input;
      if (!before) {
        events.push(audit(cause, input.employeeId, 'account.created', `created ${result.dn} (${input.enabled ? 'enabled' : 'disabled'})`, { dn: result.dn, enabled: input.enabled, attributes: written }));
      } else {
        const changed = Object.keys({ ...before.attributes, ...written }).filter((k) => before.attributes[k] !== written[k]);
        if (changed.length > 0) {
          const diff = Object.fromEntries(changed.map((k) => [k, { from: before.attributes[k] ?? null, to: written[k] ?? null }]));
          events.push(audit(cause, input.employeeId, 'account.updated', `updated ${changed.join(', ')} on ${result.dn}`, { dn: result.dn, changes: diff }));
        }
        if (before.enabled !== input.enabled) {
          const kind = input.enabled ? 'account.enabled' : 'account.disabled';
          events.push(audit(cause, input.employeeId, kind, `${input.enabled ? 'enabled' : 'disabled'} ${result.dn}`, { dn: result.dn }));
        } else if (result.enabledChanged) {
          events.push(audit(cause, input.employeeId, 'account.drift-corrected', `${input.enabled ? 'unlocked' : 'locked'} ${result.dn} again: it had been changed outside Tenure`, { dn: result.dn, enabled: input.enabled }));
        }
        if (result.created) {
          events.push(audit(cause, input.employeeId, 'account.recreated', `re-created ${result.dn}: it had been deleted outside Tenure`, { dn: result.dn }));
        }
      }
      if (groups.length > 0) {
        events.push(audit(cause, input.employeeId, 'membership.removed', `removed ${result.dn} from ${groups.length} group(s)`, { dn: result.dn, groups }));
      }
      await db.transaction(async (tx) => {
        await saveLiveAccount(tx, { employeeId: input.employeeId, system: ldapSystem, externalId: result.dn, username, enabled: input.enabled, attributes: written });
        await setIdentityNames(tx, input.employeeId, username, workEmail);
        if (input.stripMemberships) await forgetMemberships(tx, input.employeeId, ldapSystem);
        await appendAuditEvents(tx, events);
        if (input.position) await writeLifecyclePosition(tx, { employeeId: input.employeeId, ...input.position, cause });
      });
      const reportsToNotify = before ? [] : await findDirectReports(db, input.employeeId);
      return { username, workEmail, writeBack: deps.hrWritebackConfigured, reportsToNotify };
    },

    /**
     * Deletes the person's accounts everywhere; an account that is already gone counts as
     * deleted. Answers the direct reports, whose manager reference now points nowhere.
     */
    async deleteAccounts(input: { employeeId: string; cause: Cause }): Promise<string[]> {
      const removed = await ldap.deletePerson(input.employeeId);
      const before = await findLiveAccount(db, input.employeeId, ldapSystem);
      const dn = removed?.dn ?? before?.externalId;
      await db.transaction(async (tx) => {
        await markAccountDeleted(tx, input.employeeId, ldapSystem);
        await forgetMemberships(tx, input.employeeId, ldapSystem);
        if (dn) {
          await appendAuditEvents(tx, [
            audit(input.cause, input.employeeId, 'account.deleted', `deleted ${dn}`, { dn, groups: removed?.groups ?? [] }),
          ]);
        }
      });
      return findDirectReports(db, input.employeeId);
    },
  };
}
