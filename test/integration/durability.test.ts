import { createServer, type IncomingMessage, type Server } from 'node:http';
import { Client, Connection } from '@temporalio/client';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signPayload } from '../../domain/signature';
import { createApp } from '../../api/app';
import { signalIdentity } from '../../api/hr-delivery';
import { relayOnce, startRelay } from '../../api/hr-inbox-relay';
import { hrInbox } from '../../db/schema';
import type { identityWorkflow } from '../../workflows/identity';
import { identityStateQuery, identityWorkflowId } from '../../workflows/messages';
import { freePort } from '../../scripts/ports';
import { newEmployeeId, workerRecord } from '../helpers/builders';
import { startTestEnvironment, waitFor, type TestEnvironment } from '../helpers/environment';

// Nothing lost, nothing doubled: the inbox relay, continue-as-new, and the HR write-back.

interface Received {
  body: string;
  headers: IncomingMessage['headers'];
}

let env: TestEnvironment;
let hr: Server;
const received: Received[] = [];
let failuresLeft = 2;
const secret = 'webhook-test-secret';

beforeAll(async () => {
  // An HR endpoint that is down for its first two calls.
  hr = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      if (failuresLeft > 0) {
        failuresLeft -= 1;
        res.writeHead(503).end();
        return;
      }
      received.push({ body, headers: req.headers });
      res.writeHead(204).end();
    });
  });
  const port = await freePort();
  await new Promise<void>((resolve) => hr.listen(port, '127.0.0.1', resolve));
  env = await startTestEnvironment({ hrWebhook: { url: `http://127.0.0.1:${port}/hr/identities`, secret } });
});
afterAll(async () => {
  await env?.stop();
  hr?.close();
});

const active = (id: string) =>
  waitFor(async () => {
    const identity = await env.identity(id);
    return identity?.state === 'active' ? identity : undefined;
  }, { what: `${id} active` });

describe('HR write-back', () => {
  it('tells HR the username and work email, signed, retrying until HR answers', async () => {
    const id = newEmployeeId();
    await env.put(id, workerRecord({ givenName: 'Hedy', familyName: 'Lamarr' }));
    await active(id);
    const call = await waitFor(async () => received.find((r) => r.body.includes(id)), { timeoutMs: 30_000, what: 'the write-back call' });
    expect(JSON.parse(call.body)).toEqual({ employeeId: id, username: 'hedy.lamarr', workEmail: 'hedy.lamarr@tenure.test' });
    const timestamp = String(call.headers['x-tenure-timestamp']);
    expect(call.headers['x-tenure-signature']).toBe(await signPayload(secret, timestamp, call.body));
    expect(failuresLeft).toBe(0);
    await waitFor(async () => (await env.events(id)).some((e) => e.kind === 'hr.written-back'));
  });
});

describe('a workflow started before its first record', () => {
  it('waits without spinning: it answers queries at once and takes the record when it comes', async () => {
    const id = newEmployeeId();
    const workflowId = identityWorkflowId(id);
    await env.client.workflow.start<typeof identityWorkflow>('identityWorkflow', { workflowId, taskQueue: env.taskQueue, args: [{ employeeId: id }] });
    // A first activation that never yields would hold the worker until the deadlock detector stops it.
    const snapshot = await Promise.race([
      env.client.workflow.getHandle(workflowId).query(identityStateQuery),
      new Promise((_, reject) => setTimeout(() => reject(new Error('the workflow did not answer a query within 10 s')), 10_000)),
    ]);
    expect(snapshot).toMatchObject({ employeeId: id });
    expect((await env.client.workflow.getHandle(workflowId).describe()).status.name).toBe('RUNNING');
    await env.put(id, workerRecord());
    await active(id);
  });
});

describe('continue-as-new', () => {
  it('carries the person, the schedule and queued records into the next run', async () => {
    const id = newEmployeeId();
    const workflowId = identityWorkflowId(id);
    await env.client.workflow.start<typeof identityWorkflow>('identityWorkflow', {
      workflowId,
      taskQueue: env.taskQueue,
      args: [{ employeeId: id, maxHistoryEvents: 40 }],
    });
    const first = env.client.workflow.getHandle(workflowId);
    const firstRunId = (await first.describe()).runId;
    const base = workerRecord({ leaveDate: new Date(Date.now() + 3_600_000).toISOString() });
    for (let i = 1; i <= 12; i++) {
      await env.put(id, { ...base, asOf: new Date(Date.now() + i).toISOString(), jobTitle: `Title ${i}` });
    }
    await waitFor(async () => (await env.identity(id))?.jobTitle === 'Title 12', { what: 'the last record applied' });
    await waitFor(async () => (await env.client.workflow.getHandle(workflowId).describe()).runId !== firstRunId, { what: 'a new run' });
    expect((await env.client.workflow.getHandle(workflowId, firstRunId).describe()).status.name).toBe('CONTINUED_AS_NEW');
    const snapshot = await env.client.workflow.getHandle(workflowId).query(identityStateQuery);
    expect(snapshot).toMatchObject({ state: 'active', accounts: 'enabled', record: { jobTitle: 'Title 12' }, next: { action: 'disable' } });
    // The new run provisions the records it carried over after it starts.
    await waitFor(async () => (await env.entry(id))?.title === 'Title 12', { what: 'the last title in LDAP' });
    expect((await env.entry(id))!.title).toBe('Title 12');
    expect((await env.events(id)).filter((e) => e.kind === 'account.created')).toHaveLength(1);
  });
});

describe('Temporal unreachable', () => {
  it('the API still answers 202, stores the records, and the relay delivers them in order once Temporal is back', async () => {
    const deadPort = await freePort();
    const deadConnection = Connection.lazy({ address: `127.0.0.1:${deadPort}` });
    const deadClient = new Client({ connection: deadConnection });
    const offline = createApp({
      db: env.db,
      temporal: { client: deadClient, taskQueue: env.taskQueue, ping: () => deadConnection.healthService.check({}) },
      config: { ...env.config, maxBodyBytes: env.config.api.maxBodyBytes },
      deliveryTimeoutMs: 500,
      now: () => new Date(),
      log: { info() {}, warn() {}, error() {} },
    });
    const put = (id: string, body: unknown) =>
      offline.request(`/v1/workers/${id}`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${env.key}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });

    const id = newEmployeeId();
    const record = workerRecord({ jobTitle: 'First' });
    expect((await put(id, record)).status).toBe(202);
    expect((await put(id, { ...record, asOf: new Date(Date.now() + 1).toISOString(), jobTitle: 'Second' })).status).toBe(202);
    expect((await offline.request('/readyz')).status).toBe(503);

    const rows = await env.db.select().from(hrInbox).where(eq(hrInbox.employeeId, id)).orderBy(hrInbox.id);
    expect(rows).toHaveLength(2);
    expect(rows.every((r) => r.deliveredAt === null)).toBe(true);
    // The first one was tried and failed; the second queued behind it, untried.
    expect(rows.map((r) => r.lastDeliveryError !== null)).toEqual([true, false]);
    expect(rows.map((r) => r.record?.jobTitle)).toEqual(['First', 'Second']);
    expect(await env.identity(id)).toBeUndefined();

    const delivery = { client: env.client, taskQueue: env.taskQueue, timeoutMs: 5000 };
    const relay = startRelay(env.db, delivery, { intervalMs: 200, graceMs: 0, batchSize: 50, now: () => new Date() });
    try {
      await active(id);
      await waitFor(async () => (await env.identity(id))?.jobTitle === 'Second', { what: 'the second record applied' });
    } finally {
      await relay.stop();
    }
    const after = await waitFor(async () => {
      const rows = await env.db.select().from(hrInbox).where(eq(hrInbox.employeeId, id)).orderBy(hrInbox.id);
      return rows.every((r) => r.outcome) ? rows : undefined;
    });
    expect(after.map((r) => r.outcome)).toEqual(['applied', 'applied']);
    expect((await env.events(id)).filter((e) => e.kind.startsWith('record.')).map((e) => e.kind)).toEqual(['record.hire', 'record.move']);
    // Not closed: see below.
  });

  it('a withdrawal queues behind the record it withdraws, so the hire never happens', async () => {
    const deadConnection = Connection.lazy({ address: `127.0.0.1:${await freePort()}` });
    const offline = createApp({
      db: env.db,
      temporal: { client: new Client({ connection: deadConnection }), taskQueue: env.taskQueue, ping: async () => {} },
      config: { ...env.config, maxBodyBytes: env.config.api.maxBodyBytes },
      deliveryTimeoutMs: 300,
      now: () => new Date(),
      log: { info() {}, warn() {}, error() {} },
    });
    const id = newEmployeeId();
    const put = await offline.request(`/v1/workers/${id}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${env.key}`, 'content-type': 'application/json' },
      body: JSON.stringify(workerRecord({ hireDate: new Date(Date.now() + 3_600_000).toISOString() })),
    });
    expect(put.status).toBe(202);
    // Temporal is back for this request, but the older record is still waiting for the relay.
    expect((await env.request('DELETE', `/v1/workers/${id}`)).status).toBe(202);
    const rows = await env.db.select().from(hrInbox).where(eq(hrInbox.employeeId, id)).orderBy(hrInbox.id);
    expect(rows.map((r) => [r.kind, r.deliveredAt === null])).toEqual([
      ['upsert', true],
      ['withdraw', true],
    ]);
    const relay = startRelay(env.db, { client: env.client, taskQueue: env.taskQueue, timeoutMs: 5000 }, { intervalMs: 200, graceMs: 0, batchSize: 50, now: () => new Date() });
    try {
      await waitFor(async () => (await env.identity(id))?.state === 'cancelled', { what: 'the withdrawn hire cancelled' });
    } finally {
      await relay.stop();
    }
    expect(await env.entry(id)).toBeUndefined();
    // Not closed: the lazy connection never connected, and closing it under a pending retry throws from a timer.
  });

  it('a redelivered inbox row changes nothing and leaves no trace', async () => {
    const id = newEmployeeId();
    await env.put(id, workerRecord());
    await active(id);
    const [row] = await env.db.select().from(hrInbox).where(eq(hrInbox.employeeId, id));
    await signalIdentity({ client: env.client, taskQueue: env.taskQueue, timeoutMs: 5000 }, row!);
    await env.put(id, workerRecord({ familyName: row!.record!.familyName, jobTitle: 'After the redelivery' }));
    await waitFor(async () => (await env.identity(id))?.jobTitle === 'After the redelivery');
    expect((await env.events(id)).map((e) => e.kind)).not.toContain('record.duplicate');
    const [again] = await env.db.select().from(hrInbox).where(eq(hrInbox.id, row!.id));
    expect(again!.outcome).toBe('applied');
  });

  it('only one relay works at a time, and a second pass finds nothing left', async () => {
    const delivery = { client: env.client, taskQueue: env.taskQueue, timeoutMs: 5000 };
    const options = { graceMs: 0, batchSize: 50, now: () => new Date() };
    const [a, b] = await Promise.all([relayOnce(env.db, delivery, options), relayOnce(env.db, delivery, options)]);
    expect([a, b]).toContain(0);
    expect(await relayOnce(env.db, delivery, options)).toBe(0);
  });
});
