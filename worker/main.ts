import { readFileSync } from 'node:fs';
import { NativeConnection } from '@temporalio/worker';
import { LdapDirectory } from '../activities/connectors/ldap';
import { createDb } from '../db/client';
import { ConfigError, loadConfig } from '../domain/config';
import { createTenureWorker } from './create-worker';

// The worker process: runs identity workflows and their activities. Start as many as you like.

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
const ldap = new LdapDirectory(config.ldap);
const worker = await createTenureWorker({
  connection,
  namespace: config.temporal.namespace,
  taskQueue: config.temporal.taskQueue,
  deps: {
    db,
    ldap,
    usernamePolicy: config.usernamePolicy,
    emailDomain: config.identity.emailDomain,
    hrWebhook: config.hrWriteback.url ? { url: config.hrWriteback.url, secret: config.hrWriteback.secret } : undefined,
    now: () => new Date(),
  },
});
console.log(`[worker] polling task queue ${config.temporal.taskQueue} on ${config.temporal.address}`);
await worker.run();
await ldap.close();
await connection.close();
await close();
console.log('[worker] stopped');
