import type { Client } from '@temporalio/client';
import type { Db } from '../db/client';
import { markDelivered, markDeliveryFailed, type InboxRow } from '../db/queries/hr-inbox';
import type { identityWorkflow } from '../workflows/identity';
import { hrRecordSignal, identityWorkflowId, type HrDelivery } from '../workflows/messages';

// Hands stored HR messages to the person's entity workflow (starting it if needed).

export interface Delivery {
  client: Client;
  taskQueue: string;
  /** How long one signal may take before the row is left to the relay. */
  timeoutMs: number;
}

export function toDelivery(row: InboxRow): HrDelivery {
  const base = { inboxId: row.id, actor: row.actor, receivedAt: row.receivedAt.getTime(), policy: row.policy, asOf: row.asOf.getTime() };
  if (row.kind === 'withdraw') return { ...base, kind: 'withdraw' };
  if (!row.record) throw new Error(`hr_inbox row ${row.id} is an upsert without a record`);
  return { ...base, kind: 'upsert', record: row.record };
}

export async function signalIdentity(delivery: Delivery, row: InboxRow): Promise<void> {
  const { client, taskQueue, timeoutMs } = delivery;
  await client.withDeadline(Date.now() + timeoutMs, () =>
    client.workflow.signalWithStart<typeof identityWorkflow, [HrDelivery]>('identityWorkflow', {
      workflowId: identityWorkflowId(row.employeeId),
      taskQueue,
      args: [{ employeeId: row.employeeId }],
      signal: hrRecordSignal,
      signalArgs: [toDelivery(row)],
    }),
  );
}

/**
 * Delivers rows in order, each person's rows one after another; answers how many were
 * delivered. A row that fails stays undelivered (the relay tries again) and holds back that
 * person's later rows; the first failure also stops the rest of the pass, so a request never
 * waits out a Temporal outage once per person.
 */
export async function deliverRows(db: Db, delivery: Delivery, rows: InboxRow[], concurrency = 16): Promise<number> {
  const byPerson = new Map<string, InboxRow[]>();
  for (const row of rows) byPerson.set(row.employeeId, [...(byPerson.get(row.employeeId) ?? []), row]);
  const queues = [...byPerson.values()];
  let delivered = 0;
  let failed = false;
  const workers = Array.from({ length: Math.min(concurrency, queues.length) }, async () => {
    for (let queue = queues.shift(); queue && !failed; queue = queues.shift()) {
      for (const row of queue) {
        try {
          await signalIdentity(delivery, row);
        } catch (error) {
          failed = true;
          await markDeliveryFailed(db, row.id, (error as Error).message);
          break;
        }
        await markDelivered(db, [row.id]);
        delivered += 1;
      }
    }
  });
  await Promise.all(workers);
  return delivered;
}
