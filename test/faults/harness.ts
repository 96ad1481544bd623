import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client as TemporalClient, Connection } from '@temporalio/client';
import { Client as LdapClient } from 'ldapts';
import { createApiKey } from '../../api/api-keys';
import { createDb, type Db } from '../../db/client';
import { ensureDatabase, migrateDatabase } from '../../db/migrate';
import { startMailSink, type ReceivedMail } from '../../scripts/mail-sink';
import { freePort } from '../../scripts/ports';
import { startSlapd } from '../../scripts/slapd';
import { startTemporalDevServer } from '../../scripts/temporal-dev-server';
import { startTenureProcess, type TenureProcess } from '../../scripts/tenure-process';
import { startScimServer } from '../helpers/scim-server';
import { domainController } from './domain-controller';
import { startPrivatePostgres } from './postgres-server';
import { Service } from './service';
import { allStaffDn, emailDomain, groupsDn, ldapPassword, ruleGroupDn, scimToken, suffix, targetsYaml } from './tenure-config';

// A small real installation for one fault scenario, every piece its own process: a private
// PostgreSQL, the Temporal dev server with its state file, slapd, a mail sink, Tenure's worker
// and API processes — plus, when asked, a SCIM peer and an Active Directory target on Samba.

const root = join(import.meta.dirname, '..', '..');

export interface FaultStackOptions {
  /** Short label used in logs, e.g. "S2a". */
  label: string;
  workers?: number;
  apis?: number;
  scim?: boolean;
  activeDirectory?: boolean;
}

export type FaultStack = Awaited<ReturnType<typeof startFaultStack>>;

interface Member {
  name: string;
  entry: 'worker/main.ts' | 'api/server.ts';
  process: TenureProcess;
  port?: number;
  retired: boolean;
}

export interface Crash {
  name: string;
  at: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
}

export async function startFaultStack(options: FaultStackOptions) {
  const began = Date.now();
  const log = (message: string) => console.log(`[${options.label} +${((Date.now() - began) / 1000).toFixed(1)}s] ${message}`);
  const dir = mkdtempSync(join(tmpdir(), `tenure-faults-${options.label.toLowerCase()}-`));
  const cleanups: (() => Promise<void> | void)[] = [];
  // Last in, first out; one failing step does not keep the others from running.
  const runCleanups = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) {
      try {
        await cleanup();
      } catch (error) {
        log(`cleanup: ${(error as Error).message}`);
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    const [pgPort, temporalPort, ldapPort, smtpPort] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
    const temporalState = join(dir, 'temporal.db');
    const slapdDir = join(dir, 'slapd');

    const postgres = await startPrivatePostgres(pgPort);
    cleanups.push(() => postgres.destroy());
    log(`PostgreSQL on 127.0.0.1:${pgPort}`);
    const temporal = new Service('Temporal dev server', () => startTemporalDevServer({ port: temporalPort, dbFile: temporalState }), log);
    const slapd = new Service('slapd', () => startSlapd({ dir: slapdDir, port: ldapPort, adminPassword: ldapPassword }), log);
    cleanups.push(() => temporal.stop(), () => slapd.stop());
    await Promise.all([temporal.start(), slapd.start()]);
    const ldapUrl = slapd.current.url;

    // Every message, counted per recipient by the scenario.
    const mails: ReceivedMail[] = [];
    const sink = await startMailSink(smtpPort, (mail) => mails.push(mail));
    cleanups.push(() => sink.stop());

    const scim = options.scim ? await startScimServer(scimToken) : undefined;
    if (scim) cleanups.push(() => scim.stop());
    const dc = options.activeDirectory ? await domainController(log) : undefined;
    const adOu = dc ? `OU=faults-${options.label.toLowerCase()}-${process.pid}-${Date.now().toString(36)},${dc.baseDn}` : undefined;
    if (dc) cleanups.push(() => dc.close());

    const databaseUrl = `postgres://postgres@127.0.0.1:${pgPort}/tenure`;
    await ensureDatabase(databaseUrl);
    await migrateDatabase(databaseUrl);
    // The scenario's own reads: small, so a stopped database costs little to reconnect.
    const { db, close: closeDb } = createDb(databaseUrl, { max: 4 });
    cleanups.push(() => closeDb());
    const { key } = await createApiKey(db, { name: 'faults', scopes: ['admin'] });

    // Fresh bound connections each time: one held across a directory's restart would be unbound.
    const ldapAdmin = async () => {
      const client = new LdapClient({ url: ldapUrl, timeout: 10_000, connectTimeout: 5_000 });
      await client.bind(`cn=admin,${suffix}`, ldapPassword);
      return client;
    };
    await withClient(ldapAdmin, async (ldap) => {
      for (const dn of [allStaffDn, ruleGroupDn]) {
        const cn = /^cn=([^,]+)/.exec(dn)![1]!;
        await ldap.add(dn, { objectClass: ['top', 'groupOfNames'], cn, member: 'cn=empty-membership-placeholder' });
      }
    });
    const adAdmin = dc
      ? async () => {
          const client = new LdapClient({ url: dc.url, tlsOptions: { rejectUnauthorized: false }, timeout: 10_000, connectTimeout: 5_000 });
          await client.bind(dc.adminDn, dc.adminPassword);
          return client;
        }
      : undefined;
    if (dc && adAdmin && adOu) {
      await withClient(adAdmin, (ad) => ad.add(adOu, { objectClass: ['top', 'organizationalUnit'], ou: adOu.slice(3, adOu.indexOf(',')) }));
      cleanups.push(() => withClient(adAdmin, (ad) => removeAdSubtree(ad, adOu)));
      log(`Active Directory target in ${adOu} (${dc.outage === 'frozen' ? 'shared DC, frozen for the outage' : 'own DC, killed for the outage'})`);
    }

    // The shipped day-one onboarding: welcome mail to the person, then the all-staff group.
    const workflowsDir = join(dir, 'lifecycle-workflows');
    mkdirSync(workflowsDir);
    copyFileSync(join(root, 'examples', 'lifecycle-workflows', 'onboard-new-hire.yaml'), join(workflowsDir, 'onboard-new-hire.yaml'));
    const configFile = join(dir, 'tenure.yaml');
    writeFileSync(configFile, targetsYaml({ ldapUrl, scimUrl: scim?.baseUrl, ad: dc && adOu ? { dc, ou: adOu } : undefined }));

    const env: Record<string, string> = {
      TENURE_MODE: 'production',
      TENURE_CONFIG_FILE: configFile,
      TENURE_DATABASE_URL: databaseUrl,
      TEMPORAL_ADDRESS: `127.0.0.1:${temporalPort}`,
      TENURE_TASK_QUEUE: 'tenure-lifecycle',
      TENURE_LDAP_URL: ldapUrl,
      TENURE_LDAP_BIND_DN: `cn=admin,${suffix}`,
      TENURE_LDAP_BIND_PASSWORD: ldapPassword,
      TENURE_LDAP_BASE_DN: suffix,
      TENURE_LDAP_GROUPS_DN: groupsDn,
      TENURE_EMAIL_DOMAIN: emailDomain,
      TENURE_SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
      TENURE_ORGANIZATION_NAME: 'Fault Suite Ltd',
      TENURE_LIFECYCLE_WORKFLOWS_DIR: workflowsDir,
      TENURE_PREHIRE_LEAD: 'PT30S',
      TENURE_LEAVER_RETENTION: 'PT2M',
      ...(scim ? { FAULTS_SCIM_TOKEN: scimToken } : {}),
      ...(dc ? { FAULTS_AD_PASSWORD: dc.adminPassword } : {}),
    };

    const temporalConnection = await Connection.connect({ address: env.TEMPORAL_ADDRESS! });
    const temporalClient = new TemporalClient({ connection: temporalConnection });
    cleanups.push(() => temporalConnection.close());

    // Worker and API processes, restarted like a service manager would when one dies by itself.
    const members: Member[] = [];
    const crashes: Crash[] = [];
    let stopping = false;
    let serial = 0;
    cleanups.push(async () => {
      stopping = true;
      await Promise.all(members.map((m) => m.process.kill('SIGKILL')));
    });
    const launch = (member: Omit<Member, 'process' | 'retired'>): Member => {
      const tenure = startTenureProcess(member.entry, { ...env, ...(member.port ? { TENURE_API_PORT: String(member.port) } : {}) });
      const running: Member = { ...member, process: tenure, retired: false };
      tenure.child.once('exit', (code, signal) => {
        if (stopping || running.retired) return;
        crashes.push({ name: running.name, at: Date.now(), code, signal, output: tenure.output().slice(-3000) });
        // The whole of what it printed, for the post-mortem: the counts show only its last lines.
        const outputFile = join(tmpdir(), `tenure-fault-${options.label}-${running.name}-${Date.now()}.log`);
        writeFileSync(outputFile, tenure.output());
        log(`${running.name} exited by itself (${code ?? signal}); restarting it; its output is in ${outputFile}`);
        const index = members.indexOf(running);
        setTimeout(() => {
          if (!stopping && index >= 0) members[index] = launch(member);
        }, 1000);
      });
      return running;
    };
    const waitForOutput = async (member: Member, text: string, timeoutMs: number) => {
      const deadline = Date.now() + timeoutMs;
      while (!member.process.output().includes(text)) {
        if (Date.now() > deadline) throw new Error(`${member.name} did not print "${text}" within ${timeoutMs} ms:\n${member.process.output()}`);
        if (member.process.child.exitCode !== null) throw new Error(`${member.name} exited:\n${member.process.output()}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    };

    async function startWorker(): Promise<Member> {
      const member = launch({ name: `worker-${++serial}`, entry: 'worker/main.ts' });
      members.push(member);
      // The worker logs JSON; "polling" is the line it writes once it takes tasks.
      await waitForOutput(member, '"msg":"polling"', 120_000);
      log(`${member.name} polling (pid ${member.process.child.pid})`);
      return member;
    }

    async function startApi(): Promise<Member> {
      const port = await freePort();
      const member = launch({ name: `api-${++serial}`, entry: 'api/server.ts', port });
      members.push(member);
      await waitForOutput(member, '"msg":"listening', 60_000);
      log(`${member.name} listening on ${port}`);
      return member;
    }

    /** Kills a running worker with SIGKILL (no shutdown); answers its name. */
    async function killWorker(): Promise<string> {
      const victim = members.find((m) => m.entry === 'worker/main.ts' && !m.retired);
      if (!victim) throw new Error('no worker to kill');
      victim.retired = true;
      await victim.process.kill('SIGKILL');
      log(`${victim.name} killed (SIGKILL)`);
      return victim.name;
    }

    await Promise.all([
      ...Array.from({ length: options.workers ?? 1 }, () => startWorker()),
      ...Array.from({ length: options.apis ?? 1 }, () => startApi()),
    ]);

    // If this process dies mid-scenario, nothing it started may outlive it (a stopped slapd least of all).
    const killEverything = () => {
      for (const m of members) m.process.child.kill('SIGKILL');
      for (const service of [temporal, slapd]) {
        try {
          service.current.process.kill('SIGKILL');
        } catch {
          // not running
        }
      }
      postgres.kill();
    };
    process.once('exit', killEverything);
    cleanups.unshift(() => void process.off('exit', killEverything));

    const apis = () => members.filter((m) => m.entry === 'api/server.ts' && !m.retired && m.port).map((m) => `http://127.0.0.1:${m.port}`);

    return {
      label: options.label,
      log,
      key,
      db: db as Db,
      env,
      postgres,
      temporal,
      slapd,
      scim,
      dc,
      adOu,
      adAdmin,
      mails,
      crashes,
      temporalClient,
      ldapAdmin,
      apis,
      startWorker,
      startApi,
      killWorker,
      /** The processes' recent output, for a failing scenario's report. */
      output: () => members.map((m) => `--- ${m.name}${m.retired ? ' (killed)' : ''}\n${m.process.output().slice(-4000)}`).join('\n'),
      async stop() {
        stopping = true;
        await runCleanups();
      },
    };
  } catch (error) {
    await runCleanups();
    throw error;
  }
}

/** Runs `work` on a new connection and closes it. */
export async function withClient<T>(connect: () => Promise<LdapClient>, work: (client: LdapClient) => Promise<T>): Promise<T> {
  const client = await connect();
  try {
    return await work(client);
  } finally {
    await client.unbind().catch(() => {});
  }
}

/** The shared domain controller keeps no leftovers: users first, then the OU. */
async function removeAdSubtree(ad: LdapClient, ou: string): Promise<void> {
  const { searchEntries } = await ad.search(ou, { scope: 'one', attributes: ['dn'] });
  for (const entry of searchEntries) await ad.del(entry.dn);
  await ad.del(ou);
}
