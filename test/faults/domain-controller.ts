import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runSamba, sharedSamba, startSamba, type RunningSamba } from '../../scripts/samba';

// The Samba AD DC of scenario 6, which the scenario takes away for a minute. A domain controller
// shared by every checkout on this machine (TENURE_TEST_SHARED_SAMBA=1) is only frozen
// (SIGSTOP/SIGCONT on its process group, with a watchdog that thaws it whatever happens to us);
// one the suite started itself (CI) is killed and started again on the same data.

export const sambaAdminPassword = 'Tenure-Adm1n!test';

export interface DomainController {
  url: string;
  baseDn: string;
  adminDn: string;
  adminPassword: string;
  /** How it is taken away: "frozen" (shared) or "killed" (owned). */
  outage: 'frozen' | 'killed';
  takeDown(maxSeconds: number): Promise<void>;
  bringBack(): Promise<void>;
  close(): Promise<void>;
}

/** The process group of whatever listens on the port (Samba's LDAPS on 636). */
function listenerProcessGroup(port: number): number {
  const ss = spawnSync('ss', ['-Hltnp', `sport = :${port}`], { encoding: 'utf8' });
  const pid = Number(/pid=(\d+)/.exec(ss.stdout ?? '')?.[1]);
  if (!Number.isInteger(pid) || pid <= 1) throw new Error(`no process found listening on ${port} (ss: ${ss.stderr || ss.stdout})`);
  // The command name in /proc/<pid>/stat may hold spaces and parentheses: fields follow the last ")".
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(')').pop()!.trim().split(' ');
  const pgid = Number(fields[2]);
  const ours = Number(readFileSync('/proc/self/stat', 'utf8').split(')').pop()!.trim().split(' ')[2]);
  if (!Number.isInteger(pgid) || pgid <= 1 || pgid === ours) throw new Error(`refusing to signal process group ${pgid} (listener ${pid} on ${port})`);
  return pgid;
}

function frozenShared(samba: RunningSamba, log: (message: string) => void): DomainController {
  let frozen: { pgid: number; watchdog: number | undefined } | undefined;
  const thaw = () => {
    if (!frozen) return;
    try {
      process.kill(-frozen.pgid, 'SIGCONT');
    } catch {
      // it is gone: nothing to thaw
    }
    if (frozen.watchdog !== undefined) {
      try {
        process.kill(-frozen.watchdog, 'SIGKILL');
      } catch {
        // the watchdog already ran
      }
    }
    frozen = undefined;
  };
  process.once('exit', thaw);
  return {
    ...samba,
    outage: 'frozen',
    async takeDown(maxSeconds) {
      const pgid = listenerProcessGroup(636);
      // Thaws the shared DC even if this process dies while it is frozen.
      const watchdog = spawn('sh', ['-c', `sleep ${Math.ceil(maxSeconds)}; kill -CONT -- -${pgid}`], { detached: true, stdio: 'ignore' });
      watchdog.unref();
      frozen = { pgid, watchdog: watchdog.pid };
      process.kill(-pgid, 'SIGSTOP');
      log(`Samba AD DC frozen (SIGSTOP to process group ${pgid}; watchdog thaws it after ${Math.ceil(maxSeconds)} s)`);
    },
    async bringBack() {
      const pgid = frozen?.pgid;
      thaw();
      log(`Samba AD DC thawed (SIGCONT to process group ${pgid})`);
    },
    async close() {
      thaw();
      process.off('exit', thaw);
    },
  };
}

function ownedKilled(first: RunningSamba, dir: string, log: (message: string) => void): DomainController {
  let running: RunningSamba | undefined = first;
  return {
    ...first,
    outage: 'killed',
    async takeDown() {
      await running?.stop();
      running = undefined;
      log('Samba AD DC stopped');
    },
    async bringBack() {
      running = await runSamba({ dir, adminPassword: sambaAdminPassword });
      log('Samba AD DC started again on the same data');
    },
    async close() {
      await running?.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function domainController(log: (message: string) => void): Promise<DomainController> {
  if (process.env.TENURE_TEST_SHARED_SAMBA === '1') return frozenShared(await sharedSamba(sambaAdminPassword), log);
  const dir = join(tmpdir(), `tenure-faults-samba-${process.pid}`);
  try {
    return ownedKilled(await startSamba({ dir, adminPassword: sambaAdminPassword }), dir, log);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}
