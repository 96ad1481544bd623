import type { Client } from '@temporalio/client';
import type { Db } from '../db/client';
import type { UsernamePolicy } from '../domain/username';
import type { Mailer } from './connectors/mailer';
import type { WebhookSettings } from './connectors/signed-webhook';
import { createAccessActivities } from './access';
import { createAccessRequestActivities } from './access-requests';
import { createAccessReviewActivities } from './access-reviews';
import { createHrWritebackActivities } from './hr-writeback';
import { createIdentityStoreActivities } from './identity-store';
import { createFanOutActivities } from './identity-fanout';
import { createGuestActivities } from './guests';
import { createLifecycleRunActivities } from './lifecycle-runs';
import { createLifecycleTaskActivities } from './lifecycle-tasks';
import { createProvisioningActivities } from './provisioning';
import { createTargetBreakerActivities } from './target-breaker';
import type { TargetConnector } from './connectors/target-connector';
import type { CompiledTarget } from '../domain/targets';
import type { ExpiryReminder } from '../domain/access-planner';

export interface ActivityDeps {
  db: Db;
  mailer: Mailer;
  temporal: Client;
  usernamePolicy: UsernamePolicy;
  emailDomain: string;
  hrWebhook?: WebhookSettings;
  mail: { organizationName: string; defaultLocale: string };
  extensions: Record<string, { url: string; secret: string }>;
  /** Where custom extensions call back (launch-and-wait). */
  publicUrl: string;
  targets: CompiledTarget[];
  connectors: Map<string, TargetConnector>;
  expiryReminders: ExpiryReminder[];
  /** Guests' sign-in codes and how long a blocked guest stays. */
  guests: { codeLifetimeMs: number; deleteAfterMs: number };
  now: () => Date;
  random: () => number;
}

/** Every activity the worker registers; workflows import only this function's type. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createIdentityStoreActivities(deps),
    ...createHrWritebackActivities({ db: deps.db, webhook: deps.hrWebhook, now: deps.now }),
    ...createLifecycleRunActivities(deps),
    ...createLifecycleTaskActivities(deps),
    ...createFanOutActivities(deps),
    ...createProvisioningActivities({ ...deps, hrWritebackConfigured: deps.hrWebhook !== undefined }),
    ...createTargetBreakerActivities(deps),
    ...createAccessActivities(deps),
    ...createAccessRequestActivities(deps),
    ...createAccessReviewActivities(deps),
    ...createGuestActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
