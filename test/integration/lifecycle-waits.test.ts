import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { newEmployeeId, nextAsOf, workerRecord } from '../helpers/builders';
import { startTestEnvironment, waitFor, type TestEnvironment } from '../helpers/environment';
import { startSmtpSink } from '../helpers/smtp';
import { startTcpProxy } from '../helpers/tcp-proxy';

// Lifecycle runs wait for what they need — an account while the directory is away, a manager who
// is not known yet — instead of failing; only what time cannot fix fails a task, and a failed
// run goes again for the tasks that did not complete.

let env: TestEnvironment;
let smtp: Awaited<ReturnType<typeof startSmtpSink>>;
let proxy: Awaited<ReturnType<typeof startTcpProxy>>;

beforeAll(async () => {
  smtp = await startSmtpSink();
  const ldap = inject('ldap');
  const url = new URL(ldap.url);
  proxy = await startTcpProxy({ host: url.hostname, port: Number(url.port) });
  env = await startTestEnvironment({
    env: { TENURE_SMTP_URL: smtp.url, TENURE_ORGANIZATION_NAME: 'Tenure Test' },
    configFile: ({ ldapBase, peopleDn }) => `
targets:
  - name: ldap
    type: ldap
    url: ldap://127.0.0.1:${proxy.port}
    bindDn: ${ldap.adminDn}
    bindPassword: ${ldap.adminPassword}
    baseDn: ${ldapBase}
    peopleDn: "${peopleDn}"
    breaker: { openAfter: PT2S, minFailures: 2, firstProbe: PT2S, maxProbeInterval: PT3S }
    mappings:
      - { target: uid, source: username, apply: create }
      - { target: cn, source: displayName }
      - { target: sn, source: familyName }
      - { target: mail, source: workEmail }
`,
  });
  await env.admin.add(`cn=all-staff,ou=groups,${env.ldapBase}`, { objectClass: ['top', 'groupOfNames'], cn: 'all-staff', member: 'cn=empty-membership-placeholder' });
  const definitions = [
    { id: 'onboard', name: 'Onboard', category: 'joiner', trigger: { type: 'time', on: 'hireDate', offset: 'P0D' }, scope: "department eq 'Waits'", tasks: [{ id: 'welcome', type: 'send-welcome-email' }, { id: 'all-staff', type: 'add-to-groups', args: { groups: ['all-staff'] } }] },
    { id: 'remind', name: 'Remind the manager', category: 'joiner', trigger: { type: 'on-demand' }, tasks: [{ id: 'remind', type: 'send-onboarding-reminder' }] },
    { id: 'two-mails', name: 'Welcome, then tell the manager', category: 'joiner', trigger: { type: 'on-demand' }, tasks: [{ id: 'welcome', type: 'send-welcome-email' }, { id: 'manager', type: 'send-onboarding-reminder', maxWait: 'PT3S' }] },
  ];
  for (const definition of definitions) {
    const res = await env.request('POST', '/v1/lifecycle-workflows', definition);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
  }
});
afterAll(async () => {
  await env?.stop();
  await smtp?.stop();
  await proxy?.close();
});

const runOf = async (employeeId: string, definition: string) => {
  const list = (await env.request('GET', `/v1/lifecycle-runs?employeeId=${employeeId}&workflowId=${definition}`)).body.items as { runId: string }[];
  return list[0] ? (await env.request('GET', `/v1/lifecycle-runs/${list[0].runId}`)).body : undefined;
};

async function activeManager(): Promise<{ id: string; email: string }> {
  const id = newEmployeeId('M');
  await env.put(id, workerRecord({ givenName: 'Maude', department: 'Managers' }));
  const identity = await waitFor(async () => {
    const found = await env.identity(id);
    return found?.state === 'active' && found.workEmail ? found : undefined;
  }, { what: 'the manager active' });
  return { id, email: identity.workEmail };
}

const runOnDemand = async (definition: string, employeeId: string) => {
  const res = await env.request('POST', `/v1/lifecycle-workflows/${definition}/run`, { employeeIds: [employeeId] });
  expect(res.body.results[0].status).toBe('started');
  return res.body.results[0].runId as string;
};

describe('a directory that is away', () => {
  it('makes the welcome mail and the group task wait; both happen once when it is back, with no operator', async () => {
    await proxy.cut();
    const id = newEmployeeId();
    await env.put(id, workerRecord({ givenName: 'Wanda', department: 'Waits' }));
    const waiting = await waitFor(async () => {
      const run = await runOf(id, 'onboard');
      return run?.tasks[0].status === 'waiting' ? run : undefined;
    }, { timeoutMs: 30_000, what: 'the welcome task waiting' });
    expect(waiting.status).toBe('in_progress');
    expect(waiting.tasks[0]).toMatchObject({ waitingFor: expect.any(String), waitingSince: expect.any(String) });
    const person = await waitFor(async () => {
      const identity = await env.identity(id);
      return identity?.waiting.length ? identity : undefined;
    }, { what: 'the person waiting for ldap' });
    expect(person.waiting[0]).toMatchObject({ target: 'ldap', reason: expect.stringContaining('ldap') });
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect((await runOf(id, 'onboard')).tasks[0].status).toBe('waiting');

    await proxy.restore();
    const done = await waitFor(async () => {
      const run = await runOf(id, 'onboard');
      return run?.status === 'completed' ? run : undefined;
    }, { timeoutMs: 60_000, what: 'the run completed after the directory came back' });
    expect(done.tasks.map((t: any) => t.status)).toEqual(['completed', 'completed']);
    const identity = await env.identity(id);
    expect(identity.waiting).toEqual([]);
    expect(smtp.to(identity.workEmail)).toHaveLength(1);
    expect(smtp.to(identity.workEmail)[0]!.text).toContain(`Your username is ${identity.username}`);
    const { searchEntries } = await env.admin.search(`cn=all-staff,ou=groups,${env.ldapBase}`, { scope: 'base', attributes: ['member'] });
    expect([searchEntries[0]!.member].flat()).toContain(identity.accounts[0].id);
  });
});

describe('a manager who is not known yet', () => {
  it('makes the manager mail wait, and it goes to the manager once they arrive', async () => {
    const managerId = newEmployeeId('M');
    const id = newEmployeeId();
    await env.put(id, workerRecord({ givenName: 'Rita', managerEmployeeId: managerId }));
    await waitFor(async () => (await env.identity(id))?.state === 'active', { what: 'the report active' });
    const runId = await runOnDemand('remind', id);
    const waiting = await waitFor(async () => {
      const run = (await env.request('GET', `/v1/lifecycle-runs/${runId}`)).body;
      return run?.tasks?.[0]?.status === 'waiting' ? run : undefined;
    }, { what: 'the reminder waiting' });
    expect(waiting.tasks[0].waitingFor).toBe(`manager ${managerId} to be known to Tenure`);

    await env.put(managerId, workerRecord({ givenName: 'Maude', department: 'Managers' }));
    const manager = await waitFor(async () => {
      const found = await env.identity(managerId);
      return found?.workEmail ? found : undefined;
    }, { what: 'the manager provisioned' });
    await waitFor(async () => (await env.request('GET', `/v1/lifecycle-runs/${runId}`)).body.status === 'completed', { timeoutMs: 60_000, what: 'the reminder sent' });
    const mails = smtp.to(manager.workEmail);
    expect(mails).toHaveLength(1);
    expect(mails[0]!.text).not.toMatch(/ \.| {2}/);
  });
});

describe('waiting has a bound, and a failed run goes again', () => {
  it('fails the task that waited past its maxWait, naming what it waited for; the run again repeats nothing that completed', async () => {
    const id = newEmployeeId();
    const record = workerRecord({ givenName: 'Otto' });
    await env.put(id, record);
    const person = await waitFor(async () => {
      const found = await env.identity(id);
      return found?.state === 'active' && found.workEmail ? found : undefined;
    }, { what: 'the person active' });
    const runId = await runOnDemand('two-mails', id);
    const failed = await waitFor(async () => {
      const run = (await env.request('GET', `/v1/lifecycle-runs/${runId}`)).body;
      return run?.status === 'failed' ? run : undefined;
    }, { timeoutMs: 30_000, what: 'the run failed after the wait' });
    expect(failed.tasks.map((t: any) => t.status)).toEqual(['completed', 'failed']);
    expect(failed.tasks[1].error).toBe(`waited PT3S for a manager in ${id}'s HR record`);
    expect(smtp.to(person.workEmail)).toHaveLength(1);
    expect((await env.request('POST', `/v1/lifecycle-runs/${runId}/retry`)).status).toBe(202);
    // It cannot go again while it goes.
    expect((await env.request('POST', `/v1/lifecycle-runs/${runId}/retry`)).status).toBe(409);

    const manager = await activeManager();
    await env.put(id, { ...record, asOf: nextAsOf(), managerEmployeeId: manager.id });
    const completed = await waitFor(async () => {
      const run = (await env.request('GET', `/v1/lifecycle-runs/${runId}`)).body;
      return run?.status === 'completed' ? run : undefined;
    }, { timeoutMs: 60_000, what: 'the run completed the second time' });
    expect(completed.tasks.map((t: any) => t.status)).toEqual(['completed', 'completed']);
    // No second welcome mail.
    expect(smtp.to(person.workEmail)).toHaveLength(1);
    expect(smtp.to(manager.email)).toHaveLength(1);
    expect((await env.events(id)).map((e) => e.kind)).toEqual(expect.arrayContaining(['lifecycle.run.failed', 'lifecycle.run.retry-requested', 'lifecycle.run.retried', 'lifecycle.run.completed']));
    expect((await env.request('POST', `/v1/lifecycle-runs/${runId}/retry`)).status).toBe(409);
  });

  it('fails at once, with the reason, a welcome for someone whose hire was withdrawn', async () => {
    const id = newEmployeeId();
    await env.put(id, workerRecord({ givenName: 'Nell', hireDate: new Date(Date.now() + 30 * 24 * 3600_000).toISOString() }));
    await waitFor(async () => (await env.identity(id))?.state === 'pending', { what: 'the hire pending' });
    expect((await env.request('DELETE', `/v1/workers/${id}`)).status).toBe(202);
    await waitFor(async () => (await env.identity(id))?.state === 'cancelled', { what: 'the hire cancelled' });
    const runId = await runOnDemand('two-mails', id);
    const failed = await waitFor(async () => {
      const run = (await env.request('GET', `/v1/lifecycle-runs/${runId}`)).body;
      return run?.status === 'failed' ? run : undefined;
    }, { timeoutMs: 15_000, what: 'the run failed' });
    expect(failed.tasks[0]).toMatchObject({ status: 'failed', error: `${id}'s hire was withdrawn` });
  });
});
