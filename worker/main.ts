import { readFileSync } from 'node:fs';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime } from '@temporalio/worker';
import { pino } from 'pino';
import { createDb } from '../db/client';
import { ConfigError, loadConfig } from '../domain/config';
import { loggerOptions } from '../domain/logging';
import { createTenureWorker } from './create-worker';
import { activityDeps } from './deps';
import { ensureBreakerWatches } from './breaker-watches';
import { temporalLogger } from './logging';
import { ensureReconcileSchedule } from './reconcile-schedule';

// The worker process: runs identity workflows, lifecycle runs and their activities. Start as many as you like.

let config;
try {
  config = loadConfig(process.env, { readFile: (path) => readFileSync(path, 'utf8') });
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(error.message);
  process.exit(1);
}
const log = pino(loggerOptions('worker', config.log.level));
// Before any connection: the SDK logs through the runtime it installs first.
Runtime.install({ logger: temporalLogger(log) });
const { db, close } = createDb(config.database.url, { connectTimeoutMs: config.database.connectTimeoutMs });
const connection = await NativeConnection.connect({ address: config.temporal.address });
// Activities that signal other workflows use a client of their own.
const clientConnection = await Connection.connect({ address: config.temporal.address });
const temporal = new Client({ connection: clientConnection, namespace: config.temporal.namespace });
const { deps, close: closeDeps } = activityDeps(config, db, temporal);
const cacheSize = config.temporal.workflowCacheSize;
const worker = await createTenureWorker({ connection, namespace: config.temporal.namespace, taskQueue: config.temporal.taskQueue, deps, tuning: cacheSize === undefined ? undefined : { maxCachedWorkflows: cacheSize } });
try {
  await ensureReconcileSchedule(temporal, { taskQueue: config.temporal.taskQueue, every: config.reconciliation.every });
} catch (error) {
  // Provisioning does not depend on the sweep; the next worker to start tries again.
  log.error({ err: error }, 'could not set up the drift sweep schedule');
}
try {
  await ensureBreakerWatches(temporal, db, config.temporal.taskQueue, config.targets.map((t) => t.config.name));
} catch (error) {
  // The next sync that finds a breaker open and its probe late starts the watch itself.
  log.error({ err: error }, "could not check the targets' breakers");
}
log.info({ taskQueue: config.temporal.taskQueue, address: config.temporal.address }, 'polling');
await worker.run();
await closeDeps();
await clientConnection.close();
await connection.close();
await close();
log.info('stopped');
