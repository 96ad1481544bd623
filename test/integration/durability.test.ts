import { createServer, type IncomingMessage, type Server } from 'node:http';
import { Client, Connection } from '@temporalio/client';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signPayload } from '../../domain/signature';
import { createApp } from '../../api/app';
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
    expect(rows.every((r) => r.deliveredAt === null && r.lastDeliveryError)).toBe(true);
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
    await deadConnection.close();
  });

  it('only one relay works at a time, and a second pass finds nothing left', async () => {
    const delivery = { client: env.client, taskQueue: env.taskQueue, timeoutMs: 5000 };
    const options = { graceMs: 0, batchSize: 50, now: () => new Date() };
    const [a, b] = await Promise.all([relayOnce(env.db, delivery, options), relayOnce(env.db, delivery, options)]);
    expect([a, b]).toContain(0);
    expect(await relayOnce(env.db, delivery, options)).toBe(0);
  });
});
