import type { Db } from '../db/client';
import type { UsernamePolicy } from '../domain/username';
import { createAccountActivities } from './accounts';
import type { WebhookSettings } from './connectors/hr-webhook';
import type { LdapDirectory } from './connectors/ldap';
import { createHrWritebackActivities } from './hr-writeback';
import { createIdentityStoreActivities } from './identity-store';

export interface ActivityDeps {
  db: Db;
  ldap: LdapDirectory;
  usernamePolicy: UsernamePolicy;
  emailDomain: string;
  hrWebhook?: WebhookSettings;
  now: () => Date;
}

/** Every activity the worker registers; workflows import only this function's type. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createIdentityStoreActivities(deps),
    ...createAccountActivities({ ...deps, hrWritebackConfigured: deps.hrWebhook !== undefined }),
    ...createHrWritebackActivities({ db: deps.db, webhook: deps.hrWebhook, now: deps.now }),
  };
}

export type Activities = ReturnType<typeof createActivities>;
