import type { Client } from '@temporalio/client';
import type { Db } from '../db/client';
import type { UsernamePolicy } from '../domain/username';
import { createAccountActivities } from './accounts';
import type { LdapDirectory } from './connectors/ldap';
import type { Mailer } from './connectors/mailer';
import type { WebhookSettings } from './connectors/signed-webhook';
import { createHrWritebackActivities } from './hr-writeback';
import { createIdentityStoreActivities } from './identity-store';
import { createFanOutActivities } from './lifecycle-fanout';
import { createLifecycleRunActivities } from './lifecycle-runs';
import { createLifecycleTaskActivities } from './lifecycle-tasks';

export interface ActivityDeps {
  db: Db;
  ldap: LdapDirectory;
  mailer: Mailer;
  temporal: Client;
  usernamePolicy: UsernamePolicy;
  emailDomain: string;
  hrWebhook?: WebhookSettings;
  mail: { organizationName: string; defaultLocale: string };
  extensions: Record<string, { url: string; secret: string }>;
  /** Where custom extensions call back (launch-and-wait). */
  publicUrl: string;
  now: () => Date;
}

/** Every activity the worker registers; workflows import only this function's type. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createIdentityStoreActivities(deps),
    ...createAccountActivities({ ...deps, hrWritebackConfigured: deps.hrWebhook !== undefined }),
    ...createHrWritebackActivities({ db: deps.db, webhook: deps.hrWebhook, now: deps.now }),
    ...createLifecycleRunActivities(deps),
    ...createLifecycleTaskActivities(deps),
    ...createFanOutActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
