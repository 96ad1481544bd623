import { Writable } from 'node:stream';
import { Client, Connection } from '@temporalio/client';
import { and, eq } from 'drizzle-orm';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type AppDeps } from '../../api/app';
import { auditEvents, hrInbox, temporaryAccessPasses } from '../../db/schema';
import { loggerOptions } from '../../domain/logging';
import { signPayload } from '../../domain/signature';
import { newEmployeeId, workerRecord } from '../helpers/builders';
import { startTestEnvironment, type TestEnvironment } from '../helpers/environment';
import { seedIdentity, seedPass, seedWaitingExtensionRun } from '../helpers/seed';

// Regression tests for the defects of the hardening issue: hostile input gets a 4xx naming the
// field, nothing unauthenticated writes log lines or reads large bodies, failed attempts are
// limited, and an unreachable Temporal is one 503 with Retry-After.

const extensionSecret = 'itsm-secret-0123456789';
let env: TestEnvironment;
beforeAll(async () => {
  env = await startTestEnvironment({
    worker: false,
    env: {
      TENURE_CUSTOM_EXTENSIONS: JSON.stringify({ itsm: { url: 'http://127.0.0.1:9/itsm', secret: extensionSecret } }),
      TENURE_AUTH_FAILURE_LIMIT: '5',
      TENURE_PASS_FAILURE_LIMIT: '3',
    },
  });
});
afterAll(async () => env?.stop());

/** The app of this file with other dependencies: a logger that keeps every line, an unreachable Temporal. */
function appWith(overrides: Partial<AppDeps>) {
  return createApp({
    db: env.db,
    temporal: { client: env.client, taskQueue: env.taskQueue, ping: async () => {} },
    config: { ...env.config, maxBodyBytes: env.config.api.maxBodyBytes },
    deliveryTimeoutMs: 2000,
    now: () => new Date(),
    log: pino({ level: 'silent' }),
    ...overrides,
  });
}

function capturedLog() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  return { log: pino(loggerOptions('api', 'debug'), stream), lines };
}

/** A request from a given client address, as the Node server would report its socket. */
const from = (address: string) => ({ incoming: { socket: { remoteAddress: address } } });

const fieldsOf = (body: any) => (body?.error?.details ?? []).map((d: { path: string }) => d.path);
const cursor = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('bad input is a 4xx that names the field', () => {
  const tooPrecise = '2026-12-01T09:00:00.1111111111111111111111111111111Z';

  it('a date-time with 31 fractional digits is a 400 on PUT, and rejects only its own record in a batch', async () => {
    const put = await env.put(newEmployeeId(), workerRecord({ hireDate: tooPrecise }));
    expect(put.status).toBe(400);
    expect(fieldsOf(put.body)).toEqual(['hireDate']);
    const good = newEmployeeId();
    const batch = await env.request('POST', '/v1/workers/batch', { records: [{ employeeId: newEmployeeId(), ...workerRecord({ hireDate: tooPrecise }) }, { employeeId: good, ...workerRecord() }] });
    expect(batch.status).toBe(202);
    expect(batch.body).toMatchObject({ accepted: 1, rejected: 1 });
    expect(batch.body.results[0]).toMatchObject({ status: 'rejected', errors: [{ path: 'records.0.hireDate' }] });
    expect(batch.body.results[1]).toMatchObject({ status: 'accepted', employeeId: good });
  });

  it('a NUL in a batch record’s employeeId rejects that record only, before any look-up', async () => {
    const good = newEmployeeId();
    const batch = await env.request('POST', '/v1/workers/batch', { records: [{ employeeId: 'E\u0000X', ...workerRecord() }, { employeeId: good, ...workerRecord() }] });
    expect(batch.status).toBe(202);
    expect(batch.body.results[0]).toEqual({ index: 0, status: 'rejected', errors: [{ path: 'records.0.employeeId', message: expect.any(String) }] });
    expect(batch.body.results[1]).toMatchObject({ status: 'accepted', employeeId: good });
  });

  it.each([
    ['/v1/identities?q=%00', 'q'],
    ['/v1/identities?department=%00', 'department'],
    ['/v1/identities?q=%E2%80%AE', 'q'],
    ['/v1/lifecycle-runs?employeeId=%00', 'employeeId'],
    ['/v1/lifecycle-runs/tasks?taskType=%00', 'taskType'],
    ['/v1/lifecycle-runs/%00', 'runId'],
    ['/v1/lifecycle-runs?from=0000-01-01T00:00:00Z', 'from'],
    ['/v1/lifecycle-runs/people?to=-271821-04-20T00:00:00Z', 'to'],
    [`/v1/lifecycle-runs?cursor=${cursor({ at: '-271821-04-20T00:00:00Z', id: 'x' })}`, 'cursor'],
    [`/v1/lifecycle-runs/tasks?cursor=${cursor({ at: '2026-01-01T00:00:00Z', id: '\u0000' })}`, 'cursor'],
    [`/v1/lifecycle-runs/people?cursor=${cursor({ after: '\u0000' })}`, 'cursor'],
    [`/v1/identities?cursor=${cursor({ after: '\u0000' })}`, 'cursor'],
    [`/v1/identities/E1/events?cursor=${cursor({ after: -1 })}`, 'cursor'],
  ])('GET %s is a 400 naming %s', async (path, field) => {
    const res = await env.request('GET', path);
    expect(res.status).toBe(400);
    expect(fieldsOf(res.body)).toEqual([field]);
  });

  it('DELETE with asOf 0000-01-01 is a 400, and an asOf more than a day ahead is refused as on PUT', async () => {
    const id = newEmployeeId();
    expect((await env.put(id, workerRecord())).status).toBe(202);
    const zero = await env.request('DELETE', `/v1/workers/${id}?asOf=0000-01-01T00:00:00Z`);
    expect(zero.status).toBe(400);
    expect(fieldsOf(zero.body)).toEqual(['asOf']);
    const future = await env.request('DELETE', `/v1/workers/${id}?asOf=2200-12-31T23:59:59Z`);
    expect(future.status).toBe(400);
    expect(future.body.error.details).toEqual([{ path: 'asOf', message: 'asOf is more than a day in the future' }]);
    expect(await env.db.select().from(hrInbox).where(and(eq(hrInbox.employeeId, id), eq(hrInbox.kind, 'withdraw')))).toEqual([]);
    expect((await env.request('DELETE', `/v1/workers/${id}?asOf=${new Date().toISOString()}`)).status).toBe(202);
  });

  it('a scope nested 20,000 parentheses deep, or "not " 50,000 times, is a 400 naming scope', async () => {
    const definition = (scope: string) => ({ id: `deep-${newEmployeeId().toLowerCase()}`, name: 'Deep', category: 'joiner', trigger: { type: 'on-demand' }, scope, tasks: [{ type: 'enable-account' }] });
    for (const scope of [`${'('.repeat(20_000)}department pr${')'.repeat(20_000)}`, `${'not '.repeat(50_000)}department pr`, `${'('.repeat(1000)}department pr${')'.repeat(1000)}`]) {
      const res = await env.request('POST', '/v1/lifecycle-workflows', definition(scope));
      expect(res.status).toBe(400);
      expect(fieldsOf(res.body)).toEqual(['scope']);
    }
  });

  it('%00 in a runId or taskId is a 400 on cancel and on the unauthenticated callback', async () => {
    const cancel = await env.request('POST', '/v1/lifecycle-runs/%00/cancel');
    expect(cancel.status).toBe(400);
    expect(fieldsOf(cancel.body)).toEqual(['runId']);
    for (const path of ['/v1/lifecycle-runs/%00/tasks/t1/resume', '/v1/lifecycle-runs/r1/tasks/%00/resume']) {
      const res = await env.app.request(path, { method: 'POST', body: '{}' });
      expect(res.status, path).toBe(400);
      expect(fieldsOf(await res.json())).toEqual([path.includes('/r1/') ? 'taskId' : 'runId']);
    }
  });

  it('an offset no date library can carry is refused at save time; the preview keeps answering', async () => {
    const res = await env.request('POST', '/v1/lifecycle-workflows', {
      id: 'far-offset',
      name: 'Far',
      category: 'joiner',
      trigger: { type: 'time', on: 'hireDate', offset: '-P9999999999D' },
      tasks: [{ type: 'enable-account' }],
    });
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual([{ path: 'trigger.offset', message: '"P9999999999D" is longer than 1,000 years' }]);
    const id = newEmployeeId();
    await seedIdentity(env.db, id);
    expect((await env.request('GET', `/v1/identities/${id}/lifecycle-preview`)).status).toBe(200);
  });

  it('names with bidirectional or other format characters are refused like control characters', async () => {
    for (const [field, value] of [['givenName', 'Ada\u202eecalevoL'], ['familyName', '\u2066Lovelace\u2069'], ['displayName', 'A\u200bda']] as const) {
      const res = await env.put(newEmployeeId(), workerRecord({ [field]: value }));
      expect(res.status).toBe(400);
      expect(res.body.error.details).toEqual([{ path: field, message: 'must not contain control, bidirectional or other format characters' }]);
    }
  });
});

describe('the unauthenticated extension callback', () => {
  const sign = async (body: string) => {
    const timestamp = String(Math.floor(Date.now() / 1000));
    return { 'x-tenure-timestamp': timestamp, 'x-tenure-signature': await signPayload(extensionSecret, timestamp, body), 'content-type': 'application/json' };
  };

  it('checks the path before anything else and never writes raw input into a log line', async () => {
    const { log, lines } = capturedLog();
    const app = appWith({ log });
    const forged = '/v1/lifecycle-runs/%00%0d%0a%5Bapi%5D%20FORGED-LINE%20admin%20logged%20in/tasks/t1/resume';
    const res = await app.request(forged, { method: 'POST', body: '{}' }, from('198.51.100.7'));
    expect(res.status).toBe(400);
    expect(fieldsOf(await res.json())).toEqual(['runId']);
    const notFound = await app.request('/v1/lifecycle-runs/lifecycle-x-E1-y/tasks/t1/resume', { method: 'POST', body: '{}' }, from('198.51.100.7'));
    expect(notFound.status).toBe(404);
    for (const line of lines) {
      expect(() => JSON.parse(line)).not.toThrow();
      expect(line).not.toMatch(/^\[api\]/);
    }
    expect(lines.join('\n')).not.toContain('FORGED-LINE');
  });

  it('refuses a body over 4 KiB without reading it, and checks the signature before parsing the body', async () => {
    const employeeId = newEmployeeId();
    await seedIdentity(env.db, employeeId);
    const { runId, taskId } = await seedWaitingExtensionRun(env.db, { employeeId, extension: 'itsm' });
    const path = `/v1/lifecycle-runs/${runId}/tasks/${taskId}/resume`;
    const huge = JSON.stringify({ outcome: 'completed', message: 'x'.repeat(8 * 1024 * 1024) });
    const declared = await env.app.request(path, { method: 'POST', headers: await sign(huge), body: huge }, from('198.51.100.8'));
    expect(declared.status).toBe(413);
    // Without a declared length the stream is cut at the limit.
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.enqueue(new Uint8Array(64 * 1024).fill(0x20));
      },
    });
    const streamed = await env.app.request(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: stream, duplex: 'half' } as RequestInit, from('198.51.100.8'));
    expect(streamed.status).toBe(413);
    const unsigned = await env.app.request(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{not json' }, from('198.51.100.8'));
    expect(unsigned.status).toBe(401);
    const signedGarbage = '{not json';
    const garbage = await env.app.request(path, { method: 'POST', headers: await sign(signedGarbage), body: signedGarbage }, from('198.51.100.8'));
    expect(garbage.status).toBe(400);
    expect(fieldsOf(await garbage.json())).toEqual(['(body)']);
    const wrongOutcome = JSON.stringify({ outcome: 'maybe' });
    const wrong = await env.app.request(path, { method: 'POST', headers: await sign(wrongOutcome), body: wrongOutcome }, from('198.51.100.8'));
    expect(fieldsOf(await wrong.json())).toEqual(['outcome']);
  });
});

describe('failed attempts are limited', () => {
  it('per client address: after 5 bad keys a 429 with Retry-After, the count in the trail; other addresses and known keys go on', async () => {
    const app = appWith({});
    const bad = { authorization: `Bearer tnr_000000000000_${'x'.repeat(43)}` };
    const good = { authorization: `Bearer ${env.key}` };
    expect((await app.request('/v1/identities', { headers: good }, from('203.0.113.9'))).status).toBe(200);
    const statuses = [];
    for (let i = 0; i < 7; i++) statuses.push((await app.request('/v1/identities', { headers: bad }, from('203.0.113.9'))).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429]);
    const limited = await app.request('/v1/identities', { headers: bad }, from('203.0.113.9'));
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(Number(limited.headers.get('retry-after'))).toBeLessThanOrEqual(300);
    expect(await limited.json()).toMatchObject({ error: { code: 'too_many_failures', message: expect.stringContaining('203.0.113.9') } });
    // The key this app already verified keeps working; another address is not held back.
    expect((await app.request('/v1/identities', { headers: good }, from('203.0.113.9'))).status).toBe(200);
    expect((await app.request('/v1/identities', { headers: bad }, from('203.0.113.10'))).status).toBe(401);
    // Another API process shares the count: it refuses the address too, even for a valid key it has not seen.
    expect((await appWith({}).request('/v1/identities', { headers: good }, from('203.0.113.9'))).status).toBe(429);
    const trail = await env.db.select().from(auditEvents).where(eq(auditEvents.kind, 'auth.rate-limited'));
    expect(trail.map((e) => e.details)).toContainEqual({ address: '203.0.113.9', failures: 5, windowSeconds: 300 });
  });

  it('per person for temporary access passes: a few wrong guesses lock the passes, then 429 with Retry-After', async () => {
    const employeeId = newEmployeeId();
    await seedIdentity(env.db, employeeId);
    await seedPass(env.db, employeeId, 'ABCD-EFGH-JKLM-NPQR');
    const verify = (pass: string) => env.request('POST', `/v1/identities/${employeeId}/tap/verify`, { pass });
    expect((await verify('ABCD-EFGH-JKLM-NPQR')).body).toMatchObject({ valid: true, oneTime: false });
    for (let i = 0; i < 3; i++) expect((await verify(`WRONG-${i}`)).body).toEqual({ valid: false });
    const limited = await env.app.request(`/v1/identities/${employeeId}/tap/verify`, {
      method: 'POST',
      headers: { authorization: `Bearer ${env.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ pass: 'ABCD-EFGH-JKLM-NPQR' }),
    });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await limited.json()).toMatchObject({ error: { message: expect.stringContaining(employeeId) } });
    const [pass] = await env.db.select().from(temporaryAccessPasses).where(eq(temporaryAccessPasses.employeeId, employeeId));
    expect(pass!.lockedAt).toBeInstanceOf(Date);
    const trail = await env.db.select().from(auditEvents).where(eq(auditEvents.employeeId, employeeId));
    expect(trail.map((e) => [e.kind, e.details])).toEqual([
      ['access-pass.accepted', {}],
      ['access-pass.refused', { failures: 1, limit: 3, windowSeconds: 900 }],
      ['access-pass.refused', { failures: 2, limit: 3, windowSeconds: 900 }],
      ['access-pass.refused', { failures: 3, limit: 3, windowSeconds: 900 }],
      ['access-pass.locked', { failures: 3, limit: 3, windowSeconds: 900, locked: 1 }],
    ]);
  });

  it('tap/verify for someone who does not exist is a 404 and writes nothing; their events are a 404 too', async () => {
    const ghost = newEmployeeId();
    const res = await env.request('POST', `/v1/identities/${ghost}/tap/verify`, { pass: 'ABCD-EFGH-JKLM-NPQR' });
    expect(res.status).toBe(404);
    expect(res.body.error.message).toContain(ghost);
    expect(await env.db.select().from(auditEvents).where(eq(auditEvents.employeeId, ghost))).toEqual([]);
    expect((await env.request('GET', `/v1/identities/${ghost}/events`)).status).toBe(404);
  });
});

describe('responses', () => {
  it('carry nosniff and a strict Content-Security-Policy; /docs gets one that lets it load its own files', async () => {
    const json = await env.app.request('/v1/identities', { headers: { authorization: `Bearer ${env.key}` } });
    expect(json.headers.get('x-content-type-options')).toBe('nosniff');
    expect(json.headers.get('content-security-policy')).toBe("default-src 'none'; frame-ancestors 'none'");
    expect(json.headers.get('x-frame-options')).toBe('DENY');
    const refused = await env.app.request('/v1/identities');
    expect(refused.status).toBe(401);
    expect(refused.headers.get('x-content-type-options')).toBe('nosniff');
    const docs = await env.app.request('/docs');
    const csp = docs.headers.get('content-security-policy')!;
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).not.toContain("'unsafe-eval'");
    // No inline script: the page loads Swagger UI and its start-up from here.
    const page = await docs.text();
    expect(page).not.toMatch(/<script>[^<]/);
    const scripts = [...page.matchAll(/<script src="([^"]+)"/g)].map((m) => m[1]!);
    expect(scripts).toEqual(['/docs/assets/swagger-ui-bundle.js', '/docs/assets/reference.js']);
    for (const script of scripts) expect((await env.app.request(script)).status).toBe(200);
    expect(await (await env.app.request('/docs/assets/reference.js')).text()).toContain("url: '/openapi.json'");
  });
});

describe('an unreachable Temporal', () => {
  it('is one 503 with Retry-After from provision now, resume, cancel and on-demand runs', async () => {
    const dead = Connection.lazy({ address: '127.0.0.1:1' });
    const app = appWith({
      temporal: { client: new Client({ connection: dead }), taskQueue: 'nowhere', ping: () => dead.withDeadline(Date.now() + 500, () => dead.healthService.check({})) },
      deliveryTimeoutMs: 500,
    });
    const employeeId = newEmployeeId();
    await seedIdentity(env.db, employeeId);
    const { runId, taskId } = await seedWaitingExtensionRun(env.db, { employeeId, extension: 'itsm' });
    const demand = await env.request('POST', '/v1/lifecycle-workflows', { id: `demand-${employeeId.toLowerCase()}`, name: 'On demand', category: 'joiner', trigger: { type: 'on-demand' }, tasks: [{ type: 'enable-account' }] });
    expect(demand.status).toBe(201);
    const auth = { authorization: `Bearer ${env.key}`, 'content-type': 'application/json' };
    const body = JSON.stringify({ outcome: 'completed' });
    const timestamp = String(Math.floor(Date.now() / 1000));
    const signed = { 'content-type': 'application/json', 'x-tenure-timestamp': timestamp, 'x-tenure-signature': await signPayload(extensionSecret, timestamp, body) };
    const calls: [string, RequestInit][] = [
      [`/v1/identities/${employeeId}/provision`, { method: 'POST', headers: auth }],
      [`/v1/lifecycle-runs/${runId}/tasks/${taskId}/resume`, { method: 'POST', headers: signed, body }],
      [`/v1/lifecycle-runs/${runId}/cancel`, { method: 'POST', headers: auth }],
      [`/v1/lifecycle-workflows/${demand.body.id}/run`, { method: 'POST', headers: auth, body: JSON.stringify({ employeeIds: [employeeId] }) }],
    ];
    for (const [path, init] of calls) {
      const started = Date.now();
      const res = await app.request(path, init);
      expect(res.status, path).toBe(503);
      expect(res.headers.get('retry-after'), path).toBe('5');
      expect(await res.json(), path).toEqual({ error: { code: 'unavailable', message: 'Temporal cannot be reached; try again in 5 s' } });
      expect(Date.now() - started, path).toBeLessThan(5000);
    }
  });
});
