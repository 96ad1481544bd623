import { parseArgs } from 'node:util';
import { and, eq, inArray, isNull } from 'drizzle-orm';
import { Client as LdapClient } from 'ldapts';
import { accounts, identities } from '../db/schema';
import { startLocalStack } from '../scripts/local-stack';

// Posts N immediate hires to a real stack (Temporal dev server, slapd, PostgreSQL, API and
// worker processes) and prints how fast they became active with an enabled LDAP entry.
//   npm run bench:hires -- --n 1000 [--concurrency 32] [--workers 1] [--rate 10] [--profile DIR]

const { values } = parseArgs({
  options: {
    n: { type: 'string', default: '1000' },
    concurrency: { type: 'string', default: '32' },
    workers: { type: 'string', default: '1' },
    /** Post at most this many records per second (default: as fast as the API answers). */
    rate: { type: 'string' },
    /** Write V8 CPU profiles of the worker processes into this directory. */
    profile: { type: 'string' },
  },
});
const n = Number(values.n);
const concurrency = Number(values.concurrency);
const workerCount = Number(values.workers);
const rate = values.rate ? Number(values.rate) : undefined;

const nodeArgs = values.profile ? ['--cpu-prof', `--cpu-prof-dir=${values.profile}`] : [];
const stack = await startLocalStack({ workers: workerCount, workerNodeArgs: nodeArgs });
const { api, key, db, slapd } = stack;

async function until(probe: () => Promise<boolean>, timeoutMs: number, what: string) {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
const ids = Array.from({ length: n }, (_, i) => `B${String(i).padStart(6, '0')}`);
const sentAt = new Map<string, number>();
const givenNames = ['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Donald', 'Frances', 'John', 'Margaret', 'Tim'];
const familyNames = ['Lovelace', 'Hopper', 'Turing', 'Dijkstra', 'Liskov', 'Knuth', 'Allen', 'Smith', 'Hamilton', 'Berners-Lee'];
let next = 0;
const started = Date.now();
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    for (let i = next++; i < n; i = next++) {
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
        hireDate: '2026-01-05',
      };
      sentAt.set(id, Date.now());
      const res = await fetch(`${api}/v1/workers/${id}`, { method: 'PUT', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      if (res.status !== 202) throw new Error(`${id}: ${res.status} ${await res.text()}`);
    }
  }),
);
const accepted = Date.now();

const enabledAt = new Map<string, number>();
await until(async () => {
  const rows = await db
    .select({ employeeId: accounts.employeeId, updatedAt: accounts.updatedAt })
    .from(accounts)
    .innerJoin(identities, eq(identities.employeeId, accounts.employeeId))
    .where(and(eq(accounts.enabled, true), isNull(accounts.deletedAt), eq(identities.state, 'active'), inArray(accounts.employeeId, ids)));
  for (const row of rows) if (!enabledAt.has(row.employeeId)) enabledAt.set(row.employeeId, row.updatedAt.getTime());
  return enabledAt.size >= n;
}, 30 * 60_000, 'all hires active');
const finished = Math.max(...enabledAt.values());

// Every hire must have its entry, enabled, in the directory.
const ldap = new LdapClient({ url: slapd.url });
await ldap.bind(slapd.adminDn, slapd.password);
const { searchEntries } = await ldap.search(`ou=people,${slapd.suffix}`, { filter: '(employeeNumber=B*)', attributes: ['employeeNumber', 'pwdAccountLockedTime'] });
await ldap.unbind();
const enabledEntries = searchEntries.filter((e) => !e.pwdAccountLockedTime || (Array.isArray(e.pwdAccountLockedTime) && e.pwdAccountLockedTime.length === 0)).length;
const identityCount = (await db.select({ id: identities.employeeId }).from(identities).where(and(inArray(identities.employeeId, ids), eq(identities.state, 'active')))).length;

const latencies = ids.map((id) => enabledAt.get(id)! - sentAt.get(id)!).sort((a, b) => a - b);
const percentile = (p: number) => latencies[Math.min(latencies.length - 1, Math.ceil((p / 100) * latencies.length) - 1)]!;
console.log(`
hires                         ${n} (concurrency ${concurrency}${rate ? `, offered at ${rate}/s` : ''}, ${workerCount} worker process${workerCount > 1 ? 'es' : ''})
accepted by the API           ${(n / ((accepted - started) / 1000)).toFixed(1)} records/s
became active with an entry   ${(n / ((finished - started) / 1000)).toFixed(1)} hires/s (${((finished - started) / 1000).toFixed(1)} s in all)
request → enabled account     p50 ${percentile(50)} ms, p90 ${percentile(90)} ms, p99 ${percentile(99)} ms, max ${latencies[latencies.length - 1]} ms
check                         ${identityCount} identities active, ${searchEntries.length} LDAP entries, ${enabledEntries} enabled
`);

await stack.stop();
