import { Client, Connection } from '@temporalio/client';
import { eq, inArray } from 'drizzle-orm';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../api/api-keys';
import { createApp } from '../../api/app';
import { createDb } from '../../db/client';
import { insertInboxRows, LateInsertError } from '../../db/queries/hr-inbox';
import { hrInbox } from '../../db/schema';
import { newEmployeeId, workerRecord } from '../helpers/builders';
import { startTestEnvironment, waitFor, type TestEnvironment } from '../helpers/environment';
import { startBlackHole, startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy';

// The API fails fast and never lies: with PostgreSQL out of reach (refused, reset or silent)
// every answer comes within 5 s as 503 with Retry-After, /readyz says so, and a record that
// was stored is answered 202 whatever fails after the insert.

let env: TestEnvironment;
let proxy: TcpProxy;
let proxied: ReturnType<typeof createDb>;
let blackHole: Awaited<ReturnType<typeof startBlackHole>>;
let unseenKey: string;

beforeAll(async () => {
  env = await startTestEnvironment({ worker: false, env: { TENURE_DATABASE_CONNECT_TIMEOUT: 'PT1S', TENURE_REQUEST_TIMEOUT: 'PT2.5S' } });
  const url = new URL(env.config.database.url);
  proxy = await startTcpProxy({ host: url.hostname, port: Number(url.port || 5432) });
  url.port = String(proxy.port);
  proxied = createDb(url.toString(), { connectTimeoutMs: env.config.database.connectTimeoutMs });
  blackHole = await startBlackHole();
  // A key no app has verified yet, so authentication itself has to reach the database.
  unseenKey = (await createApiKey(env.db, { name: 'unseen', scopes: ['admin'] })).key;
});
afterAll(async () => {
  await proxy?.close();
  await proxied?.close();
  await blackHole?.close();
  await env?.stop();
});

function apiBehindProxy(temporal: { client: Client; ping: () => Promise<unknown> } = { client: env.client, ping: () => env.client.workflowService.getSystemInfo({}) }) {
  return createApp({
    db: proxied.db,
    temporal: { ...temporal, taskQueue: env.taskQueue },
    config: { ...env.config, maxBodyBytes: env.config.api.maxBodyBytes },
    deliveryTimeoutMs: 1000,
    now: () => new Date(),
    log: pino({ level: 'silent' }),
  });
}

type App = ReturnType<typeof createApp>;
const headers = (key = env.key) => ({ authorization: `Bearer ${key}`, 'content-type': 'application/json' });

async function timed(app: App, method: string, path: string, body?: unknown, key?: string) {
  const started = Date.now();
  const res = await app.request(path, { method, headers: headers(key), body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, retryAfter: res.headers.get('retry-after'), body: text ? JSON.parse(text) : undefined, ms: Date.now() - started, path };
}

/** One request of each kind: a write, reads, a batch, a pass check, and authentication by an unseen key. */
const requests = (id: string): [string, string, unknown?, string?][] => [
  ['PUT', `/v1/workers/${id}`, workerRecord()],
  ['POST', '/v1/workers/batch', { records: [{ employeeId: newEmployeeId(), ...workerRecord() }] }],
  ['DELETE', `/v1/workers/${id}`],
  ['GET', '/v1/identities'],
  ['GET', `/v1/identities/${id}/events`],
  ['GET', '/v1/lifecycle-runs'],
  ['POST', `/v1/identities/${id}/tap/verify`, { pass: 'ABCD-EFGH-JKLM-NPQR' }],
  ['GET', '/v1/identities', undefined, unseenKey],
];

async function expectUnavailable(app: App, id: string) {
  const answers = await Promise.all(requests(id).map(([method, path, body, key]) => timed(app, method, path, body, key)));
  for (const answer of answers) {
    expect(answer.status, answer.path).toBe(503);
    expect(answer.retryAfter, answer.path).toMatch(/^\d+$/);
    expect(answer.body.error.code, answer.path).toBe('unavailable');
    expect(answer.ms, answer.path).toBeLessThan(5000);
  }
  const started = Date.now();
  const ready = await app.request('/readyz');
  expect(ready.status).toBe(503);
  expect(await ready.json()).toEqual({ status: 'unavailable', checks: { database: 'unreachable', temporal: 'ok' } });
  expect(Date.now() - started).toBeLessThan(5000);
}

async function expectWorking(app: App) {
  await waitFor(async () => (await app.request('/readyz')).status === 200, { timeoutMs: 10_000, what: 'readyz after the database came back' });
  const id = newEmployeeId();
  expect((await timed(app, 'PUT', `/v1/workers/${id}`, workerRecord())).status).toBe(202);
  expect((await timed(app, 'GET', `/v1/identities/${id}/events`)).status).toBe(200);
}

describe('PostgreSQL out of reach', () => {
  it('refused and reset: every answer is a 503 with Retry-After within 5 s, /readyz says so, and the API recovers', async () => {
    const app = apiBehindProxy();
    const id = newEmployeeId();
    expect((await timed(app, 'PUT', `/v1/workers/${id}`, workerRecord())).status).toBe(202);
    await proxy.cut();
    await expectUnavailable(app, id);
    await proxy.restore();
    await expectWorking(app);
  });

  it('stores nothing behind a 503: an insert the database gets after its moment stores nothing', async () => {
    // What happens when an insert waits in the client's queue for a database that was away and
    // reaches it after the request was answered 503 (the fault suite's scenario 3 does it for real).
    const id = newEmployeeId();
    const row = { employeeId: id, kind: 'upsert' as const, asOf: new Date(), payload: {}, record: { employeeId: id } as never, policy: { prehireLeadMs: 0, leaverRetentionMs: 0 }, actor: 'test' };
    await expect(insertInboxRows(env.db, [row], { notAfter: new Date(Date.now() - 1) })).rejects.toBeInstanceOf(LateInsertError);
    expect(await env.db.select({ id: hrInbox.id }).from(hrInbox).where(eq(hrInbox.employeeId, id))).toEqual([]);
    expect(await insertInboxRows(env.db, [row], { notAfter: new Date(Date.now() + 5000) })).toHaveLength(1);
  });

  it('silent (a black-holed network): open connections and new ones time out into 503 within 5 s', async () => {
    const app = apiBehindProxy();
    const id = newEmployeeId();
    expect((await timed(app, 'PUT', `/v1/workers/${id}`, workerRecord())).status).toBe(202);
    proxy.blackHole();
    await expectUnavailable(app, id);
    await proxy.restore();
    await expectWorking(app);
  });

  it('never answers 500 for a stored record: the insert commits, the database goes, the answer is 202', async () => {
    // Temporal that never answers keeps delivery busy after the insert while the database is cut.
    const silent = Connection.lazy({ address: blackHole.address });
    const app = apiBehindProxy({ client: new Client({ connection: silent }), ping: async () => {} });
    const id = newEmployeeId();
    const answer = timed(app, 'PUT', `/v1/workers/${id}`, workerRecord());
    await waitFor(async () => (await env.db.select().from(hrInbox).where(eq(hrInbox.employeeId, id))).length > 0, { intervalMs: 10, what: 'the stored row' });
    await proxy.cut();
    const { status, body, ms } = await answer;
    expect(status).toBe(202);
    expect(ms).toBeLessThan(5000);
    const [row] = await env.db.select().from(hrInbox).where(eq(hrInbox.id, body.inboxId));
    expect(row).toMatchObject({ employeeId: id, kind: 'upsert', deliveredAt: null });
    await proxy.restore();
  });

  it('under a steady PUT stream while it goes away and comes back: only 202 or 503, each within 5 s, every 202 stored', async () => {
    const app = apiBehindProxy();
    const answers: Awaited<ReturnType<typeof timed>>[] = [];
    const stream = (async () => {
      for (let i = 0; i < 60; i++) {
        answers.push(await timed(app, 'PUT', `/v1/workers/${newEmployeeId()}`, workerRecord()));
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();
    await new Promise((resolve) => setTimeout(resolve, 600));
    await proxy.cut();
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await proxy.restore();
    await new Promise((resolve) => setTimeout(resolve, 600));
    proxy.blackHole();
    await new Promise((resolve) => setTimeout(resolve, 3000));
    await proxy.restore();
    await stream;
    const statuses = new Set(answers.map((a) => a.status));
    expect([...statuses].sort()).toEqual([202, 503]);
    for (const answer of answers) {
      expect(answer.ms).toBeLessThan(5000);
      if (answer.status === 503) expect(answer.retryAfter).toMatch(/^\d+$/);
    }
    const accepted = answers.filter((a) => a.status === 202).map((a) => a.body.inboxId as number);
    const stored = await env.db.select({ id: hrInbox.id }).from(hrInbox).where(inArray(hrInbox.id, accepted));
    expect(stored).toHaveLength(accepted.length);
  });
});
