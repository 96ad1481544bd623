import { afterAll, beforeAll, expect, it } from 'vitest';
import type { WorkerRecordInput } from '../../domain/worker-record';
import { hrInbox } from '../../db/schema';
import { startFaultStack, type FaultStack } from './harness';
import { Cohort, HrClient } from './hr-client';
import { answers, awaitRecovery, expectNothingLostOrDoubled, formatReport } from './scenario';

// Scenario 3: PostgreSQL stopped for 30 s (pg_ctl stop -m fast, then started again) under a
// steady stream of 5 PUT/s from an HR connector that retries what it is refused. Every 202 is
// applied, nothing is answered 500, every answer comes within 5 s, and no stored record is
// answered with anything but 202.

const rate = 5;
const beforeMs = 10_000;
const outageMs = 30_000;
const afterMs = 10_000;

let stack: FaultStack;
beforeAll(async () => {
  stack = await startFaultStack({ label: 'S3' });
});
afterAll(async () => stack?.stop());

it('PostgreSQL stopped 30 s under a steady PUT stream: every 202 applied, no 500, every answer within 5 s', async () => {
  const cohort = new Cohort('S3');
  // Requests give up after 40 s: an answer that slow is reported, not waited for.
  const hr = new HrClient(stack.apis, stack.key, cohort, 40_000);
  const accepted: string[] = [];
  const started = Date.now();
  const total = ((beforeMs + outageMs + afterMs) / 1000) * rate;
  const readiness: { status: number | string; ms: number; body: string }[] = [];

  // Every fifth record moves someone already accepted; the rest are new hires.
  const nextRecord = (i: number): [string, WorkerRecordInput] => {
    const mover = i % 5 === 4 ? accepted.find((id) => !cohort.movers.has(id)) : undefined;
    return mover ? cohort.move(mover) : cohort.hire();
  };
  const stream = Promise.all(
    Array.from({ length: total }, async (_, i) => {
      const due = started + (i * 1000) / rate;
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, due - Date.now())));
      const [id, record] = nextRecord(i);
      if (await hr.deliver(id, record, started + 5 * 60_000)) accepted.push(id);
    }),
  );

  await new Promise((resolve) => setTimeout(resolve, beforeMs));
  const faultStartedAt = Date.now();
  stack.postgres.stop();
  stack.log('PostgreSQL stopped (pg_ctl stop -m fast)');
  await new Promise((resolve) => setTimeout(resolve, outageMs / 2));
  for (const api of stack.apis()) {
    const asked = Date.now();
    const res = await fetch(`${api}/readyz`, { signal: AbortSignal.timeout(20_000) }).catch((error: Error) => error);
    readiness.push(res instanceof Error ? { status: res.message, ms: Date.now() - asked, body: '' } : { status: res.status, ms: Date.now() - asked, body: await res.text() });
  }
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, faultStartedAt + outageMs - Date.now())));
  await stack.postgres.start();
  const faultEndedAt = Date.now();
  stack.log('PostgreSQL started again');
  await stream;

  const { recovery, tally } = await awaitRecovery(stack, cohort, { faultEndedAt, timeoutMs: 120_000 });

  // Every inbox row a 202 named was applied (or was a harmless repeat); every stored row was answered 202.
  const acceptedIds = hr.attempts.flatMap((a) => (a.inboxId === undefined ? [] : [a.inboxId]));
  const rows = await stack.db.select({ id: hrInbox.id, employeeId: hrInbox.employeeId, outcome: hrInbox.outcome }).from(hrInbox);
  const ours = rows.filter((r) => r.employeeId.startsWith(`${cohort.prefix}-`));
  const byId = new Map(ours.map((r) => [r.id, r]));
  const notApplied = acceptedIds.filter((id) => !['applied', 'duplicate'].includes(byId.get(id)?.outcome ?? ''));
  const hidden = ours.filter((r) => !acceptedIds.includes(r.id));

  const { byStatus, maxMs, over } = answers(hr.attempts);
  const refused = hr.attempts.filter((a) => a.status === 503);
  const serverErrors = hr.attempts.filter((a) => typeof a.status === 'number' && a.status >= 500 && a.status !== 503);
  const noAnswer = hr.attempts.filter((a) => a.status === 'no answer');
  const during = hr.attempts.filter((a) => a.at >= faultStartedAt && a.at <= faultEndedAt);
  console.log(
    formatReport('PostgreSQL stopped 30 s under 5 PUT/s', stack, tally, recovery, [
      `fault                 ${((faultEndedAt - faultStartedAt) / 1000).toFixed(1)} s`,
      `HR requests           ${hr.attempts.length} (${during.length} during the outage): ${Object.entries(byStatus).map(([s, n]) => `${n} × ${s}`).join(', ')}`,
      `slowest answer        ${(maxMs / 1000).toFixed(1)} s; ${over(5000)} took over 5 s`,
      `503 with Retry-After  ${refused.filter((a) => a.retryAfter).length}/${refused.length}`,
      `202s applied          ${acceptedIds.length - notApplied.length}/${acceptedIds.length}`,
      `stored, answered ≠202 ${hidden.length}${hidden.length ? ` (applied: ${hidden.filter((r) => r.outcome === 'applied').length})` : ''}`,
      ...readiness.map((r) => `/readyz mid-outage    ${r.status} in ${r.ms} ms ${r.body}`),
      ...serverErrors.slice(0, 3).map((a) => `a ${a.status}             ${a.employeeId}: ${a.error}`),
    ]),
  );

  expectNothingLostOrDoubled(tally, stack);
  expect.soft(serverErrors.length, `answers 500 (or another 5xx but 503), e.g. ${serverErrors.slice(0, 3).map((a) => a.employeeId).join(', ')}`).toBe(0);
  expect.soft(noAnswer.length, 'requests without an answer within 40 s').toBe(0);
  expect.soft(over(5000), 'answers slower than 5 s').toBe(0);
  expect.soft(refused.filter((a) => !a.retryAfter).length, '503 answers without Retry-After').toBe(0);
  expect.soft(notApplied.length, `inbox rows answered 202 but not applied (${notApplied.slice(0, 3).join(', ')})`).toBe(0);
  expect.soft(hidden.length, `records stored but answered other than 202 (${hidden.slice(0, 3).map((r) => r.employeeId).join(', ')})`).toBe(0);
  for (const r of readiness) expect.soft(r.status, '/readyz while PostgreSQL is stopped').toBe(503);
});
