import { and, count, eq, inArray, isNull, like, or } from 'drizzle-orm';
import { escapeFilterValue } from '../../activities/connectors/ldap-escape';
import { auditEvents, hrInbox, identities, lifecycleRuns } from '../../db/schema';
import { withClient, type FaultStack } from './harness';
import { allStaffDn, peopleDn, ruleGroupDepartment, ruleGroupDn } from './tenure-config';
import type { Cohort, Expected } from './hr-client';

// What a scenario counts, read from the real systems: entries in LDAP (by the employeeNumber
// anchor) and their group memberships, accounts in the SCIM peer and in Active Directory, audit
// rows and lifecycle runs in PostgreSQL, welcome mails in the mail sink, failed workflows in
// Temporal's visibility store.

/** The onboarding definition's welcome task: its Message-ID is <run id>.welcome@tenure. */
const welcomeMessageId = /\.welcome@tenure>$/;

interface AccountView {
  accounts: number;
  /** The one account shows the expected department and title, enabled. */
  applied: boolean;
}

export interface PersonView {
  employeeId: string;
  ldap: AccountView & { enabled: number; allStaff: boolean; ruleGroupRight: boolean };
  /** Other targets (scim, ad), when the scenario has them. */
  targets: Record<string, AccountView>;
  /** `account.created` audit rows per target. */
  created: Record<string, number>;
  /** `account.updated` audit rows per target. */
  updated: Record<string, number>;
  welcomeMails: number;
  /** Distinct Message-IDs among them: fewer than the mails means a resend of the same message. */
  welcomeMessageIds: number;
  runs: Record<string, number>;
}

export interface Snapshot {
  at: number;
  people: Map<string, PersonView>;
  failedWorkflows: { count: number; examples: string[] };
  inboxUndelivered: number;
  runsUnfinished: number;
  /** Why onboarding runs failed, with the person's id taken out: reason → runs. */
  runFailures: Record<string, number>;
}

const values = (value: unknown): string[] => (value === undefined ? [] : (Array.isArray(value) ? value : [value]).map(String));
const lower = (dn: string) => dn.toLowerCase().replace(/\s*,\s*/g, ',');

async function ldapView(stack: FaultStack, cohort: Cohort): Promise<Map<string, PersonView['ldap']>> {
  return withClient(stack.ldapAdmin, async (ldap) => {
    const { searchEntries } = await ldap.search(peopleDn, {
      scope: 'sub',
      filter: `(employeeNumber=${escapeFilterValue(cohort.prefix)}-*)`,
      attributes: ['employeeNumber', 'departmentNumber', 'title', 'pwdAccountLockedTime'],
    });
    const members = async (dn: string) => {
      const { searchEntries: groups } = await ldap.search(dn, { scope: 'base', attributes: ['member'] });
      return new Set(values(groups[0]?.member).map(lower));
    };
    const [allStaff, ruleGroup] = await Promise.all([members(allStaffDn), members(ruleGroupDn)]);
    const views = new Map<string, PersonView['ldap']>();
    for (const id of cohort.ids) {
      const entries = searchEntries.filter((e) => values(e.employeeNumber).includes(id));
      const expected = cohort.expected.get(id);
      const enabled = entries.filter((e) => values(e.pwdAccountLockedTime).length === 0);
      const [only] = entries;
      const inRule = only !== undefined && ruleGroup.has(lower(only.dn));
      const ruleGroupRight = expected !== undefined && inRule === (expected.department === ruleGroupDepartment);
      views.set(id, {
        accounts: entries.length,
        enabled: enabled.length,
        applied: entries.length === 1 && enabled.length === 1 && matches(expected, values(only?.departmentNumber)[0], values(only?.title)[0]),
        allStaff: only !== undefined && allStaff.has(lower(only.dn)),
        ruleGroupRight,
      });
    }
    return views;
  });
}

function matches(expected: Expected | undefined, department: string | undefined, title: string | undefined): boolean {
  return expected !== undefined && department === expected.department && title === expected.jobTitle;
}

function scimView(stack: FaultStack, cohort: Cohort): Map<string, AccountView> {
  const views = new Map<string, AccountView>();
  if (!stack.scim) return views;
  for (const id of cohort.ids) {
    const users = stack.scim.byExternalId(id);
    const [only] = users;
    const expected = cohort.expected.get(id);
    views.set(id, { accounts: users.length, applied: users.length === 1 && only?.active !== false && expected !== undefined && only?.title === expected.jobTitle });
  }
  return views;
}

async function adView(stack: FaultStack, cohort: Cohort): Promise<Map<string, AccountView>> {
  const views = new Map<string, AccountView>();
  const ou = stack.adOu;
  if (!stack.adAdmin || !ou) return views;
  const { searchEntries } = await withClient(stack.adAdmin, (ad) => ad.search(ou, {
    scope: 'sub',
    filter: `(&(objectClass=user)(employeeID=${escapeFilterValue(cohort.prefix)}-*))`,
    attributes: ['employeeID', 'title', 'department', 'userAccountControl'],
  }));
  for (const id of cohort.ids) {
    const users = searchEntries.filter((e) => values(e.employeeID).includes(id));
    const [only] = users;
    // userAccountControl bit 2 is ACCOUNTDISABLE.
    const enabled = only !== undefined && (Number(values(only.userAccountControl)[0]) & 2) === 0;
    views.set(id, { accounts: users.length, applied: users.length === 1 && enabled && matches(cohort.expected.get(id), values(only?.department)[0], values(only?.title)[0]) });
  }
  return views;
}

async function failedWorkflows(stack: FaultStack): Promise<Snapshot['failedWorkflows']> {
  const query = 'ExecutionStatus="Failed"';
  const { count: failed } = await stack.temporalClient.workflow.count(query);
  const examples: string[] = [];
  if (failed > 0) {
    for await (const execution of stack.temporalClient.workflow.list({ query, pageSize: 5 })) {
      examples.push(`${execution.type} ${execution.workflowId}`);
      if (examples.length >= 5) break;
    }
  }
  return { count: failed, examples };
}

export async function snapshot(stack: FaultStack, cohort: Cohort): Promise<Snapshot> {
  const ids = cohort.ids;
  const byPrefix = `${cohort.prefix}-%`;
  const [ldap, ad, audit, runs, people, undelivered, failed, failures] = await Promise.all([
    ldapView(stack, cohort),
    adView(stack, cohort),
    stack.db
      .select({ employeeId: auditEvents.employeeId, kind: auditEvents.kind, system: auditEvents.system, n: count() })
      .from(auditEvents)
      .where(and(like(auditEvents.employeeId, byPrefix), or(eq(auditEvents.kind, 'account.created'), eq(auditEvents.kind, 'account.updated'))))
      .groupBy(auditEvents.employeeId, auditEvents.kind, auditEvents.system),
    stack.db
      .select({ employeeId: lifecycleRuns.employeeId, status: lifecycleRuns.status, n: count() })
      .from(lifecycleRuns)
      .where(and(like(lifecycleRuns.employeeId, byPrefix), eq(lifecycleRuns.workflowId, 'onboard-new-hire')))
      .groupBy(lifecycleRuns.employeeId, lifecycleRuns.status),
    stack.db.select({ employeeId: identities.employeeId, workEmail: identities.workEmail }).from(identities).where(inArray(identities.employeeId, ids)),
    stack.db.select({ n: count() }).from(hrInbox).where(and(like(hrInbox.employeeId, byPrefix), isNull(hrInbox.deliveredAt))),
    failedWorkflows(stack),
    stack.db
      .select({ error: lifecycleRuns.error, n: count() })
      .from(lifecycleRuns)
      .where(and(like(lifecycleRuns.employeeId, byPrefix), eq(lifecycleRuns.status, 'failed')))
      .groupBy(lifecycleRuns.error),
  ]);
  const runFailures: Record<string, number> = {};
  for (const { error, n } of failures) {
    const reason = (error ?? 'no reason given').replaceAll(new RegExp(`${cohort.prefix}-\\d+`, 'g'), '<id>');
    runFailures[reason] = (runFailures[reason] ?? 0) + n;
  }
  const scim = scimView(stack, cohort);
  const mailsTo = new Map<string, string[]>();
  for (const mail of stack.mails) {
    if (!welcomeMessageId.test(mail.messageId)) continue;
    for (const to of mail.to) mailsTo.set(to.toLowerCase(), [...(mailsTo.get(to.toLowerCase()) ?? []), mail.messageId]);
  }
  const emails = new Map(people.map((p) => [p.employeeId, p.workEmail?.toLowerCase()]));
  const view = new Map<string, PersonView>();
  let runsUnfinished = 0;
  for (const id of ids) {
    const created: Record<string, number> = {};
    const updated: Record<string, number> = {};
    for (const row of audit.filter((a) => a.employeeId === id)) {
      const into = row.kind === 'account.created' ? created : updated;
      into[row.system ?? 'tenure'] = (into[row.system ?? 'tenure'] ?? 0) + row.n;
    }
    const personRuns: Record<string, number> = {};
    for (const row of runs.filter((r) => r.employeeId === id)) {
      personRuns[row.status] = row.n;
      if (row.status === 'queued' || row.status === 'in_progress') runsUnfinished += row.n;
    }
    const email = emails.get(id);
    const mails = email ? (mailsTo.get(email) ?? []) : [];
    const targets: Record<string, AccountView> = {};
    if (scim.has(id)) targets.scim = scim.get(id)!;
    if (ad.has(id)) targets.ad = ad.get(id)!;
    view.set(id, { employeeId: id, ldap: ldap.get(id)!, targets, created, updated, welcomeMails: mails.length, welcomeMessageIds: new Set(mails).size, runs: personRuns });
  }
  return { at: Date.now(), people: view, failedWorkflows: failed, inboxUndelivered: undelivered[0]?.n ?? 0, runsUnfinished, runFailures };
}

/** Everything the person is owed has happened (at least once). */
export function isComplete(person: PersonView): boolean {
  const { ldap } = person;
  return (
    ldap.applied &&
    ldap.allStaff &&
    ldap.ruleGroupRight &&
    (person.created.ldap ?? 0) >= 1 &&
    person.welcomeMails >= 1 &&
    (person.runs.completed ?? 0) >= 1 &&
    Object.entries(person.targets).every(([name, target]) => target.applied && (person.created[name] ?? 0) >= 1)
  );
}

export interface LostDoubled {
  lost: number;
  doubled: number;
  /** A few of the people concerned, for the report. */
  examples: string[];
}

export interface Tally {
  people: number;
  movers: number;
  ldap: LostDoubled & { enabled: number; applied: number; moversApplied: number };
  created: Record<string, LostDoubled>;
  welcome: LostDoubled & { resent: number };
  allStaff: { members: number; missing: number };
  ruleGroup: { right: number; wrong: number };
  targets: Record<string, LostDoubled & { applied: number; moversApplied: number }>;
  runs: Record<string, number>;
  /** People with more than one onboarding run. */
  runsDoubled: number;
  failedWorkflows: { count: number; examples: string[] };
  runFailures: Record<string, number>;
  complete: number;
}

export function tally(snap: Snapshot, cohort: Cohort): Tally {
  const people = [...snap.people.values()];
  const movers = people.filter((p) => cohort.movers.has(p.employeeId));
  const lostDoubled = (n: (p: PersonView) => number): LostDoubled => {
    const lost = people.filter((p) => n(p) === 0).map((p) => p.employeeId);
    const doubled = people.filter((p) => n(p) > 1).map((p) => p.employeeId);
    return { lost: lost.length, doubled: doubled.length, examples: [...lost.slice(0, 3).map((id) => `${id} none`), ...doubled.slice(0, 3).map((id) => `${id} ×${n(snap.people.get(id)!)}`)] };
  };
  const targetNames = [...new Set(people.flatMap((p) => Object.keys(p.targets)))];
  const runs: Record<string, number> = {};
  for (const person of people) for (const [status, n] of Object.entries(person.runs)) runs[status] = (runs[status] ?? 0) + n;
  return {
    people: people.length,
    movers: movers.length,
    ldap: {
      ...lostDoubled((p) => p.ldap.accounts),
      enabled: people.filter((p) => p.ldap.accounts >= 1 && p.ldap.enabled === p.ldap.accounts).length,
      applied: people.filter((p) => p.ldap.applied).length,
      moversApplied: movers.filter((p) => p.ldap.applied).length,
    },
    created: Object.fromEntries(['ldap', ...targetNames].map((name) => [name, lostDoubled((p) => p.created[name] ?? 0)])),
    // Two different welcome messages are a double; the same message (one Message-ID) delivered
    // again is a resend, which only a worker killed between the server's acceptance and its
    // record of it can cause.
    welcome: {
      ...lostDoubled((p) => p.welcomeMessageIds),
      resent: people.filter((p) => p.welcomeMails > p.welcomeMessageIds).length,
    },
    allStaff: { members: people.filter((p) => p.ldap.allStaff).length, missing: people.filter((p) => !p.ldap.allStaff).length },
    ruleGroup: { right: people.filter((p) => p.ldap.ruleGroupRight).length, wrong: people.filter((p) => !p.ldap.ruleGroupRight).length },
    targets: Object.fromEntries(
      targetNames.map((name) => [
        name,
        {
          ...lostDoubled((p) => p.targets[name]?.accounts ?? 0),
          applied: people.filter((p) => p.targets[name]?.applied).length,
          moversApplied: movers.filter((p) => p.targets[name]?.applied).length,
        },
      ]),
    ),
    runs,
    runsDoubled: people.filter((p) => Object.values(p.runs).reduce((a, b) => a + b, 0) > 1).length,
    failedWorkflows: snap.failedWorkflows,
    runFailures: snap.runFailures,
    complete: people.filter(isComplete).length,
  };
}
