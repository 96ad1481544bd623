import type { Db, DbOrTx } from '../db/client';
import { appendAuditEvents } from '../db/queries/audit';
import { markProcessed } from '../db/queries/hr-inbox';
import { updateLifecyclePosition, upsertIdentityRecord } from '../db/queries/identities';
import type { ApplyHrRecordInput, Cause, IgnoredDeliveryInput, RecordLifecycleStateInput } from './types';

const identityStore = 'identity-store';

function trail(cause: Cause, suffix: string) {
  return { actor: cause.actor, workflowId: cause.workflowId, runId: cause.runId, idempotencyKey: `${cause.key}:${suffix}` };
}

export function createIdentityStoreActivities({ db }: { db: Db }) {
  return {
    /** Makes the inbox record the person's current one in the identity store. */
    async applyHrRecord(input: ApplyHrRecordInput): Promise<void> {
      const { record } = input;
      await db.transaction(async (tx) => {
        await upsertIdentityRecord(tx, record, input.cause.workflowId);
        await markProcessed(tx, input.inboxId, 'applied');
        await appendAuditEvents(tx, [
          {
            employeeId: input.employeeId,
            kind: `record.${input.event}`,
            system: identityStore,
            summary: input.changed.length > 0 ? `${input.event}: ${input.changed.join(', ')} changed` : `${input.event} record applied`,
            details: { inboxId: input.inboxId, asOf: new Date(record.asOf).toISOString(), changed: input.changed, hireAt: new Date(record.hireAt).toISOString(), leaveAt: record.leaveAt === undefined ? null : new Date(record.leaveAt).toISOString() },
            ...trail(input.cause, 'record'),
          },
        ]);
      });
    },

    async recordWithdrawal(input: { employeeId: string; inboxId: number; cause: Cause }): Promise<void> {
      await db.transaction(async (tx) => {
        await markProcessed(tx, input.inboxId, 'applied');
        await appendAuditEvents(tx, [
          { employeeId: input.employeeId, kind: 'record.withdrawn', system: identityStore, summary: 'HR withdrew the worker record', details: { inboxId: input.inboxId }, ...trail(input.cause, 'withdraw') },
        ]);
      });
    },

    /** A stale or repeated record: kept in the trail, no other effect. */
    async recordIgnoredDelivery(input: IgnoredDeliveryInput): Promise<void> {
      await db.transaction(async (tx) => {
        await markProcessed(tx, input.inboxId, input.outcome);
        await appendAuditEvents(tx, [
          { employeeId: input.employeeId, kind: `record.${input.outcome}`, system: identityStore, summary: input.reason, details: { inboxId: input.inboxId }, ...trail(input.cause, 'ignored') },
        ]);
      });
    },

    async recordLifecycleState(input: RecordLifecycleStateInput): Promise<void> {
      await db.transaction((tx) => writeLifecyclePosition(tx, input));
    },

  };
}

/** Stores where the person stands, with a `state.changed` (and any failure) in the trail. */
export async function writeLifecyclePosition(tx: DbOrTx, input: RecordLifecycleStateInput): Promise<void> {
  const found = await updateLifecyclePosition(tx, input.employeeId, {
    state: input.to,
    nextAction: input.next?.action,
    nextActionAt: input.next ? new Date(input.next.at) : undefined,
    lastError: input.lastError,
    targetErrors: input.targetErrors,
    waiting: input.waiting,
  });
  if (!found) return;
  const entries = [];
  if (input.from !== input.to) {
    entries.push({ employeeId: input.employeeId, kind: 'state.changed', system: identityStore, summary: `${input.from ?? 'new'} → ${input.to}`, details: { from: input.from ?? null, to: input.to }, ...trail(input.cause, 'state') });
  }
  const waiting = Object.entries(input.waiting ?? {});
  if (waiting.length > 0) {
    entries.push({ employeeId: input.employeeId, kind: 'provisioning.waiting', system: identityStore, summary: waiting.map(([target, w]) => `waiting for ${target}: ${w.reason}`).join('; '), details: { waiting: input.waiting }, ...trail(input.cause, 'waiting') });
  }
  if (input.lastError) {
    entries.push({ employeeId: input.employeeId, kind: 'provisioning.failed', system: identityStore, summary: input.lastError, details: {}, ...trail(input.cause, 'error') });
  }
  await appendAuditEvents(tx, entries);
}
