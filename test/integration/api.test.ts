import { Client, Connection } from '@temporalio/client';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../api/api-keys';
import { createApp } from '../../api/app';
import { apiKeys, hrInbox } from '../../db/schema';
import { newEmployeeId, workerRecord } from '../helpers/builders';
import { startTestEnvironment, waitFor, type TestEnvironment } from '../helpers/environment';

// The HTTP contract: auth and scopes, validation that names every field, limits, the
// per-record batch, reads with filters and cursors, health, and the generated OpenAPI.

let env: TestEnvironment;
beforeAll(async () => {
  env = await startTestEnvironment({ env: { TENURE_MAX_BODY_BYTES: '300000' } });
});
afterAll(async () => env?.stop());

const call = (path: string, init: RequestInit = {}) => env.app.request(path, init);

describe('authentication', () => {
  it('answers 401 without a key or with a wrong one, and 403 without the scope', async () => {
    expect((await call('/v1/identities')).status).toBe(401);
    expect((await call('/v1/identities', { headers: { authorization: 'Bearer tnr_000000000000_' + 'x'.repeat(43) } })).status).toBe(401);
    expect((await call('/v1/identities', { headers: { authorization: 'Basic abc' } })).status).toBe(401);
    const reader = await createApiKey(env.db, { name: 'reader', scopes: ['identities:read'] });
    const asReader = { authorization: `Bearer ${reader.key}`, 'content-type': 'application/json' };
    expect((await call('/v1/identities', { headers: asReader })).status).toBe(200);
    const denied = await call(`/v1/workers/${newEmployeeId()}`, { method: 'PUT', headers: asReader, body: JSON.stringify(workerRecord()) });
    expect(denied.status).toBe(403);
    expect(await denied.json()).toMatchObject({ error: { code: 'forbidden', message: expect.stringContaining('hr:write') } });
  });

  it('stores keys only as hashes', async () => {
    const { key } = await createApiKey(env.db, { name: 'hashed', scopes: ['hr:write'] });
    const [row] = await env.db.select().from(apiKeys).where(eq(apiKeys.name, 'hashed'));
    expect(JSON.stringify(row)).not.toContain(key.split('_')[2]);
    expect(row!.secretHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('accepts a development key only in development mode', async () => {
    const { key } = await createApiKey(env.db, { name: 'development', scopes: ['admin'], development: true, replace: true });
    const headers = { authorization: `Bearer ${key}` };
    expect((await call('/v1/identities', { headers })).status).toBe(401);
    const devApp = createApp({
      db: env.db,
      temporal: { client: env.client, taskQueue: env.taskQueue, ping: async () => {} },
      config: { ...env.config, mode: 'development', maxBodyBytes: 1_000_000 },
      deliveryTimeoutMs: 1000,
      now: () => new Date(),
      log: { info() {}, warn() {}, error() {} },
    });
    expect((await devApp.request('/v1/identities', { headers })).status).toBe(200);
  });
});

describe('validation', () => {
  it('answers 400 with every offending field path, unknown fields included, and stores nothing', async () => {
    const id = newEmployeeId();
    const res = await env.request('PUT', `/v1/workers/${id}`, {
      asOf: 'yesterday',
      familyName: '',
      employeeType: 7,
      workEmail: 'not-an-address',
      timeZone: 'Mars/Olympus',
      hireDate: '2026-02-30',
      leaveDate: 'soon',
      salary: 100000,
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
    const paths = res.body.error.details.map((d: { path: string }) => d.path).sort();
    expect(paths).toEqual(['asOf', 'employeeType', 'familyName', 'givenName', 'hireDate', 'leaveDate', 'salary', 'timeZone', 'workEmail']);
    expect(res.body.error.details.find((d: { path: string }) => d.path === 'salary').message).toBe('unknown field');
    expect(await env.db.select().from(hrInbox).where(eq(hrInbox.employeeId, id))).toEqual([]);
  });

  it('rejects a leave before the hire, a self-manager and a bad employee id', async () => {
    const leave = await env.put(newEmployeeId(), workerRecord({ hireDate: '2026-05-01', leaveDate: '2026-04-01' }));
    expect(leave.body.error.details).toEqual([{ path: 'leaveDate', message: 'the leave instant must be after the hire instant' }]);
    const id = newEmployeeId();
    const self = await env.put(id, workerRecord({ managerEmployeeId: id }));
    expect(self.body.error.details[0].path).toBe('managerEmployeeId');
    const badId = await env.request('PUT', '/v1/workers/%20bad%20id', workerRecord());
    expect(badId.status).toBe(400);
    expect(badId.body.error.details[0].path).toBe('employeeId');
  });

  it('refuses implausible dates and an asOf more than a day ahead', async () => {
    const res = await env.put(newEmployeeId(), workerRecord({ hireDate: '0000-01-01', leaveDate: '20266-01-01', asOf: new Date(Date.now() + 3 * 86_400_000).toISOString() }));
    expect(res.status).toBe(400);
    expect(res.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual(['hireDate', 'leaveDate']);
    const ahead = await env.put(newEmployeeId(), workerRecord({ asOf: new Date(Date.now() + 3 * 86_400_000).toISOString() }));
    expect(ahead.body.error.details).toEqual([{ path: 'asOf', message: 'asOf is more than a day in the future' }]);
  });

  it('refuses an employee id that differs from an existing one only in letter case', async () => {
    const id = `Case${newEmployeeId()}`;
    expect((await env.put(id, workerRecord())).status).toBe(202);
    await waitFor(async () => (await env.identity(id))?.state === 'active');
    const variant = await env.put(id.toLowerCase(), workerRecord());
    expect(variant.status).toBe(409);
    expect(variant.body.error.details[0]).toMatchObject({ path: 'employeeId', message: expect.stringContaining(id) });
    const batch = await env.request('POST', '/v1/workers/batch', { records: [{ employeeId: id.toUpperCase(), ...workerRecord() }] });
    expect(batch.body.results[0]).toMatchObject({ status: 'rejected', errors: [{ path: 'records.0.employeeId' }] });
  });

  it('answers 400 for malformed JSON, 415 for other media types and 413 for large bodies', async () => {
    const id = newEmployeeId();
    const auth = { authorization: `Bearer ${env.key}` };
    const malformed = await call(`/v1/workers/${id}`, { method: 'PUT', headers: { ...auth, 'content-type': 'application/json' }, body: '{"asOf":' });
    expect(malformed.status).toBe(400);
    const text = await call(`/v1/workers/${id}`, { method: 'PUT', headers: { ...auth, 'content-type': 'text/plain' }, body: 'hello' });
    expect(text.status).toBe(415);
    const huge = await env.put(id, workerRecord({ jobTitle: 'x'.repeat(70 * 1024) }));
    expect(huge.status).toBe(413);
    expect(huge.body.error.code).toBe('payload_too_large');
    const records = Array.from({ length: 400 }, () => ({ employeeId: newEmployeeId(), ...workerRecord({ jobTitle: 'y'.repeat(1000) }) }));
    expect((await env.request('POST', '/v1/workers/batch', { records })).status).toBe(413);
  });

  it('never crashes on odd input', async () => {
    const bodies = ['null', '[]', '"text"', '12', '{"asOf": {"$gt": 1}}', JSON.stringify({ ...workerRecord(), givenName: '\u0000\uffff' }), '{"__proto__": {"admin": true}}'];
    for (const body of bodies) {
      const res = await call(`/v1/workers/${newEmployeeId()}`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${env.key}`, 'content-type': 'application/json' },
        body,
      });
      expect(res.status, body).toBeGreaterThanOrEqual(202);
      expect(res.status, body).toBeLessThan(500);
    }
  });
});

describe('batch', () => {
  it('answers per record; a bad record never rejects the others', async () => {
    const good = [newEmployeeId(), newEmployeeId()];
    const res = await env.request('POST', '/v1/workers/batch', {
      records: [
        { employeeId: good[0], ...workerRecord() },
        { employeeId: 'bad id', ...workerRecord() },
        { ...workerRecord() },
        { employeeId: newEmployeeId(), ...workerRecord({ hireDate: 'tomorrow' }) },
        'not an object',
        { employeeId: good[1], ...workerRecord() },
      ],
    });
    expect(res.status).toBe(202);
    expect(res.body.accepted).toBe(2);
    expect(res.body.rejected).toBe(4);
    expect(res.body.results.map((r: { status: string }) => r.status)).toEqual(['accepted', 'rejected', 'rejected', 'rejected', 'rejected', 'accepted']);
    expect(res.body.results[1].errors[0].path).toBe('records.1.employeeId');
    expect(res.body.results[2].errors[0].path).toBe('records.2.employeeId');
    expect(res.body.results[3].errors[0].path).toBe('records.3.hireDate');
    expect(res.body.results[4].errors[0].path).toBe('records.4');
    for (const id of good) await waitFor(async () => (await env.identity(id))?.state === 'active');
  });

  it('refuses more than 1,000 records', async () => {
    const records = Array.from({ length: 1001 }, () => ({ employeeId: 'x' }));
    const res = await env.request('POST', '/v1/workers/batch', { records });
    expect(res.status).toBe(400);
    expect(res.body.error.details[0].path).toBe('records');
  });
});

describe('reading identities', () => {
  it('lists with state, department and text filters, page by page', async () => {
    const department = `Dept-${newEmployeeId()}`;
    const ids = Array.from({ length: 5 }, () => newEmployeeId('L')).sort();
    await env.request('POST', '/v1/workers/batch', {
      records: ids.map((employeeId, i) => ({ employeeId, ...workerRecord({ department, givenName: i === 2 ? 'Findable' : 'Plain' }) })),
    });
    for (const id of ids) await waitFor(async () => (await env.identity(id))?.state === 'active');

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = `/v1/identities?department=${department}&state=active&limit=2${cursor ? `&cursor=${cursor}` : ''}`;
      const page = await env.request('GET', query);
      expect(page.status).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.items.map((i: { employeeId: string }) => i.employeeId));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(ids);

    const found = await env.request('GET', `/v1/identities?department=${department}&q=findable`);
    expect(found.body.items.map((i: { employeeId: string }) => i.employeeId)).toEqual([ids[2]]);
    expect((await env.request('GET', `/v1/identities?department=${department}&state=terminated`)).body.items).toEqual([]);
    expect((await env.request('GET', '/v1/identities?cursor=garbage')).status).toBe(400);
    expect((await env.request('GET', '/v1/identities?state=sleeping')).status).toBe(400);
  });

  it('pages through the audit trail of a person, and answers 404 for a stranger', async () => {
    const id = newEmployeeId();
    await env.put(id, workerRecord());
    await waitFor(async () => (await env.identity(id))?.state === 'active');
    const first = await env.request('GET', `/v1/identities/${id}/events?limit=1`);
    expect(first.body.items).toHaveLength(1);
    expect(first.body.items[0]).toMatchObject({ kind: 'record.hire', actor: 'test-hr', workflowId: `identity-${id}` });
    const second = await env.request('GET', `/v1/identities/${id}/events?limit=10&cursor=${first.body.nextCursor}`);
    expect(second.body.items[0].id).toBeGreaterThan(first.body.items[0].id);
    expect((await env.request('GET', `/v1/identities/${newEmployeeId()}/events`)).status).toBe(404);
    expect((await env.request('GET', `/v1/identities/${newEmployeeId()}`)).status).toBe(404);
  });
});

describe('operations', () => {
  it('answers healthz and readyz, and readyz fails when Temporal is away', async () => {
    expect(await (await call('/healthz')).json()).toEqual({ status: 'ok' });
    const ready = await call('/readyz');
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ok', checks: { database: 'ok', temporal: 'ok' } });
    const dead = Connection.lazy({ address: '127.0.0.1:1' });
    const offline = createApp({
      db: env.db,
      temporal: { client: new Client({ connection: dead }), taskQueue: 'x', ping: () => dead.withDeadline(Date.now() + 500, () => dead.healthService.check({})) },
      config: { ...env.config, maxBodyBytes: 1000 },
      deliveryTimeoutMs: 100,
      now: () => new Date(),
      log: { info() {}, warn() {}, error() {} },
    });
    const notReady = await offline.request('/readyz');
    expect(notReady.status).toBe(503);
    expect(((await notReady.json()) as any).checks.database).toBe('ok');
    // The lazy connection never connected; closing it while a retry is pending would throw from a timer.
  });

  it('publishes an OpenAPI document generated from the routes, and a reference page', async () => {
    const doc = (await (await call('/openapi.json')).json()) as any;
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/v1/workers/{employeeId}', '/v1/workers/batch', '/v1/identities', '/v1/identities/{employeeId}', '/v1/identities/{employeeId}/events', '/healthz', '/readyz']),
    );
    expect(doc.components.schemas.WorkerRecord.properties.hireDate).toBeDefined();
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
    const page = await call('/docs');
    expect(await page.text()).toContain('/docs/assets/reference.js');
    expect(await (await call('/docs/assets/reference.js')).text()).toContain('/openapi.json');
    expect((await call('/docs/assets/swagger-ui-bundle.js')).status).toBe(200);
  });
});
