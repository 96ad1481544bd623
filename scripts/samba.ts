import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ensureDebianPackages } from './debian';
import { isPortOpen, waitForPort } from './ports';

// A real Active Directory domain controller (Debian's Samba) on loopback for the tests: a
// fresh domain provisioned into a temporary directory, LDAPS on 636. It needs root and the
// standard AD ports, so one runs per machine at a time.

export interface RunningSamba {
  url: string;
  baseDn: string;
  adminDn: string;
  adminPassword: string;
  realm: string;
  stop(): Promise<void>;
}

const domain = { url: 'ldaps://127.0.0.1:636', baseDn: 'DC=tenure,DC=test', adminDn: 'CN=Administrator,CN=Users,DC=tenure,DC=test', realm: 'TENURE.TEST' };

/**
 * The test domain controller another process started (`node --import tsx scripts/samba.ts`),
 * used and left running: test files work in OUs of their own, so runs can share it.
 */
export async function sharedSamba(adminPassword: string): Promise<RunningSamba> {
  if (!(await isPortOpen(636))) throw new Error('TENURE_TEST_SHARED_SAMBA=1 but nothing listens on 636: start one with node --import tsx scripts/samba.ts');
  return { ...domain, adminPassword, stop: async () => {} };
}

export async function startSamba(options: { dir: string; adminPassword: string }): Promise<RunningSamba> {
  ensureDebianPackages(['samba', 'samba-ad-provision', 'winbind'], '/usr/sbin/samba');
  if (await isPortOpen(636)) throw new Error('port 636 is in use: another directory (a Samba left running?) must stop first');
  rmSync(options.dir, { recursive: true, force: true });
  mkdirSync(options.dir, { recursive: true });
  const provision = spawnSync(
    'samba-tool',
    [
      'domain',
      'provision',
      '--realm=TENURE.TEST',
      '--domain=TENURE',
      '--server-role=dc',
      '--dns-backend=SAMBA_INTERNAL',
      `--adminpass=${options.adminPassword}`,
      '--use-rfc2307',
      `--targetdir=${options.dir}`,
      '--option=interfaces=lo',
      '--option=bind interfaces only=yes',
      // Tests set passwords at will; the domain's password policy is not under test.
      '--option=check password script=',
    ],
    { encoding: 'utf8' },
  );
  if (provision.status !== 0) throw new Error(`samba-tool domain provision failed: ${provision.stderr.slice(-2000)}`);
  return runSamba(options);
}

/** Starts the domain controller provisioned in `dir` (again, after a stop, with the same state). */
export async function runSamba(options: { dir: string; adminPassword: string }): Promise<RunningSamba> {
  // Its own process group, so stopping it takes every Samba process with it.
  const child: ChildProcess = spawn('samba', ['-i', '-s', join(options.dir, 'etc', 'smb.conf')], { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`samba exited with ${code}: ${stderr}`))));
  exited.catch(() => {});
  await Promise.race([waitForPort(636, 60_000), exited]);
  const stop = async () => {
    if (child.exitCode !== null || child.pid === undefined) return;
    const done = new Promise((resolve) => child.once('exit', resolve));
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      return;
    }
    await Promise.race([done, new Promise((resolve) => setTimeout(resolve, 10_000))]);
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  return { ...domain, adminPassword: options.adminPassword, stop };
}

// `node --import tsx scripts/samba.ts` runs the test domain controller until Ctrl-C, for
// TENURE_TEST_SHARED_SAMBA=1 test runs.
if (import.meta.url === `file://${process.argv[1]}`) {
  const samba = await startSamba({ dir: join(process.env.TMPDIR ?? '/tmp', 'tenure-shared-samba'), adminPassword: 'Tenure-Adm1n!test' });
  console.log(`Samba AD DC on ${samba.url} (${samba.baseDn}); Ctrl-C stops it`);
  const stop = () => void samba.stop().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
