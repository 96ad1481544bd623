import { readFileSync } from 'node:fs';
import { serve } from '@hono/node-server';
import { Client, Connection } from '@temporalio/client';
import { pino } from 'pino';
import { createDb } from '../db/client';
import { pruneGuestSignIns } from '../db/queries/guests';
import { pruneFailures } from '../db/queries/rate-limits';
import { ConfigError, lifecycleValidationContext, loadConfig } from '../domain/config';
import { loggerOptions } from '../domain/logging';
import { createApp } from './app';
import { CatalogFilesError, loadAccessCatalogFiles } from './access-catalog-files';
import { loadOrganisationFile, OrganisationFileError } from './connected-organisation-files';
import { ensureReviewSchedules, loadReviewFiles, ReviewFilesError } from './access-review-files';
import { startPendingRollouts, type RolloutDeps } from './access-rollouts';
import { startRelay } from './hr-inbox-relay';
import { LifecycleFilesError, loadLifecycleWorkflowFiles } from './lifecycle-files';
import { startLifecycleReplan } from './lifecycle-replan';

// The API process: serves HTTP and runs the inbox relay. Stateless; run as many as you like.

let config;
try {
  config = loadConfig(process.env, { readFile: (path) => readFileSync(path, 'utf8') });
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(error.message);
  process.exit(1);
}

const log = pino(loggerOptions('api', config.log.level));
const { db, close } = createDb(config.database.url, { connectTimeoutMs: config.database.connectTimeoutMs });
// Lazy: the API starts and accepts records even while Temporal is down.
const connection = Connection.lazy({ address: config.temporal.address });
const client = new Client({ connection, namespace: config.temporal.namespace });
const delivery = { client, taskQueue: config.temporal.taskQueue, timeoutMs: 2000 };

if (config.lifecycle.workflowsDir) {
  try {
    const changed = await loadLifecycleWorkflowFiles(db, config.lifecycle.workflowsDir, lifecycleValidationContext(config));
    log.info({ dir: config.lifecycle.workflowsDir, changed }, 'lifecycle workflow files loaded');
    if (changed > 0) await startLifecycleReplan(client, config.temporal.taskQueue, log, delivery.timeoutMs);
  } catch (error) {
    if (!(error instanceof LifecycleFilesError)) throw error;
    console.error(error.message);
    process.exit(1);
  }
}

const rolloutDeps: RolloutDeps = { db, client, taskQueue: config.temporal.taskQueue, perSecond: config.access.rolloutPerSecond, log };
if (config.access.catalogsDir) {
  try {
    const loaded = await loadAccessCatalogFiles(rolloutDeps, config.access.catalogsDir, lifecycleValidationContext(config));
    log.info(`access catalogs from ${config.access.catalogsDir}: ${loaded.catalogs} catalogs and ${loaded.packages} packages new or changed, ${loaded.rollouts} rollouts`);
  } catch (error) {
    if (!(error instanceof CatalogFilesError)) throw error;
    console.error(error.message);
    process.exit(1);
  }
}
const organisationsFile = config.guestPolicy.organisationsFile;
if (organisationsFile) {
  try {
    log.info(`connected organisations from ${organisationsFile}: ${await loadOrganisationFile(db, organisationsFile)} new or changed`);
  } catch (error) {
    if (!(error instanceof OrganisationFileError)) throw error;
    console.error(error.message);
    process.exit(1);
  }
}
if (config.access.reviewsDir) {
  try {
    const loaded = await loadReviewFiles(db, config.access.reviewsDir);
    log.info(`access reviews from ${config.access.reviewsDir}: ${loaded.changed} new or changed`);
    // In the background, like the rollouts below: schedules need Temporal, the API does not.
    void ensureReviewSchedules(client, config.temporal.taskQueue, loaded.reviews).catch((error: unknown) => log.warn(`access review schedules: ${(error as Error).message}`));
  } catch (error) {
    if (!(error instanceof ReviewFilesError)) throw error;
    console.error(error.message);
    process.exit(1);
  }
}
// In the background: the API serves while Temporal is still unreachable.
void startPendingRollouts(rolloutDeps).then(
  (pending) => pending > 0 && log.info(`started ${pending} access rollouts recorded while Temporal was unreachable`),
  (error: unknown) => log.warn(`pending access rollouts: ${(error as Error).message}`),
);

const app = createApp({
  db,
  temporal: {
    client,
    taskQueue: config.temporal.taskQueue,
    ping: () => connection.withDeadline(Date.now() + 2000, () => connection.healthService.check({})),
  },
  config: { ...config, maxBodyBytes: config.api.maxBodyBytes },
  deliveryTimeoutMs: delivery.timeoutMs,
  now: () => new Date(),
  log,
});

const relay = startRelay(db, delivery, {
  intervalMs: config.api.relayIntervalMs,
  graceMs: 5000,
  batchSize: 200,
  now: () => new Date(),
  onError: (error) => log.warn({ err: error }, 'relay pass failed'),
});

// Failure counts outlive their window by an hour at most.
const longestWindowMs = Math.max(config.rateLimitPolicy.authWindowMs, config.rateLimitPolicy.passWindowMs, config.guestPolicy.codeWindowMs);
const pruning = setInterval(() => {
  pruneFailures(db, new Date(Date.now() - longestWindowMs)).catch((error: unknown) => log.warn({ err: error }, 'pruning rate limit counts failed'));
  // Guest codes and tickets are kept a day past their end (for the trail's sake), then forgotten.
  pruneGuestSignIns(db, new Date(Date.now() - 86_400_000)).catch((error: unknown) => log.warn({ err: error }, 'pruning guest codes and tickets failed'));
}, 3_600_000);

const server = serve({ fetch: app.fetch, hostname: config.api.host, port: config.api.port }, (info) => {
  log.info({ host: config.api.host, port: info.port }, 'listening (docs at /docs)');
});

async function shutdown(signal: string) {
  log.info({ signal }, 'stopping');
  clearInterval(pruning);
  await new Promise((resolve) => server.close(resolve));
  await relay.stop();
  await connection.close();
  await close();
  process.exit(0);
}
process.once('SIGINT', () => void shutdown('SIGINT'));
process.once('SIGTERM', () => void shutdown('SIGTERM'));
