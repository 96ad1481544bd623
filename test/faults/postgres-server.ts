import { spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitForPort } from '../../scripts/ports';

// A PostgreSQL instance the fault suite owns (Debian's binaries, its own data directory and
// loopback port), so it can really be stopped and started again; the machine's is never touched.

const binaries = process.env.TENURE_PG_BIN ?? '/usr/lib/postgresql/15/bin';

export interface PrivatePostgres {
  /** Base URL of the server (database `postgres`). */
  url: string;
  port: number;
  /** Stops it the way an operator does (`pg_ctl stop -m fast`). */
  stop(): void;
  /** Takes the postmaster down with SIGKILL, like a crashed host. */
  kill(): void;
  start(): Promise<void>;
  isRunning(): boolean;
  /** Stops it for good and removes its data. */
  destroy(): void;
}

interface PostgresUser {
  uid: number;
  gid: number;
}

/** initdb and postgres refuse root: as root they run as the `postgres` user. */
function postgresUser(): PostgresUser | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const uid = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
  if (uid.status !== 0 || gid.status !== 0) throw new Error('running as root needs a `postgres` user for the private PostgreSQL');
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

function run(user: PostgresUser | undefined, binary: string, args: string[]): { status: number | null; output: string } {
  const [command, fullArgs] = user ? ['runuser', ['-u', 'postgres', '--', join(binaries, binary), ...args]] : [join(binaries, binary), args];
  const result = spawnSync(command, fullArgs, { encoding: 'utf8' });
  return { status: result.status, output: `${result.stdout ?? ''}${result.stderr ?? ''}`.slice(-3000) };
}

export async function startPrivatePostgres(port: number): Promise<PrivatePostgres> {
  if (!existsSync(join(binaries, 'initdb'))) throw new Error(`no PostgreSQL binaries in ${binaries} (apt-get install postgresql-15, or set TENURE_PG_BIN)`);
  const user = postgresUser();
  const dir = mkdtempSync(join(tmpdir(), 'tenure-faults-pg-'));
  if (user) chownSync(dir, user.uid, user.gid);
  const data = join(dir, 'data');
  const init = run(user, 'initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8']);
  if (init.status !== 0) throw new Error(`initdb failed: ${init.output}`);
  // Durable as a real installation would be; the socket stays in the private directory.
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c max_connections=200`;
  const log = join(dir, 'postgres.log');

  const postmasterPid = (): number | undefined => {
    const file = join(data, 'postmaster.pid');
    if (!existsSync(file)) return undefined;
    const pid = Number(readFileSync(file, 'utf8').split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  };
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  const isRunning = () => {
    const pid = postmasterPid();
    return pid !== undefined && alive(pid);
  };

  const server: PrivatePostgres = {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    stop() {
      const result = run(user, 'pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']);
      if (result.status !== 0 && isRunning()) throw new Error(`pg_ctl stop failed: ${result.output}`);
    },
    kill() {
      const pid = postmasterPid();
      if (pid !== undefined && alive(pid)) process.kill(pid, 'SIGKILL');
    },
    async start() {
      const result = run(user, 'pg_ctl', ['-D', data, '-l', log, '-o', options, '-w', '-t', '60', 'start']);
      if (result.status !== 0) throw new Error(`pg_ctl start failed: ${result.output}\n${existsSync(log) ? readFileSync(log, 'utf8').slice(-2000) : ''}`);
      await waitForPort(port, 30_000);
    },
    isRunning,
    destroy() {
      if (isRunning()) run(user, 'pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await server.start();
  return server;
}
