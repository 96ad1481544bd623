import { createServer, type Server } from 'node:http';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../scripts/ports';
import { signPayload, verifySignature } from '../../domain/signature';
import { newEmployeeId, workerRecord } from '../helpers/builders';
import { startTestEnvironment, waitFor, type TestEnvironment } from '../helpers/environment';
import { startSmtpSink } from '../helpers/smtp';

// Lifecycle workflows against the real Temporal dev server, PostgreSQL, slapd and an SMTP
// server, with offsets of seconds. Each test scopes its definitions to its own department.

let env: TestEnvironment;
let smtp: Awaited<ReturnType<typeof startSmtpSink>>;
let extensionServer: Server;
const extensionSecret = 'extension-test-secret-0123456789';
const extensionCalls: { name: string; body: any; valid: boolean }[] = [];

beforeAll(async () => {
  smtp = await startSmtpSink();
  // Two custom extensions: "itsm" answers (signed) a moment after each call, "silent" never does.
  const port = await freePort();
  extensionServer = createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk: Buffer) => (raw += chunk.toString()));
    req.on('end', () => {
      void (async () => {
        const name = req.url!.slice(1);
        const valid = await verifySignature(extensionSecret, req.headers['x-tenure-timestamp'] as string, raw, req.headers['x-tenure-signature'] as string, new Date());
        const body = JSON.parse(raw);
        extensionCalls.push({ name, body, valid });
        res.writeHead(202).end();
        if (name === 'itsm' && body.callback) {
          await new Promise((resolve) => setTimeout(resolve, 300));
          const answer = JSON.stringify({ outcome: 'completed', message: 'ticket INC-42 closed' });
          const timestamp = String(Math.floor(Date.now() / 1000));
          await env.app.request(new URL(body.callback.url).pathname, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-tenure-timestamp': timestamp, 'x-tenure-signature': await signPayload(extensionSecret, timestamp, answer) },
            body: answer,
          });
        }
      })();
    });
  });
  await new Promise<void>((resolve) => extensionServer.listen(port, '127.0.0.1', resolve));
  env = await startTestEnvironment({
    env: {
      TENURE_PREHIRE_LEAD: 'PT8S',
      TENURE_LEAVER_RETENTION: 'PT1H',
      TENURE_SMTP_URL: smtp.url,
      TENURE_ORGANIZATION_NAME: 'Tenure Test',
      TENURE_CUSTOM_EXTENSIONS: JSON.stringify({
        itsm: { url: `http://127.0.0.1:${port}/itsm`, secret: extensionSecret },
        silent: { url: `http://127.0.0.1:${port}/silent`, secret: extensionSecret },
      }),
    },
  });
  for (const cn of ['all-staff', 'engineering']) {
    await env.admin.add(`cn=${cn},ou=groups,${env.ldapBase}`, { objectClass: ['top', 'groupOfNames'], cn, member: 'cn=empty-membership-placeholder' });
  }
});
afterAll(async () => {
  await env?.stop();
  await smtp?.stop();
  extensionServer?.close();
});

const define = async (definition: Record<string, unknown>) => {
  const res = await env.request('POST', '/v1/lifecycle-workflows', definition);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
};

/** A manager with a work email, and a report under them; both active unless the record says otherwise. */
async function team(department: string, report: Record<string, unknown> = {}) {
  const managerId = newEmployeeId('M');
  await env.put(managerId, workerRecord({ givenName: 'Maude', department: `${department}-managers` }));
  const manager = await waitFor(async () => {
    const identity = await env.identity(managerId);
    return identity?.state === 'active' ? identity : undefined;
  });
  const reportId = newEmployeeId();
  const record = workerRecord({ givenName: 'Rory', department, managerEmployeeId: managerId, ...report });
  await env.put(reportId, record);
  return { managerId, managerEmail: manager.workEmail as string, reportId, record };
}

const runsOf = async (employeeId: string) => (await env.request('GET', `/v1/lifecycle-runs?employeeId=${employeeId}`)).body.items as any[];
const finishedRun = (employeeId: string, workflowId: string) =>
  waitFor(async () => (await runsOf(employeeId)).find((r) => r.workflowId === workflowId && !['queued', 'in_progress'].includes(r.status)), {
    timeoutMs: 30_000,
    what: `a finished ${workflowId} run for ${employeeId}`,
  });

describe('joiner', () => {
  it('mails a temporary access pass to the manager before the hire instant; the pass is checked once and stored only hashed', async () => {
    await define({
      id: 'onboard-pre-hire',
      name: 'Onboard pre-hire employee',
      category: 'joiner',
      trigger: { type: 'time', on: 'hireDate', offset: '-PT3S' },
      scope: "department eq 'T-prehire'",
      tasks: [{ id: 'tap', type: 'generate-temporary-access-pass', args: { lifetime: 'PT2H', oneTime: true } }],
    });
    const hireAt = Date.now() + 7000;
    const { managerEmail, reportId } = await team('T-prehire', { hireDate: new Date(hireAt).toISOString() });
    const mail = await waitFor(async () => smtp.to(managerEmail).find((m) => m.subject.startsWith('Temporary access pass')), { timeoutMs: 20_000, what: 'the pass mail' });
    expect(mail.receivedAt).toBeGreaterThanOrEqual(hireAt - 3000);
    expect(mail.receivedAt).toBeLessThan(hireAt);
    const pass = /([A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4})/.exec(mail.text)![1]!;

    const verify = (value: string) => env.request('POST', `/v1/identities/${reportId}/tap/verify`, { pass: value });
    expect((await verify('AAAA-BBBB-CCCC-DDDD')).body).toEqual({ valid: false });
    const first = await verify(pass.toLowerCase());
    expect(first.body).toMatchObject({ valid: true, oneTime: true });
    expect((await verify(pass)).body).toEqual({ valid: false });

    // Nowhere in clear: not in the database, not in the run's workflow history.
    const compact = pass.replace(/-/g, '');
    for (const table of ['temporary_access_passes', 'audit_events', 'lifecycle_task_runs', 'hr_inbox']) {
      const rows = await env.db.execute(sql.raw(`select * from ${table}`));
      expect(JSON.stringify(rows), table).not.toContain(compact);
      expect(JSON.stringify(rows), table).not.toContain(pass);
    }
    const run = await finishedRun(reportId, 'onboard-pre-hire');
    expect(run.status).toBe('completed');
    const history = await env.client.workflow.getHandle(run.runId).fetchHistory();
    expect(JSON.stringify(history)).not.toContain(pass);
  });

  it('sends the welcome mail and joins groups at the hire instant', async () => {
    await define({
      id: 'onboard-new-hire',
      name: 'Onboard new hire employee',
      category: 'joiner',
      trigger: { type: 'time', on: 'hireDate', offset: 'P0D' },
      scope: "department eq 'T-dayone'",
      tasks: [
        { id: 'welcome', type: 'send-welcome-email', args: { template: { subject: 'Welcome {{givenName}} to {{organizationName}}', body: 'Your manager is {{managerDisplayName}}; you start on {{hireDate}}.', locale: 'de-DE' } } },
        { id: 'groups', type: 'add-to-groups', args: { groups: ['all-staff', 'engineering'] } },
      ],
    });
    const hireAt = Date.now() + 5000;
    const { reportId } = await team('T-dayone', { hireDate: new Date(hireAt).toISOString(), timeZone: 'Europe/Berlin' });
    const run = await finishedRun(reportId, 'onboard-new-hire');
    expect(run.status).toBe('completed');
    expect(Date.parse(run.scheduledFor)).toBe(hireAt);
    expect(Date.parse(run.startedAt)).toBeGreaterThanOrEqual(hireAt);
    const identity = await env.identity(reportId);
    const welcome = smtp.to(identity.workEmail).find((m) => m.subject === 'Welcome Rory to Tenure Test');
    expect(welcome?.text).toContain('Your manager is Maude');
    expect(welcome?.text).toMatch(/you start on \d+\. \w+ \d{4}/);
    expect(welcome!.receivedAt).toBeGreaterThanOrEqual(hireAt);

    const dn = (await env.entry(reportId))!.dn;
    for (const cn of ['all-staff', 'engineering']) {
      const { searchEntries } = await env.admin.search(`cn=${cn},ou=groups,${env.ldapBase}`, { scope: 'base', attributes: ['member'] });
      const members = [searchEntries[0]!.member].flat().map(String);
      expect(members).toContain(dn);
      expect(members).not.toContain('cn=empty-membership-placeholder');
    }
    const mirrored = await env.db.execute(sql`select group_name from group_memberships where employee_id = ${reportId} order by group_name`);
    expect(mirrored.map((r) => r.group_name)).toEqual(['all-staff', 'engineering']);
  });
});

describe('mover', () => {
  it('fires on a department change only for people in scope', async () => {
    await define({
      id: 'job-profile-change',
      name: 'Job profile change',
      category: 'mover',
      trigger: { type: 'attribute-change', attributes: ['department'], from: { department: 'T-move-from' } },
      scope: "employeeType eq 'employee'",
      tasks: [{ id: 'notify', type: 'notify-manager-of-move' }],
    });
    const employee = await team('T-move-from', { jobTitle: 'Analyst' });
    const contractor = await team('T-move-from', { employeeType: 'contractor' });
    for (const { reportId } of [employee, contractor]) await waitFor(async () => (await env.identity(reportId))?.state === 'active');
    await env.put(employee.reportId, { ...employee.record, asOf: new Date().toISOString(), department: 'T-move-to', jobTitle: 'Engineer' });
    await env.put(contractor.reportId, { ...contractor.record, asOf: new Date().toISOString(), department: 'T-move-to' });

    const run = await finishedRun(employee.reportId, 'job-profile-change');
    expect(run.status).toBe('completed');
    expect(run.trigger).toContain('department');
    const mail = smtp.to(employee.managerEmail).find((m) => m.subject.includes('moved to T-move-to'));
    expect(mail?.text).toContain('before: Analyst in T-move-from');
    await waitFor(async () => (await env.identity(contractor.reportId))?.department === 'T-move-to');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect((await runsOf(contractor.reportId)).filter((r) => r.workflowId === 'job-profile-change')).toEqual([]);
    expect(smtp.to(contractor.managerEmail).filter((m) => m.subject.includes('moved'))).toEqual([]);
  });
});

describe('leaver', () => {
  it('mails the manager before, on and after the last day', async () => {
    for (const [id, offset, type] of [
      ['pre-offboarding', '-PT2S', 'email-manager-before-last-day'],
      ['offboard', 'P0D', 'email-manager-on-last-day'],
      ['post-offboarding', 'PT2S', 'email-manager-after-last-day'],
    ] as const) {
      await define({ id, name: id, category: 'leaver', trigger: { type: 'time', on: 'leaveDate', offset }, scope: "department eq 'T-leave'", tasks: [{ type }] });
    }
    const { managerEmail, reportId, record } = await team('T-leave');
    await waitFor(async () => (await env.identity(reportId))?.state === 'active');
    const leaveAt = Date.now() + 5000;
    await env.put(reportId, { ...record, asOf: new Date().toISOString(), leaveDate: new Date(leaveAt).toISOString() });
    const mails = await waitFor(async () => {
      const found = smtp.to(managerEmail).filter((m) => /last day|has left/.test(m.subject));
      return found.length === 3 ? found : undefined;
    }, { timeoutMs: 30_000, what: 'three leaver mails' });
    const [before, on, after] = [/last day is/, /Today is/, /has left/].map((pattern) => mails.find((m) => pattern.test(m.subject))!) as [typeof mails[0], typeof mails[0], typeof mails[0]];
    expect(before.receivedAt).toBeGreaterThanOrEqual(leaveAt - 2000);
    expect(before.receivedAt).toBeLessThan(leaveAt);
    expect(on.receivedAt).toBeGreaterThanOrEqual(leaveAt);
    expect(after.receivedAt).toBeGreaterThanOrEqual(leaveAt + 2000);
  });
});

describe('custom task extensions', () => {
  it('resumes a launch-and-wait run when the extension answers, and fails the task when it never does', async () => {
    await define({
      id: 'itsm-ticket',
      name: 'Open an ITSM ticket',
      category: 'joiner',
      trigger: { type: 'on-demand' },
      tasks: [
        { id: 'ticket', type: 'run-custom-extension', args: { extension: 'itsm', mode: 'launch-and-wait', timeout: 'PT20S' } },
        { id: 'notify', type: 'run-custom-extension', args: { extension: 'silent', mode: 'launch-and-continue' } },
      ],
    });
    await define({
      id: 'silent-wait',
      name: 'Wait for a silent system',
      category: 'joiner',
      trigger: { type: 'on-demand' },
      tasks: [
        { id: 'wait', type: 'run-custom-extension', continueOnError: true, args: { extension: 'silent', mode: 'launch-and-wait', timeout: 'PT3S' } },
        { id: 'after', type: 'send-onboarding-reminder' },
      ],
    });
    const { reportId, managerEmail } = await team('T-extension');
    await waitFor(async () => (await env.identity(reportId))?.state === 'active');
    for (const id of ['itsm-ticket', 'silent-wait']) {
      const res = await env.request('POST', `/v1/lifecycle-workflows/${id}/run`, { employeeIds: [reportId, 'nobody-here'] });
      expect(res.status).toBe(202);
      expect(res.body.results.map((r: any) => r.status)).toEqual(['started', 'rejected']);
    }

    const answered = await finishedRun(reportId, 'itsm-ticket');
    expect(answered.status).toBe('completed');
    const detail = (await env.request('GET', `/v1/lifecycle-runs/${answered.runId}`)).body;
    expect(detail.tasks.map((t: any) => [t.taskId, t.status])).toEqual([['ticket', 'completed'], ['notify', 'completed']]);
    expect(detail.tasks[0].output).toMatchObject({ outcome: 'completed', message: 'ticket INC-42 closed' });
    const call = extensionCalls.find((c) => c.name === 'itsm' && c.body.runId === answered.runId)!;
    expect(call.valid).toBe(true);
    expect(call.body.employee.employeeId).toBe(reportId);

    const timedOut = await finishedRun(reportId, 'silent-wait');
    expect(timedOut.status).toBe('completed_with_errors');
    const tasks = (await env.request('GET', `/v1/lifecycle-runs/${timedOut.runId}`)).body.tasks;
    expect(tasks[0]).toMatchObject({ status: 'failed', error: expect.stringContaining('no answer from silent within PT3S') });
    expect(tasks[1].status).toBe('completed');
    expect(smtp.to(managerEmail).some((m) => m.subject.includes('starts on'))).toBe(true);

    // A forged or late answer is refused.
    const path = `/v1/lifecycle-runs/${answered.runId}/tasks/ticket/resume`;
    const forged = await env.app.request(path, { method: 'POST', headers: { 'content-type': 'application/json', 'x-tenure-timestamp': '1', 'x-tenure-signature': 'sha256=00' }, body: '{"outcome":"completed"}' });
    expect(forged.status).toBe(401);
  });
});

describe('definitions', () => {
  it('an edit applies to runs not yet started; each run records its version', async () => {
    const definition = {
      id: 'versioned-welcome',
      name: 'Versioned welcome',
      category: 'joiner',
      trigger: { type: 'on-demand' },
      tasks: [{ type: 'send-welcome-email', args: { template: { subject: 'Welcome v1', body: 'Hello {{givenName}}' } } }],
    };
    await define(definition);
    const first = await team('T-version');
    const second = await team('T-version');
    for (const { reportId } of [first, second]) await waitFor(async () => (await env.identity(reportId))?.state === 'active');
    await env.request('POST', '/v1/lifecycle-workflows/versioned-welcome/run', { employeeIds: [first.reportId] });
    const v1 = await finishedRun(first.reportId, 'versioned-welcome');
    const edited = await env.request('PUT', '/v1/lifecycle-workflows/versioned-welcome', { ...definition, tasks: [{ type: 'send-welcome-email', args: { template: { subject: 'Welcome v2', body: 'Hello {{givenName}}' } } }] });
    expect(edited.body).toMatchObject({ version: 2, outcome: 'new-version' });
    await env.request('POST', '/v1/lifecycle-workflows/versioned-welcome/run', { employeeIds: [second.reportId] });
    const v2 = await finishedRun(second.reportId, 'versioned-welcome');
    expect([v1.version, v2.version]).toEqual([1, 2]);
    // Each task's mail carries the run in its Message-ID.
    const subjects = (runId: string) => smtp.messages.filter((m) => m.messageId.includes(runId)).map((m) => m.subject);
    expect(subjects(v1.runId)).toEqual(['Welcome v1']);
    expect(subjects(v2.runId)).toEqual(['Welcome v2']);
    expect((await env.request('GET', '/v1/lifecycle-workflows/versioned-welcome/versions')).body.items.map((v: any) => v.version)).toEqual([2, 1]);
  });

  it('refuses a definition with every problem named, positions in the scope rule included', async () => {
    const res = await env.request('POST', '/v1/lifecycle-workflows', {
      id: 'Bad Id',
      name: 'x',
      category: 'joiner',
      trigger: { type: 'time', on: 'hireDate', offset: 'P1M' },
      tasks: [{ type: 'send-welcome-email', args: { template: { subject: 'Hi {{nope}}', body: 'x' } } }],
    });
    expect(res.status).toBe(400);
    expect(res.body.error.details.map((d: any) => d.path)).toEqual(expect.arrayContaining(['id', 'trigger.offset']));
    const scoped = await env.request('POST', '/v1/lifecycle-workflows', {
      id: 'bad-scope',
      name: 'x',
      category: 'joiner',
      trigger: { type: 'on-demand' },
      scope: "department eq 'Sales' and (jobTitle co 'Intern'",
      tasks: [{ type: 'send-welcome-email', args: { template: { subject: 'Hi {{nope}}', body: 'x' } } }, { type: 'add-to-groups', args: {} }],
    });
    expect(scoped.body.error.details).toEqual(
      expect.arrayContaining([
        { path: 'scope', message: expect.stringMatching(/expected "\)" .* at position 48/) },
        { path: 'tasks.0.args.template.subject', message: expect.stringContaining('unknown placeholder {{nope}}') },
        { path: 'tasks.1.args.groups', message: expect.any(String) },
      ]),
    );
  });
});

describe('preview and run history', () => {
  it('the preview names the instant a run will start, and then the run that started at it', async () => {
    await define({
      id: 'preview-check',
      name: 'Preview check',
      category: 'joiner',
      trigger: { type: 'time', on: 'hireDate', offset: '-PT2S' },
      scope: "department eq 'T-preview'",
      tasks: [{ type: 'send-onboarding-reminder' }],
    });
    const hireAt = Date.now() + 6000;
    const { reportId } = await team('T-preview', { hireDate: new Date(hireAt).toISOString() });
    const before = await waitFor(async () => {
      const res = await env.request('GET', `/v1/identities/${reportId}/lifecycle-preview`);
      return res.status === 200 ? res.body : undefined;
    });
    const planned = before.items.find((i: any) => i.workflowId === 'preview-check');
    expect(planned).toMatchObject({ status: 'scheduled', at: new Date(hireAt - 2000).toISOString(), runId: null });
    expect(before.items.find((i: any) => i.workflowId === 'onboard-pre-hire')?.status).toBe('out-of-scope');

    const run = await finishedRun(reportId, 'preview-check');
    expect(run.scheduledFor).toBe(planned.at);
    const after = (await env.request('GET', `/v1/identities/${reportId}/lifecycle-preview`)).body;
    expect(after.items.find((i: any) => i.workflowId === 'preview-check')).toMatchObject({ status: 'ran', runId: run.runId });
  });

  it('shows runs by run, by task and by person, and exports CSV', async () => {
    const byTask = await env.request('GET', '/v1/lifecycle-runs/tasks?taskType=send-onboarding-reminder&limit=50');
    expect(byTask.body.items.length).toBeGreaterThan(0);
    expect(byTask.body.items.every((t: any) => t.taskType === 'send-onboarding-reminder')).toBe(true);
    const people = await env.request('GET', '/v1/lifecycle-runs/people');
    expect(people.body.items.some((p: any) => p.runs > 0 && p.displayName)).toBe(true);
    const failed = await env.request('GET', '/v1/lifecycle-runs?status=completed_with_errors');
    expect(failed.body.items.every((r: any) => r.status === 'completed_with_errors')).toBe(true);
    const csv = await env.app.request('/v1/lifecycle-runs?format=csv', { headers: { authorization: `Bearer ${env.key}` } });
    expect(csv.headers.get('content-type')).toContain('text/csv');
    const lines = (await csv.text()).trim().split('\r\n');
    expect(lines[0]).toBe('runId,workflowId,version,employeeId,category,trigger,scheduledFor,requestedBy,status,error,startedAt,completedAt');
    expect(lines.length).toBeGreaterThan(1);
    const pageOne = await env.request('GET', '/v1/lifecycle-runs?limit=2');
    const pageTwo = await env.request('GET', `/v1/lifecycle-runs?limit=2&cursor=${pageOne.body.nextCursor}`);
    expect(pageTwo.body.items[0].runId).not.toBe(pageOne.body.items[0].runId);
  });
});
