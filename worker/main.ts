import { readFileSync } from 'node:fs';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { createDb } from '../db/client';
import { ConfigError, loadConfig } from '../domain/config';
import { createTenureWorker } from './create-worker';
import { activityDeps } from './deps';
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
const { db, close } = createDb(config.database.url);
const connection = await NativeConnection.connect({ address: config.temporal.address });
// Activities that signal other workflows use a client of their own.
const clientConnection = await Connection.connect({ address: config.temporal.address });
const temporal = new Client({ connection: clientConnection, namespace: config.temporal.namespace });
const { deps, close: closeDeps } = activityDeps(config, db, temporal);
const worker = await createTenureWorker({ connection, namespace: config.temporal.namespace, taskQueue: config.temporal.taskQueue, deps });
try {
  await ensureReconcileSchedule(temporal, { taskQueue: config.temporal.taskQueue, every: config.reconciliation.every });
} catch (error) {
  // Provisioning does not depend on the sweep; the next worker to start tries again.
  console.error(`[worker] could not set up the drift sweep schedule: ${(error as Error).message.split('\n')[0]}`);
}
console.log(`[worker] polling task queue ${config.temporal.taskQueue} on ${config.temporal.address}`);
await worker.run();
await closeDeps();
await clientConnection.close();
await connection.close();
await close();
console.log('[worker] stopped');
