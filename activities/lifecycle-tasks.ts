import { randomBytes, randomUUID } from 'node:crypto';
import { activityInfo, ApplicationFailure, heartbeat, sleep } from '@temporalio/activity';
import type { Db } from '../db/client';
import { hashPass, savePass } from '../db/queries/access-passes';
import { appendAuditEvents } from '../db/queries/audit';
import { forgetMemberships, recordMemberships } from '../db/queries/group-memberships';
import { findIdentity, type IdentityRow } from '../db/queries/identities';
import { findTaskRun, recordTaskOutput } from '../db/queries/lifecycle-runs';
import { findTargetStatus } from '../db/queries/targets';
import { mailRecipients, placeholdersWorthWaitingFor, type MailTemplate, type TaskType } from '../domain/lifecycle-workflows';
import { taskNotReadyType } from '../domain/task-waits';
import { defaultTemplates, formatDate, renderTemplate } from '../domain/mail-templates';
import type { CompiledTarget } from '../domain/targets';
import { MailRejectedError, type Mailer } from './connectors/mailer';
import { isRefusal, postWebhook } from './connectors/signed-webhook';
import { TargetRefusedError, type TargetConnector } from './connectors/target-connector';

// What lifecycle tasks do. Each is safe to repeat: mail and passes are sent once per run and
// task, group and account changes converge.

export interface LifecycleTaskDeps {
  db: Db;
  targets: CompiledTarget[];
  connectors: Map<string, TargetConnector>;
  mailer: Mailer;
  mail: { organizationName: string; defaultLocale: string };
  extensions: Record<string, { url: string; secret: string }>;
  publicUrl: string;
  now: () => Date;
}

export interface TaskContext {
  runId: string;
  taskId: string;
  employeeId: string;
  requestedBy: string;
}

/** What an attempt that sent the task's mail leaves for the next one. */
interface SentMail {
  messageId: string;
  to: string;
}

/** How long a sent mail's record waits for PostgreSQL within the attempt (the tasks' start-to-close is a minute). */
const sentRecordPatienceMs = 40_000;

const permanent = (type: string, message: string) => ApplicationFailure.create({ type, message, nonRetryable: true });
/** The task needs something time can bring: its run records what and asks again later. */
const notReady = (waitingFor: string) => ApplicationFailure.create({ type: taskNotReadyType, message: waitingFor, nonRetryable: true });

/** Tasks for someone joining or staying: pointless (and wrong) for a person who has left. */
const joinerTasks: readonly TaskType[] = ['send-welcome-email', 'send-onboarding-reminder', 'generate-temporary-access-pass', 'notify-manager-of-move'];

/** A reason time cannot fix: the person has left, or their hire was withdrawn. */
function leftFor(type: TaskType | 'add-to-groups', identity: IdentityRow): string | undefined {
  if (identity.state === 'cancelled') return `${identity.employeeId}'s hire was withdrawn`;
  if (identity.state === 'deleted') return `${identity.employeeId} has left and their accounts are deleted`;
  if (identity.state === 'terminated' && (joinerTasks.includes(type as TaskType) || type === 'add-to-groups')) return `${identity.employeeId} has left`;
  return undefined;
}

/** Unambiguous characters (no 0/O, 1/I/L) for passes read aloud or typed from a phone. */
const passAlphabet = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';

export function generatePass(): string {
  const bytes = randomBytes(16);
  const chars = [...bytes].map((b) => passAlphabet[b % passAlphabet.length]).join('');
  return chars.match(/.{4}/g)!.join('-');
}


export function createLifecycleTaskActivities(deps: LifecycleTaskDeps) {
  const { db, mailer } = deps;
  // Group tasks without a target act on the first OpenLDAP target, else the first with groups.
  const withGroups = deps.targets.filter((t) => t.config.type !== 'sql');
  const defaultGroupTarget = (withGroups.find((t) => t.config.type === 'ldap') ?? withGroups[0])?.config.name;

  async function person(employeeId: string): Promise<IdentityRow> {
    const identity = await findIdentity(db, employeeId);
    if (!identity) throw permanent('IdentityMissing', `no identity ${employeeId}`);
    return identity;
  }

  async function templateValues(identity: IdentityRow, locale: string, previous: Record<string, string | undefined> = {}) {
    const record = identity.record;
    const manager = record.managerEmployeeId ? await findIdentity(db, record.managerEmployeeId) : undefined;
    const previousManager = previous.managerEmployeeId ? await findIdentity(db, previous.managerEmployeeId) : undefined;
    return {
      values: {
        employeeId: identity.employeeId,
        displayName: record.displayName,
        givenName: record.preferredName ?? record.givenName,
        familyName: record.familyName,
        preferredName: record.preferredName,
        username: identity.username ?? undefined,
        workEmail: identity.workEmail ?? record.workEmail,
        personalEmail: record.personalEmail,
        jobTitle: record.jobTitle,
        department: record.department,
        location: record.location,
        hireDate: formatDate(record.hireAt, locale, record.timeZone),
        leaveDate: formatDate(record.leaveAt, locale, record.timeZone),
        managerDisplayName: manager?.displayName,
        managerGivenName: manager ? (manager.preferredName ?? manager.givenName) : undefined,
        managerEmail: manager?.workEmail ?? undefined,
        previousDepartment: previous.department,
        previousJobTitle: previous.jobTitle,
        previousManagerDisplayName: previousManager?.displayName,
        organizationName: deps.mail.organizationName,
      } as Record<string, string | undefined>,
      manager,
    };
  }

  /** The address a task's mail goes to: the person's (work, else personal) or their manager's; waits for one not there yet. */
  function recipient(type: TaskType, identity: IdentityRow, manager: IdentityRow | undefined): string {
    if (mailRecipients[type] === 'person') {
      const to = identity.workEmail ?? identity.record.workEmail ?? identity.record.personalEmail;
      if (!to) throw notReady(`an email address for ${identity.employeeId}`);
      return to;
    }
    const managerId = identity.record.managerEmployeeId;
    if (!managerId) throw notReady(`a manager in ${identity.employeeId}'s HR record`);
    if (!manager) throw notReady(`manager ${managerId} to be known to Tenure`);
    if (!manager.workEmail) throw notReady(`manager ${managerId}'s work email`);
    return manager.workEmail;
  }

  /** Mail that reads "Your username is X" goes out once the person's accounts are there. */
  function accountsReady(identity: IdentityRow): void {
    const waiting = Object.keys(identity.waiting);
    if (waiting.length > 0) throw notReady(`accounts on ${waiting.join(', ')}`);
  }

  /** A rendered mail with a value missing waits for it when time can bring it, and fails naming it otherwise. */
  function complete(rendered: ReturnType<typeof renderTemplate>, identity: IdentityRow): { subject: string; body: string } {
    if (rendered.missing.length === 0) return rendered;
    const later = rendered.missing.filter((name) => placeholdersWorthWaitingFor.includes(name));
    if (later.length === rendered.missing.length) throw notReady(`a value for ${later.map((n) => `{{${n}}}`).join(', ')}`);
    const never = rendered.missing.filter((name) => !placeholdersWorthWaitingFor.includes(name));
    throw permanent('TemplateValueMissing', `the template needs ${never.map((n) => `{{${n}}}`).join(', ')}, and ${identity.employeeId} has no value for it: put it in a {{#…}} section or fix the HR record`);
  }

  /**
   * Sends the task's mail and marks it sent at once. Once the server has accepted it, that fact is
   * told to Temporal (the attempt's heartbeat) and written to PostgreSQL — waiting out a database
   * that is away for a while rather than failing — so a retry never sends it a second time.
   */
  async function send(context: TaskContext, to: string, message: { subject: string; body: string }, locale: string): Promise<string> {
    let messageId: string;
    try {
      messageId = await mailer.send({ to, subject: message.subject, text: message.body, locale, messageId: `<${context.runId}.${context.taskId}@tenure>` });
    } catch (error) {
      if (error instanceof MailRejectedError) throw permanent('MailRejected', `${to}: ${error.message}`);
      throw error;
    }
    const sent: SentMail = { messageId, to };
    heartbeat({ sent });
    await recordSent(context, sent);
    return messageId;
  }

  async function recordSent(context: TaskContext, sent: SentMail): Promise<void> {
    const giveUpAt = Date.now() + sentRecordPatienceMs;
    for (;;) {
      try {
        await recordTaskOutput(db, context.runId, context.taskId, { ...sent });
        return;
      } catch (error) {
        if (Date.now() >= giveUpAt) throw error;
        await sleep(1000);
      }
    }
  }

  /** A task that already sent its mail (an earlier attempt got this far) does not send again. */
  async function alreadySent(context: TaskContext): Promise<Record<string, unknown> | undefined> {
    const told = (activityInfo().heartbeatDetails as { sent?: SentMail } | undefined)?.sent;
    if (told) {
      await recordSent(context, told);
      return { ...told };
    }
    const task = await findTaskRun(db, context.runId, context.taskId);
    return task?.output?.messageId ? task.output : undefined;
  }

  function groupTarget(name: string | undefined): { system: string; connector: TargetConnector } {
    const system = name ?? defaultGroupTarget;
    const connector = system === undefined || !withGroups.some((t) => t.config.name === system) ? undefined : deps.connectors.get(system);
    if (!system || !connector) throw permanent('UnknownTarget', name ? `no target "${name}" with groups is configured` : 'no target with groups is configured');
    return { system, connector };
  }

  async function resolveGroups(system: string, connector: TargetConnector, names: string[]): Promise<{ key: string; name: string }[]> {
    const groups: { key: string; name: string }[] = [];
    for (const name of names) {
      const group = await connector.findGroup(name);
      if (!group) throw permanent('UnknownGroup', `no group "${name}" on ${system}`);
      groups.push(group);
    }
    return groups;
  }

  const audit = (context: TaskContext, system: string, kind: string, summary: string, details: Record<string, unknown>) =>
    appendAuditEvents(db, [
      { employeeId: context.employeeId, kind, actor: `lifecycle:${context.runId}`, system, summary, details, workflowId: context.runId, idempotencyKey: `${context.runId}:${context.taskId}:${kind}` },
    ]);

  return {
    async sendLifecycleMail(input: TaskContext & { type: TaskType; template?: MailTemplate; previous?: Record<string, string | undefined> }): Promise<Record<string, unknown>> {
      const sent = await alreadySent(input);
      if (sent) return sent;
      const template = input.template ?? defaultTemplates[input.type];
      if (!template) throw permanent('BadTemplate', `no template for ${input.type}`);
      const locale = template.locale ?? deps.mail.defaultLocale;
      const identity = await person(input.employeeId);
      const left = leftFor(input.type, identity);
      if (left) throw permanent('PersonLeft', left);
      if (input.type === 'send-welcome-email') accountsReady(identity);
      const { values, manager } = await templateValues(identity, locale, input.previous);
      const to = recipient(input.type, identity, manager);
      const messageId = await send(input, to, complete(renderTemplate(template, values), identity), locale);
      return { messageId, to };
    },

    /** Issues a pass, keeps only its salted hash, and mails it to the manager; the pass itself goes nowhere else. */
    async issueTemporaryAccessPass(input: TaskContext & { lifetimeMs: number; oneTime: boolean; template?: MailTemplate }): Promise<Record<string, unknown>> {
      const sent = await alreadySent(input);
      if (sent) return sent;
      const template = input.template ?? defaultTemplates['generate-temporary-access-pass']!;
      const locale = template.locale ?? deps.mail.defaultLocale;
      const identity = await person(input.employeeId);
      const left = leftFor('generate-temporary-access-pass', identity);
      if (left) throw permanent('PersonLeft', left);
      accountsReady(identity);
      const { values, manager } = await templateValues(identity, locale);
      const to = recipient('generate-temporary-access-pass', identity, manager);
      // Checked before a pass exists: one that waits must not leave a pass behind.
      complete(renderTemplate(template, { ...values, temporaryAccessPass: 'x', temporaryAccessPassExpiresAt: 'x' }), identity);
      const pass = generatePass();
      const salt = randomBytes(16).toString('hex');
      const expiresAt = new Date(deps.now().getTime() + input.lifetimeMs);
      await savePass(db, { id: randomUUID(), employeeId: input.employeeId, salt, hash: hashPass(salt, pass), oneTime: input.oneTime, expiresAt, runId: input.runId, taskId: input.taskId });
      const message = renderTemplate(template, { ...values, temporaryAccessPass: pass, temporaryAccessPassExpiresAt: formatDate(expiresAt.getTime(), locale, identity.record.timeZone, true) });
      const messageId = await send(input, to, complete(message, identity), locale);
      await appendAuditEvents(db, [
        { employeeId: input.employeeId, kind: 'access-pass.issued', actor: `lifecycle:${input.runId}`, system: 'tenure', summary: `temporary access pass sent to ${to}, valid until ${expiresAt.toISOString()}`, details: { expiresAt: expiresAt.toISOString(), oneTime: input.oneTime, to }, workflowId: input.runId, idempotencyKey: `${input.runId}:${input.taskId}:access-pass` },
      ]);
      return { messageId, to, expiresAt: expiresAt.toISOString(), oneTime: input.oneTime };
    },

    /**
     * Adds or removes the person's account on a target (by default the first OpenLDAP one) to or
     * from groups, mirrored in the identity store. Every group named in the task is reported, also
     * one an earlier attempt already changed, so group-change triggers never miss it; "remove from
     * all" reports the groups the account was still in.
     */
    async changeGroupMemberships(input: TaskContext & { target?: string; add?: string[]; remove?: string[]; removeAll?: boolean }): Promise<{ added: string[]; removed: string[] }> {
      const { system, connector } = groupTarget(input.target);
      const adds = (input.add ?? []).length > 0;
      const status = await findTargetStatus(db, system);
      if (status && status.state !== 'closed') throw notReady(`${system} to be reachable (its breaker is ${status.state})`);
      try {
        const account = await connector.find(input.employeeId);
        if (!account) {
          const identity = await person(input.employeeId);
          // Nothing to take away from an account that is not there; an addition waits for it.
          if (!adds) return { added: [], removed: [] };
          const left = leftFor('add-to-groups', identity);
          if (left) throw permanent('PersonLeft', left);
          throw notReady(`an account on ${system}`);
        }
        const add = await resolveGroups(system, connector, input.add ?? []);
        if (add.length > 0) {
          const keys = add.map((g) => g.key);
          await connector.syncGroups(account, keys, keys);
          await recordMemberships(db, add.map((g) => ({ employeeId: input.employeeId, system, groupDn: g.key, groupName: g.name, addedByRun: input.runId })));
        }
        let removed: string[];
        if (input.removeAll) {
          removed = await connector.removeMemberships(account);
          await forgetMemberships(db, input.employeeId, system);
        } else {
          const groups = await resolveGroups(system, connector, input.remove ?? []);
          if (groups.length > 0) await connector.syncGroups(account, [], groups.map((g) => g.key));
          await forgetMemberships(db, input.employeeId, system, groups.map((g) => g.key));
          removed = groups.map((g) => g.name);
        }
        const added = add.map((g) => g.name);
        if (added.length > 0) await audit(input, system, 'membership.added', `added ${account.id} to ${added.join(', ')}`, { id: account.id, groups: added });
        if (removed.length > 0) await audit(input, system, 'membership.removed', `removed ${account.id} from ${removed.length} group(s)`, { id: account.id, groups: removed });
        return { added, removed };
      } catch (error) {
        // Facts about the target (an ambiguous name, a refusal) fail the task; outages retry.
        if (error instanceof TargetRefusedError) throw permanent('GroupChangeRefused', `${system}: ${error.message}`);
        throw error;
      }
    },

    /** Calls a configured endpoint with a signed payload; launch-and-wait gives it a signed way back. */
    async callCustomExtension(input: TaskContext & { extension: string; mode: 'launch-and-continue' | 'launch-and-wait'; timeoutMs: number }): Promise<Record<string, unknown>> {
      const extension = deps.extensions[input.extension];
      if (!extension) throw permanent('UnknownExtension', `no custom extension "${input.extension}" is configured`);
      const identity = await person(input.employeeId);
      const record = identity.record;
      const payload = {
        runId: input.runId,
        taskId: input.taskId,
        mode: input.mode,
        employee: {
          employeeId: identity.employeeId,
          displayName: record.displayName,
          username: identity.username,
          workEmail: identity.workEmail,
          department: record.department ?? null,
          jobTitle: record.jobTitle ?? null,
          managerEmployeeId: record.managerEmployeeId ?? null,
          state: identity.state,
          hireAt: new Date(record.hireAt).toISOString(),
          leaveAt: record.leaveAt === undefined ? null : new Date(record.leaveAt).toISOString(),
        },
        ...(input.mode === 'launch-and-wait'
          ? {
              callback: {
                url: `${deps.publicUrl}/v1/lifecycle-runs/${encodeURIComponent(input.runId)}/tasks/${encodeURIComponent(input.taskId)}/resume`,
                expiresAt: new Date(deps.now().getTime() + input.timeoutMs).toISOString(),
              },
            }
          : {}),
      };
      try {
        await postWebhook({ url: extension.url, secret: extension.secret }, payload, deps.now());
      } catch (error) {
        if (isRefusal(error)) throw permanent('ExtensionRefused', (error as Error).message);
        throw error;
      }
      return { extension: input.extension, mode: input.mode };
    },
  };
}
