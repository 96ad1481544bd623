import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
// Tenure's real entry points as child processes (dev mode, end-to-end tests, benchmarks).

const root = join(import.meta.dirname, '..');

export interface TenureProcess {
  child: ChildProcess;
  output: () => string;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export function startTenureProcess(
  entry: 'worker/main.ts' | 'api/server.ts',
  env: Record<string, string | undefined>,
  options: { onOutput?: (chunk: string, stream: 'stdout' | 'stderr') => void; nodeArgs?: string[] } = {},
): TenureProcess {
  // One process (node with the tsx loader), so a kill reaches the program itself.
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), '--import', 'tsx', entry], {
    cwd: root,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env } as NodeJS.ProcessEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const append = (stream: 'stdout' | 'stderr') => (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
    options.onOutput?.(chunk.toString(), stream);
  };
  child.stdout?.on('data', append('stdout'));
  child.stderr?.on('data', append('stderr'));
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
