import type { Db } from '../db/client';
import { appendAuditEvents } from '../db/queries/audit';
import { postWebhook, type WebhookSettings } from './connectors/signed-webhook';
import type { HrWritebackInput } from './types';

export function createHrWritebackActivities(deps: { db: Db; webhook?: WebhookSettings; now: () => Date }) {
  return {
    /** Tells HR the username and work email; throws on any failure so Temporal retries it. */
    async writeBackToHr(input: HrWritebackInput & { workflowId: string; key: string }): Promise<'sent' | 'not-configured'> {
      if (!deps.webhook) return 'not-configured';
      await postWebhook(deps.webhook, { employeeId: input.employeeId, username: input.username, workEmail: input.workEmail }, deps.now());
      await appendAuditEvents(deps.db, [
        {
          employeeId: input.employeeId,
          kind: 'hr.written-back',
          actor: 'tenure',
          system: 'hr-webhook',
          summary: `told HR username ${input.username} and work email ${input.workEmail}`,
          details: { username: input.username, workEmail: input.workEmail },
          workflowId: input.workflowId,
          idempotencyKey: input.key,
        },
      ]);
      return 'sent';
    },
  };
}
