import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { TestEnvironment } from './environment';

// Tenure's real entry points as child processes, configured like an operator would.

const root = join(import.meta.dirname, '..', '..');

export interface TenureProcess {
  child: ChildProcess;
  output: () => string;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** The environment variables that point a process at this test file's world. */
export function processEnv(env: TestEnvironment, extra: Record<string, string> = {}): Record<string, string> {
  const { config } = env;
  return {
    TENURE_MODE: 'production',
    TENURE_DATABASE_URL: config.database.url,
    TEMPORAL_ADDRESS: config.temporal.address,
    TENURE_TASK_QUEUE: config.temporal.taskQueue,
    TENURE_LDAP_URL: config.ldap.url,
    TENURE_LDAP_BIND_DN: config.ldap.bindDn,
    TENURE_LDAP_BIND_PASSWORD: config.ldap.bindPassword,
    TENURE_LDAP_BASE_DN: config.ldap.baseDn,
    TENURE_EMAIL_DOMAIN: config.identity.emailDomain,
    ...extra,
  };
}

export function startTenureProcess(entry: 'worker/main.ts' | 'api/server.ts', env: Record<string, string>): TenureProcess {
  // One process (node with the tsx loader), so a kill reaches the program itself.
  const child = spawn(process.execPath, ['--import', 'tsx', entry], {
    cwd: root,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const append = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  return {
    child,
    output: () => output,
    async kill(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill(signal);
      await exited;
    },
  };
}
