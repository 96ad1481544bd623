import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

// Finds the Temporal CLI (which embeds the dev server and UI), building the pinned version with
// Go into a cache outside the repository when it is missing, so every checkout reuses it.

/** Later tags carry a `replace` directive in go.mod and refuse `go install`; the next is the fallback. */
export const temporalCliVersions = ['v1.5.1', 'v1.4.1'] as const;

const cacheRoot = join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'tenure');
const cachedBinary = (version: string) => join(cacheRoot, `temporal-cli-${version}`, 'temporal');

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(command: string): string | undefined {
  const result = spawnSync('sh', ['-c', `command -v ${command}`], { encoding: 'utf8' });
  const path = result.stdout.trim();
  return result.status === 0 && path ? path : undefined;
}

export function ensureTemporalCli(log: (message: string) => void = console.log): string {
  const fromEnv = process.env.TEMPORAL_CLI;
  if (fromEnv) {
    if (!isExecutable(fromEnv)) throw new Error(`TEMPORAL_CLI=${fromEnv} is not an executable file`);
    return fromEnv;
  }
  for (const version of temporalCliVersions) {
    if (isExecutable(cachedBinary(version))) return cachedBinary(version);
  }
  const go = onPath('go') ?? (existsSync('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : undefined);
  if (!go) {
    const installed = onPath('temporal');
    if (installed) return installed;
    throw new Error(
      'The Temporal CLI is missing and Go is not installed to build it.\n' +
        `Install Go (https://go.dev/dl/) and run again, or set TEMPORAL_CLI to a temporal binary (go install github.com/temporalio/cli/cmd/temporal@${temporalCliVersions[0]}).`,
    );
  }
  for (const version of temporalCliVersions) {
    const dir = join(cacheRoot, `temporal-cli-${version}`);
    mkdirSync(dir, { recursive: true });
    log(`[temporal] building the Temporal CLI ${version} with Go into ${dir} (first time only; takes minutes) …`);
    const result = spawnSync(go, ['install', `github.com/temporalio/cli/cmd/temporal@${version}`], {
      stdio: 'inherit',
      env: { ...process.env, GOBIN: dir, GOFLAGS: '-mod=mod' },
    });
    if (result.status === 0 && isExecutable(cachedBinary(version))) return cachedBinary(version);
    log(`[temporal] building ${version} failed`);
  }
  throw new Error(`could not build the Temporal CLI (${temporalCliVersions.join(', ')}); set TEMPORAL_CLI to a temporal binary`);
}

// `node --import tsx scripts/temporal-cli.ts` prints the binary's path, building it if needed (CI).
if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(ensureTemporalCli());
}
