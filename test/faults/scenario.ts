import { expect } from 'vitest';
import { isComplete, snapshot, tally, type LostDoubled, type Snapshot, type Tally } from './counts';
import type { FaultStack } from './harness';
import type { Attempt, Cohort } from './hr-client';

// The shape every scenario shares: after the fault, count until each person is complete (or a
// bound passes), let stragglers land, then print one block of counts and assert 0 lost, 0 doubled.

export interface Recovery {
  /** When the fault ended (the process back, the port answering). */
  faultEndedAt: number;
  /** From the fault's end to the last person complete; undefined when not everyone got there. */
  recoveredMs?: number;
  /** What the time is counted from, in the report. */
  since: string;
  waitedMs: number;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const lostDoubled = (n: LostDoubled) => `lost ${n.lost}, doubled ${n.doubled}${n.examples.length ? ` [${n.examples.join(', ')}]` : ''}`;

/** Polls the real systems until every person in the cohort is complete, or `timeoutMs` after the fault's end. */
export async function awaitRecovery(stack: FaultStack, cohort: Cohort, options: { faultEndedAt: number; timeoutMs: number; since?: string }): Promise<{ recovery: Recovery; final: Snapshot; tally: Tally }> {
  const completedAt = new Map<string, number>();
  const deadline = options.faultEndedAt + options.timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const snap = await snapshot(stack, cohort);
      for (const person of snap.people.values()) if (!completedAt.has(person.employeeId) && isComplete(person)) completedAt.set(person.employeeId, snap.at);
      lastError = undefined;
    } catch (error) {
      // A directory or database still coming back: count again on the next round.
      lastError = error;
    }
    if (completedAt.size === cohort.ids.length || Date.now() > deadline) break;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  if (lastError) stack.log(`counting failed at the deadline: ${(lastError as Error).message}`);
  const everyone = completedAt.size === cohort.ids.length;
  const last = Math.max(...completedAt.values());
  const recovery: Recovery = {
    faultEndedAt: options.faultEndedAt,
    recoveredMs: everyone ? Math.max(0, last - options.faultEndedAt) : undefined,
    waitedMs: Date.now() - options.faultEndedAt,
    since: options.since ?? "the fault's end",
  };
  // Whatever is still in flight (runs, undelivered records, a late duplicate) lands before the final count.
  const settleUntil = Date.now() + (everyone ? 20_000 : 5_000);
  let final = await snapshot(stack, cohort);
  while ((final.runsUnfinished > 0 || final.inboxUndelivered > 0) && Date.now() < settleUntil) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    final = await snapshot(stack, cohort);
  }
  await new Promise((resolve) => setTimeout(resolve, 5000));
  final = await snapshot(stack, cohort);
  return { recovery, final, tally: tally(final, cohort) };
}

/** Status → count of HR requests, and the slowest answer. */
export function answers(attempts: Attempt[]): { byStatus: Record<string, number>; maxMs: number; over: (ms: number) => number } {
  const byStatus: Record<string, number> = {};
  for (const a of attempts) byStatus[String(a.status)] = (byStatus[String(a.status)] ?? 0) + 1;
  return { byStatus, maxMs: Math.max(0, ...attempts.map((a) => a.ms)), over: (ms) => attempts.filter((a) => a.ms > ms).length };
}

const list = (record: Record<string, number>) =>
  Object.entries(record)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ') || 'none';

export function formatReport(title: string, stack: FaultStack, t: Tally, recovery: Recovery, extra: string[] = []): string {
  const lines = [
    `people                ${t.people} (${t.movers} movers), ${t.complete} complete`,
    `ldap entries          ${lostDoubled(t.ldap)}, enabled ${t.ldap.enabled}, as in HR ${t.ldap.applied}, mover changes ${t.ldap.moversApplied}/${t.movers}`,
    ...Object.entries(t.targets).map(
      ([name, n]) => `${`${name} accounts`.padEnd(22)}${lostDoubled(n)}, as in HR ${n.applied}, mover changes ${n.moversApplied}/${t.movers}`,
    ),
    ...Object.entries(t.created).map(([name, n]) => `${`account.created ${name}`.padEnd(22)}${lostDoubled(n)}`),
    `welcome mails         ${lostDoubled(t.welcome)}, resent ${t.welcome.resent}`,
    `all-staff members     ${t.allStaff.members}/${t.people}`,
    `rule group            right ${t.ruleGroup.right}/${t.people}`,
    `lifecycle runs        ${list(t.runs)}${t.runsDoubled ? `; ${t.runsDoubled} people with more than one` : ''}`,
    ...Object.entries(t.runFailures).map(([reason, n]) => `failed runs           ${n} × ${reason}`),
    `failed workflows      ${t.failedWorkflows.count}${t.failedWorkflows.examples.length ? ` (${t.failedWorkflows.examples.join('; ')})` : ''}`,
    `process crashes       ${stack.crashes.length}`,
    ...stack.crashes.map((c) => `  ${c.name} exited ${c.code ?? c.signal}: ${c.output.trim().split('\n').slice(-3).join(' | ').slice(0, 400)}`),
    ...extra,
    `recovery              ${recovery.recoveredMs === undefined ? `NOT RECOVERED: ${t.complete}/${t.people} complete ${seconds(recovery.waitedMs)} after ${recovery.since}` : `${seconds(recovery.recoveredMs)} from ${recovery.since} to the last person complete`}`,
  ];
  return [`\n══ ${stack.label}: ${title}`, ...lines.map((l) => `   ${l}`), ''].join('\n');
}

/**
 * Nothing lost, nothing done twice, no workflow failed, no process died by itself. A worker
 * killed with SIGKILL may resend the one message it had just sent (same Message-ID): at most one
 * per kill, and none where no worker was killed.
 */
export function expectNothingLostOrDoubled(t: Tally, stack: FaultStack, options: { workersKilled?: number } = {}): void {
  expect.soft(t.ldap.lost, 'people without an LDAP entry').toBe(0);
  expect.soft(t.ldap.doubled, 'people with two LDAP entries').toBe(0);
  expect.soft(t.ldap.applied, 'LDAP entries enabled and showing the HR record').toBe(t.people);
  expect.soft(t.ldap.moversApplied, 'mover changes in LDAP').toBe(t.movers);
  for (const [name, n] of Object.entries(t.created)) {
    expect.soft(n.lost, `people without an account.created row on ${name}`).toBe(0);
    expect.soft(n.doubled, `people with two account.created rows on ${name}`).toBe(0);
  }
  for (const [name, n] of Object.entries(t.targets)) {
    expect.soft(n.lost, `people without a ${name} account`).toBe(0);
    expect.soft(n.doubled, `people with two ${name} accounts`).toBe(0);
    expect.soft(n.applied, `${name} accounts showing the HR record`).toBe(t.people);
  }
  expect.soft(t.welcome.lost, 'people without a welcome mail').toBe(0);
  expect.soft(t.welcome.doubled, 'people with two different welcome mails').toBe(0);
  expect.soft(t.welcome.resent, 'welcome mails sent again with the same Message-ID').toBeLessThanOrEqual(options.workersKilled ?? 0);
  expect.soft(t.allStaff.missing, 'people missing from all-staff').toBe(0);
  expect.soft(t.ruleGroup.wrong, 'people in the wrong rule group').toBe(0);
  expect.soft(t.runs.completed ?? 0, 'completed onboarding runs').toBe(t.people);
  expect.soft(t.runsDoubled, 'people with two onboarding runs').toBe(0);
  expect.soft(t.failedWorkflows.count, `failed workflows (${t.failedWorkflows.examples.join('; ')})`).toBe(0);
  expect.soft(stack.crashes.map((c) => `${c.name} exited with ${c.code ?? c.signal}`), 'processes that died by themselves').toEqual([]);
}

export function expectRecoveredWithin(recovery: Recovery, ms: number): void {
  expect.soft(recovery.recoveredMs, 'everyone complete after the fault').toBeDefined();
  if (recovery.recoveredMs !== undefined) expect.soft(recovery.recoveredMs, `recovery within ${seconds(ms)}`).toBeLessThanOrEqual(ms);
}

/** Blocks until the cohort is complete (the scenario's starting point), failing loudly if it never is. */
export async function awaitBaseline(stack: FaultStack, cohort: Cohort, timeoutMs = 180_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const snap = await snapshot(stack, cohort);
    const done = [...snap.people.values()].filter(isComplete).length;
    if (done === cohort.ids.length) return;
    if (Date.now() > deadline) throw new Error(`baseline: only ${done}/${cohort.ids.length} people complete before any fault\n${stack.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

/** What `GET /v1/targets` says of each target, one line each, for the report. */
export async function targetLines(stack: FaultStack): Promise<string[]> {
  try {
    const res = await fetch(`${stack.apis()[0]}/v1/targets`, { headers: { authorization: `Bearer ${stack.key}` }, signal: AbortSignal.timeout(10_000) });
    const { items } = (await res.json()) as { items: Record<string, unknown>[] };
    return items.map(({ name, type: _type, ...rest }) => `${`target ${String(name)}`.padEnd(22)}${JSON.stringify(rest)}`);
  } catch (error) {
    return [`targets               GET /v1/targets failed: ${(error as Error).message}`];
  }
}

/** What `GET /v1/identities/{id}` tells about one person, for the report. */
export async function identityLine(stack: FaultStack, employeeId: string, when: string): Promise<string> {
  try {
    const res = await fetch(`${stack.apis()[0]}/v1/identities/${employeeId}`, { headers: { authorization: `Bearer ${stack.key}` }, signal: AbortSignal.timeout(10_000) });
    const body = (await res.json()) as Record<string, unknown>;
    const { state, lastError, targetErrors, accounts, waiting, waitingFor } = body;
    return `${`${employeeId} ${when}`.padEnd(22)}${JSON.stringify({ state, lastError, targetErrors, accounts: Array.isArray(accounts) ? accounts.length : accounts, waiting: waiting ?? waitingFor })}`;
  } catch (error) {
    return `${employeeId.padEnd(22)}GET /v1/identities failed: ${(error as Error).message}`;
  }
}
