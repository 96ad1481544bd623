import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createApiKey, isScope, scopes, type Scope } from '../api/api-keys';
import { createDb } from '../db/client';
import { listApiKeys, revokeApiKey } from '../db/queries/api-keys';
import { ensureDatabase, migrateDatabase } from '../db/migrate';
import { ConfigError, loadConfig } from '../domain/config';
import { employeeIdSchema } from '../domain/worker-record';

// The operator CLI: `npm run tenure -- <command>`.

const usage = `usage: npm run tenure -- <command>
  --help, -h                                this text
  migrate                                   create the database if needed and apply migrations
  api-key create --name NAME --scopes S,S   print a new API key once (scopes: ${scopes.join(', ')})
         [--employee ID]                    bound to a person, it acts as them (/v1/me/…; scopes default to self-service)
  api-key list                              names, scopes and last use; never the keys
  api-key revoke --name NAME                stop a key from working`;

function fail(message: string): never {
  console.error(message);
  process.exit(2);
}

/** The command line, or one line naming what is wrong with it (an unknown option, a missing value). */
function parseCommandLine(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: { name: { type: 'string' }, scopes: { type: 'string' }, employee: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code !== 'string' || !code.startsWith('ERR_PARSE_ARGS')) throw error;
    fail(`${(error as Error).message.split('. ')[0]!.replace(/\.$/, '')} (npm run tenure -- --help lists the commands and options)`);
  }
}

async function main(argv: string[]): Promise<void> {
  const { positionals, values } = parseCommandLine(argv);
  if (values.help) {
    console.log(usage);
    return;
  }
  let config;
  try {
    config = loadConfig(process.env, { readFile: (path) => readFileSync(path, 'utf8') });
  } catch (error) {
    if (error instanceof ConfigError) fail(error.message);
    throw error;
  }
  const command = positionals.join(' ');
  if (command === 'migrate') {
    await ensureDatabase(config.database.url);
    await migrateDatabase(config.database.url);
    console.log('database migrated');
    return;
  }
  if (!command.startsWith('api-key')) fail(usage);
  const { db, close } = createDb(config.database.url, { max: 1 });
  try {
    if (command === 'api-key create') {
      if (!values.name) fail('api-key create needs --name');
      const requested = (values.scopes ?? (values.employee ? 'self-service' : '')).split(',').map((s) => s.trim()).filter(Boolean);
      const unknown = requested.filter((s) => !isScope(s));
      if (requested.length === 0 || unknown.length > 0) fail(`--scopes must list some of: ${scopes.join(', ')}${unknown.length ? ` (unknown: ${unknown.join(', ')})` : ''}`);
      if (values.employee !== undefined && !employeeIdSchema.safeParse(values.employee).success) fail(`--employee ${JSON.stringify(values.employee)} is not an employee id`);
      const { key } = await createApiKey(db, { name: values.name, scopes: requested as Scope[], employeeId: values.employee });
      console.log(`API key "${values.name}" (${requested.join(', ')}${values.employee ? `, acting as ${values.employee}` : ''}); shown once, store it now:\n${key}`);
    } else if (command === 'api-key list') {
      for (const key of await listApiKeys(db)) {
        const state = key.revokedAt ? 'revoked' : key.development ? 'development only' : 'active';
        console.log(`${key.name}\t${key.scopes.join(',')}\t${state}\tlast used ${key.lastUsedAt?.toISOString() ?? 'never'}`);
      }
    } else if (command === 'api-key revoke') {
      if (!values.name) fail('api-key revoke needs --name');
      if (!(await revokeApiKey(db, values.name))) fail(`no API key named ${values.name}`);
      console.log(`revoked ${values.name}`);
    } else {
      fail(usage);
    }
  } finally {
    await close();
  }
}

await main(process.argv.slice(2));
