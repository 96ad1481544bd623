import type { Client } from '@temporalio/client';
import type { ActivityDeps } from '../activities';
import { Mailer } from '../activities/connectors/mailer';
import { connectTargets } from '../activities/connectors/targets';
import type { Db } from '../db/client';
import type { TenureConfig } from '../domain/config';
import { parseExactDuration } from '../domain/time';

/** The connectors and settings activities use, built from configuration; `close` releases them. */
export function activityDeps(config: TenureConfig, db: Db, temporal: Client, overrides: Partial<ActivityDeps> = {}): { deps: ActivityDeps; close: () => Promise<void> } {
  const mailer = overrides.mailer ?? new Mailer({ smtpUrl: config.mail.smtpUrl, from: config.mail.from });
  const connectors = overrides.connectors ?? connectTargets(config.targets);
  const deps: ActivityDeps = {
    db,
    mailer,
    temporal,
    usernamePolicy: config.usernamePolicy,
    emailDomain: config.identity.emailDomain,
    hrWebhook: config.hrWriteback.url ? { url: config.hrWriteback.url, secret: config.hrWriteback.secret } : undefined,
    mail: { organizationName: config.mail.organizationName, defaultLocale: config.mail.defaultLocale },
    extensions: config.customExtensions,
    publicUrl: config.api.publicUrl,
    targets: config.targets,
    connectors,
    expiryReminders: config.access.expiryReminders.map((before) => ({ before, ms: parseExactDuration(before) })),
    guests: { codeLifetimeMs: config.guestPolicy.codeLifetimeMs, deleteAfterMs: config.guestPolicy.deleteAfterMs },
    now: () => new Date(),
    random: Math.random,
    ...overrides,
  };
  return {
    deps,
    close: async () => {
      mailer.close();
      await Promise.all([...connectors.values()].map((c) => c.close()));
    },
  };
}
