import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { and, count, eq, inArray } from 'drizzle-orm';
import { Attribute, Change, Client as LdapClient } from 'ldapts';
import { auditEvents } from '../db/schema';
import { startLocalStack } from '../scripts/local-stack';
import { reconcileScheduleId } from '../worker/reconcile-schedule';
import { benchIds, postHires, until, waitUntilActive } from './hire-load';

// The drift sweep at scale: N people hired, every LDAP entry's title then edited by hand, the
// reconciliation schedule triggered, and the time until every entry is put right printed.
//   npm run bench:sweep -- --n 1000 [--workers 1]

const { values } = parseArgs({
  options: {
    n: { type: 'string', default: '1000' },
    workers: { type: 'string', default: '1' },
  },
});
const n = Number(values.n);
const workerCount = Number(values.workers);

const stack = await startLocalStack({ workers: workerCount });
const { api, key, db, slapd } = stack;
const ids = benchIds(n);
await postHires({ api, key, ids, concurrency: 32 });
await waitUntilActive(db, ids);

const ldap = new LdapClient({ url: slapd.url });
await ldap.bind(slapd.adminDn, slapd.password);
const peopleDn = `ou=people,${slapd.suffix}`;
const tampered = async () => (await ldap.search(peopleDn, { filter: '(&(employeeNumber=B*)(title=Edited by hand))', attributes: ['1.1'], paged: { pageSize: 1000 } })).searchEntries.length;
const { searchEntries: entries } = await ldap.search(peopleDn, { filter: '(employeeNumber=B*)', attributes: ['1.1'], paged: { pageSize: 1000 } });
const queue = entries.map((e) => e.dn);
await Promise.all(
  Array.from({ length: 16 }, async () => {
    for (let dn = queue.shift(); dn !== undefined; dn = queue.shift()) {
      await ldap.modify(dn, new Change({ operation: 'replace', modification: new Attribute({ type: 'title', values: ['Edited by hand'] }) }));
    }
  }),
);
const drifted = await tampered();

const connection = await Connection.connect({ address: stack.temporalAddress });
const temporal = new Client({ connection });
const started = Date.now();
await temporal.schedule.getHandle(reconcileScheduleId('tenure-lifecycle')).trigger();
await until(async () => (await tampered()) === 0, 30 * 60_000, 'every entry put right');
const finished = Date.now();
const [row] = await db
  .select({ corrections: count() })
  .from(auditEvents)
  .where(and(eq(auditEvents.kind, 'account.updated'), eq(auditEvents.actor, 'tenure:reconcile'), inArray(auditEvents.employeeId, ids)));

console.log(`
people                        ${n} (${workerCount} worker process${workerCount > 1 ? 'es' : ''})
entries edited by hand        ${drifted}
sweep → all put right         ${((finished - started) / 1000).toFixed(1)} s (${(n / ((finished - started) / 1000)).toFixed(1)} people/s)
corrections in the trail      ${row?.corrections ?? 0}
`);

await ldap.unbind();
await connection.close();
await stack.stop();
