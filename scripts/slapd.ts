import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'ldapts';
import { ensureDebianPackages } from './debian';
import { waitForPort } from './ports';

// A private OpenLDAP (Debian slapd) on a loopback port, for dev mode and tests: its own
// slapd.conf, data directory and ppolicy lockout, never the system's slapd.

export const slapdBinary = process.env.TENURE_SLAPD ?? '/usr/sbin/slapd';

export interface SlapdOptions {
  dir: string;
  port: number;
  /** Address to listen on; loopback unless a container must expose it. */
  host?: string;
  suffix?: string;
  adminPassword: string;
}

export interface RunningSlapd {
  url: string;
  suffix: string;
  adminDn: string;
  adminPassword: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

export function ensureSlapdInstalled(): void {
  ensureDebianPackages(['slapd', 'ldap-utils'], slapdBinary);
}

function ssha(password: string): string {
  const salt = randomBytes(8);
  const digest = createHash('sha1').update(password).update(salt).digest();
  return `{SSHA}${Buffer.concat([digest, salt]).toString('base64')}`;
}

function slapdConf(dir: string, suffix: string, adminDn: string, adminPassword: string): string {
  return `include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include /etc/ldap/schema/nis.schema
pidfile ${join(dir, 'slapd.pid')}
argsfile ${join(dir, 'slapd.args')}
modulepath /usr/lib/ldap
moduleload back_mdb
moduleload ppolicy
sizelimit unlimited

database mdb
maxsize 4294967296
suffix "${suffix}"
rootdn "${adminDn}"
rootpw ${ssha(adminPassword)}
directory ${join(dir, 'data')}
index objectClass eq
index uid,mail,employeeNumber eq
index member,uniqueMember eq
overlay ppolicy
ppolicy_default "cn=default,ou=policies,${suffix}"
`;
}

export async function startSlapd(options: SlapdOptions): Promise<RunningSlapd> {
  ensureSlapdInstalled();
  const suffix = options.suffix ?? 'dc=tenure,dc=test';
  const adminDn = `cn=admin,${suffix}`;
  mkdirSync(join(options.dir, 'data'), { recursive: true });
  const confPath = join(options.dir, 'slapd.conf');
  writeFileSync(confPath, slapdConf(options.dir, suffix, adminDn, options.adminPassword), { mode: 0o600 });
  const host = options.host ?? '127.0.0.1';
  const url = `ldap://${host === '0.0.0.0' ? '127.0.0.1' : host}:${options.port}`;
  // -d 0 keeps slapd in the foreground, so it dies with its parent's process group.
  const child = spawn(slapdBinary, ['-d', '0', '-h', `ldap://${host}:${options.port}/`, '-f', confPath], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) => reject(new Error(`slapd exited with ${code}: ${stderr}`))),
  );
  exited.catch(() => {});
  await Promise.race([waitForPort(options.port, 20_000, host === '0.0.0.0' ? '127.0.0.1' : host), exited]);
  await seedDirectory(url, suffix, adminDn, options.adminPassword);
  return {
    url,
    suffix,
    adminDn,
    adminPassword: options.adminPassword,
    process: child,
    stop: async () => {
      if (child.exitCode !== null) return;
      const done = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await done;
    },
  };
}

/** The base entries and the lockout policy; leaves an existing directory as it is. */
async function seedDirectory(url: string, suffix: string, adminDn: string, password: string): Promise<void> {
  const client = new Client({ url, timeout: 10_000 });
  await client.bind(adminDn, password);
  try {
    const dc = /^dc=([^,]+)/.exec(suffix)?.[1] ?? 'tenure';
    const entries: [string, Record<string, string | string[]>][] = [
      [suffix, { objectClass: ['top', 'dcObject', 'organization'], dc, o: 'Tenure' }],
      [`ou=people,${suffix}`, { objectClass: ['top', 'organizationalUnit'], ou: 'people' }],
      [`ou=groups,${suffix}`, { objectClass: ['top', 'organizationalUnit'], ou: 'groups' }],
      [`ou=policies,${suffix}`, { objectClass: ['top', 'organizationalUnit'], ou: 'policies' }],
      [
        `cn=default,ou=policies,${suffix}`,
        { objectClass: ['top', 'device', 'pwdPolicy'], cn: 'default', pwdAttribute: 'userPassword', pwdLockout: 'TRUE' },
      ],
    ];
    for (const [dn, attributes] of entries) {
      try {
        await client.add(dn, attributes);
      } catch (error) {
        if ((error as { code?: number }).code !== 68) throw error;
      }
    }
  } finally {
    await client.unbind();
  }
}
