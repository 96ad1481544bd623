import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import type { TestProject } from 'vitest/node';
import { freePort } from '../../scripts/ports';
import { sharedSamba, startSamba } from '../../scripts/samba';
import { startSlapd } from '../../scripts/slapd';
import { startTemporalDevServer } from '../../scripts/temporal-dev-server';
import { workflowsPath } from '../../worker/create-worker';

// Real servers for the whole run: a Temporal dev server, a private slapd, one workflow bundle.

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    ldap: { url: string; adminDn: string; adminPassword: string; suffix: string };
    postgresUrl: string;
    workflowBundlePath: string;
    activeDirectory: { url: string; baseDn: string; adminDn: string; adminPassword: string };
  }
}

export default async function setup(project: TestProject) {
  const dir = mkdtempSync(join(tmpdir(), 'tenure-test-'));
  const [temporal, slapd, samba] = await Promise.all([
    startTemporalDevServer({ port: await freePort() }),
    startSlapd({ dir: join(dir, 'slapd'), port: await freePort(), adminPassword: 'test-admin-secret' }),
    // Several checkouts on one machine share one domain controller (it needs the fixed AD ports).
    process.env.TENURE_TEST_SHARED_SAMBA === '1' ? sharedSamba('Tenure-Adm1n!test') : startSamba({ dir: join(dir, 'samba'), adminPassword: 'Tenure-Adm1n!test' }),
  ]);
  const bundle = await bundleWorkflowCode({ workflowsPath, logger: { info() {}, warn: console.warn, error: console.error, debug() {}, trace() {}, log() {} } });
  const workflowBundlePath = join(dir, 'workflow-bundle.js');
  writeFileSync(workflowBundlePath, bundle.code);

  project.provide('temporalAddress', temporal.address);
  project.provide('ldap', { url: slapd.url, adminDn: slapd.adminDn, adminPassword: slapd.adminPassword, suffix: slapd.suffix });
  project.provide('postgresUrl', process.env.TENURE_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres');
  project.provide('workflowBundlePath', workflowBundlePath);
  project.provide('activeDirectory', { url: samba.url, baseDn: samba.baseDn, adminDn: samba.adminDn, adminPassword: samba.adminPassword });

  return async () => {
    await Promise.all([temporal.stop(), slapd.stop(), samba.stop()]);
    rmSync(dir, { recursive: true, force: true });
  };
}
