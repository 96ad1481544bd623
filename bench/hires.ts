import { parseArgs } from 'node:util';
import { and, eq, inArray } from 'drizzle-orm';
import { Client as LdapClient } from 'ldapts';
import { identities } from '../db/schema';
import { startLocalStack } from '../scripts/local-stack';
import { benchIds, postHires, waitUntilActive } from './hire-load';

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

const ids = benchIds(n);
const started = Date.now();
const sentAt = await postHires({ api, key, ids, concurrency, rate });
const accepted = Date.now();
const enabledAt = await waitUntilActive(db, ids);
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
