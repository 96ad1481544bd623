import { and, eq, inArray, isNull } from 'drizzle-orm';
import type { Db } from '../db/client';
import { accounts, identities } from '../db/schema';

// Immediate hires posted over HTTP, and the wait until each is active with an enabled account:
// the load every benchmark starts from.

export async function until(probe: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

export const benchIds = (n: number) => Array.from({ length: n }, (_, i) => `B${String(i).padStart(6, '0')}`);

const givenNames = ['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Donald', 'Frances', 'John', 'Margaret', 'Tim'];
const familyNames = ['Lovelace', 'Hopper', 'Turing', 'Dijkstra', 'Liskov', 'Knuth', 'Allen', 'Smith', 'Hamilton', 'Berners-Lee'];

/** Posts one immediate hire per id; answers when each was sent (ms). `rate` caps records per second. */
export async function postHires(options: { api: string; key: string; ids: string[]; concurrency: number; rate?: number }): Promise<Map<string, number>> {
  const { api, key, ids, concurrency, rate } = options;
  const sentAt = new Map<string, number>();
  let next = 0;
  const started = Date.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < ids.length; i = next++) {
        const id = ids[i]!;
        if (rate) {
          const due = started + (i * 1000) / rate;
          if (due > Date.now()) await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
        }
        const body = {
          asOf: new Date().toISOString(),
          givenName: givenNames[i % givenNames.length],
          familyName: familyNames[Math.floor(i / givenNames.length) % familyNames.length],
          employeeType: 'employee',
          department: `Dept ${i % 12}`,
          jobTitle: 'Engineer',
          hireDate: '2026-01-05',
        };
        sentAt.set(id, Date.now());
        const res = await fetch(`${api}/v1/workers/${id}`, { method: 'PUT', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
        if (res.status !== 202) throw new Error(`${id}: ${res.status} ${await res.text()}`);
      }
    }),
  );
  return sentAt;
}

/** Waits until every id is active with an enabled account; answers when each account was enabled (ms). */
export async function waitUntilActive(db: Db, ids: string[]): Promise<Map<string, number>> {
  const enabledAt = new Map<string, number>();
  await until(async () => {
    const rows = await db
      .select({ employeeId: accounts.employeeId, updatedAt: accounts.updatedAt })
      .from(accounts)
      .innerJoin(identities, eq(identities.employeeId, accounts.employeeId))
      .where(and(eq(accounts.enabled, true), isNull(accounts.deletedAt), eq(identities.state, 'active'), inArray(accounts.employeeId, ids)));
    for (const row of rows) if (!enabledAt.has(row.employeeId)) enabledAt.set(row.employeeId, row.updatedAt.getTime());
    return enabledAt.size >= ids.length;
  }, 30 * 60_000, 'all hires active');
  return enabledAt;
}
