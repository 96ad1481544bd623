import type { Db } from '../db/client';
import { appendAuditEvents } from '../db/queries/audit';
import { findIdentity } from '../db/queries/identities';
import { postWebhook, type WebhookSettings } from './connectors/signed-webhook';

export function createHrWritebackActivities(deps: { db: Db; webhook?: WebhookSettings; now: () => Date }) {
  return {
    /**
     * Tells HR the username and work email the identity store holds now (so a retry that runs
     * late never sends older values); throws on any failure so Temporal retries it.
     */
    async writeBackToHr(input: { employeeId: string; workflowId: string; key: string }): Promise<'sent' | 'not-configured' | 'nothing-to-send'> {
      if (!deps.webhook) return 'not-configured';
      const identity = await findIdentity(deps.db, input.employeeId);
      if (!identity?.username || !identity.workEmail) return 'nothing-to-send';
      const { username, workEmail } = identity;
      await postWebhook(deps.webhook, { employeeId: input.employeeId, username, workEmail }, deps.now());
      await appendAuditEvents(deps.db, [
        {
          employeeId: input.employeeId,
          kind: 'hr.written-back',
          actor: 'tenure',
          system: 'hr-webhook',
          summary: `told HR username ${username} and work email ${workEmail}`,
          details: { username, workEmail },
          workflowId: input.workflowId,
          idempotencyKey: input.key,
        },
      ]);
      return 'sent';
    },
  };
}
