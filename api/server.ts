import { readFileSync } from 'node:fs';
import { serve } from '@hono/node-server';
import { Client, Connection } from '@temporalio/client';
import { createDb } from '../db/client';
import { ConfigError, lifecycleValidationContext, loadConfig } from '../domain/config';
import { createApp, type Logger } from './app';
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

const log: Logger = {
  info: (message) => console.log(`[api] ${message}`),
  warn: (message) => console.warn(`[api] ${message}`),
  error: (message, error) => console.error(`[api] ${message}`, error),
};
const { db, close } = createDb(config.database.url);
// Lazy: the API starts and accepts records even while Temporal is down.
const connection = Connection.lazy({ address: config.temporal.address });
const client = new Client({ connection, namespace: config.temporal.namespace });
const delivery = { client, taskQueue: config.temporal.taskQueue, timeoutMs: 2000 };

if (config.lifecycle.workflowsDir) {
  try {
    const changed = await loadLifecycleWorkflowFiles(db, config.lifecycle.workflowsDir, lifecycleValidationContext(config));
    log.info(`lifecycle workflows from ${config.lifecycle.workflowsDir}: ${changed} new or changed`);
    if (changed > 0) await startLifecycleReplan(client, config.temporal.taskQueue, log);
  } catch (error) {
    if (!(error instanceof LifecycleFilesError)) throw error;
    console.error(error.message);
    process.exit(1);
  }
}

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
  onError: (error) => log.warn(`relay pass failed: ${(error as Error).message}`),
});

const server = serve({ fetch: app.fetch, hostname: config.api.host, port: config.api.port }, (info) => {
  log.info(`listening on http://${config.api.host}:${info.port} (docs at /docs)`);
});

async function shutdown(signal: string) {
  log.info(`${signal}: stopping`);
  await new Promise((resolve) => server.close(resolve));
  await relay.stop();
  await connection.close();
  await close();
  process.exit(0);
}
process.once('SIGINT', () => void shutdown('SIGINT'));
process.once('SIGTERM', () => void shutdown('SIGTERM'));
