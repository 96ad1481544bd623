import { parseArgs } from 'node:util';
import { insertAssignment, saveCatalog, savePackage } from '../db/queries/access';
import { validatePackage } from '../domain/access-packages';
import { startLocalStack } from '../scripts/local-stack';
import { benchIds, postHires, until, waitUntilActive } from './hire-load';

// The administration side of access packages at scale: N people hired, 12 packages by rule and
// an incompatible pair held by some; then the dry run of a change for everyone, the conflict
// listing, and a rollout at its pace while a live change goes through.
//   npm run bench:access-admin -- --n 1000 [--rate 50]

const { values } = parseArgs({ options: { n: { type: 'string', default: '1000' }, rate: { type: 'string', default: '50' } } });
const n = Number(values.n);
const rate = Number(values.rate);

const stack = await startLocalStack({ env: { TENURE_ACCESS_ROLLOUT_PER_SECOND: String(rate) } });
const { api, key, db } = stack;
const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
const call = async (method: string, path: string, body?: unknown) => {
  const res = await fetch(`${api}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const json = (await res.json()) as any;
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
};
const timed = async <T>(work: () => Promise<T>): Promise<[T, number]> => {
  const started = performance.now();
  const result = await work();
  return [result, performance.now() - started];
};

try {
  const ids = benchIds(n);
  await postHires({ api, key, ids, concurrency: 32 });
  await waitUntilActive(db, ids);

  await saveCatalog(db, { id: 'bench', name: 'Bench', owners: [] }, 'bench');
  const definition = (id: string, rest: Record<string, unknown>) => ({ id, catalog: 'bench', name: id, resources: [{ target: 'ldap', group: `cn=${id},ou=groups,${stack.slapd.suffix}` }], ...rest });
  const store = async (input: Record<string, unknown>) => {
    const result = validatePackage(input, { groupTargets: ['ldap'], extensions: [] });
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    await savePackage(db, result.accessPackage, { source: 'bench', actor: 'bench' });
  };
  for (let d = 0; d < 12; d++) await store(definition(`dept-${d}`, { policies: [{ id: 'dept', type: 'auto', rule: `department eq 'Dept ${d}'` }] }));
  await store(definition('pay', { policies: [{ id: 'ask', type: 'request' }] }));
  await store(definition('approve', { policies: [{ id: 'ask', type: 'request' }] }));
  // Everyone holds their department's package; one in ten holds both halves of the pair.
  for (const [i, id] of ids.entries()) {
    await insertAssignment(db, { id: `${id}-dept`, employeeId: id, packageId: `dept-${i % 12}`, source: 'auto', policyId: 'dept', grantedBy: 'bench', status: 'active', startsAt: new Date() });
    if (i % 10 === 0) {
      for (const p of ['pay', 'approve']) await insertAssignment(db, { id: `${id}-${p}`, employeeId: id, packageId: p, source: 'admin', grantedBy: 'bench', status: 'active', startsAt: new Date() });
    }
  }

  const widened = definition('dept-0', { policies: [{ id: 'dept', type: 'auto', rule: "department in ('Dept 0', 'Dept 1')" }] });
  const [dryRun, dryRunMs] = await timed(() => call('PUT', '/v1/access-packages/dept-0?dryRun=true&limit=10', widened));
  const [sod, sodMs] = await timed(() => call('PUT', '/v1/access-packages/pay?dryRun=true&limit=10', definition('pay', { policies: [{ id: 'ask', type: 'request' }], incompatibleWith: ['approve'] })));
  await call('PUT', '/v1/access-packages/pay', definition('pay', { policies: [{ id: 'ask', type: 'request' }], incompatibleWith: ['approve'] }));
  let conflicts = 0;
  const [, conflictsMs] = await timed(async () => {
    for (let after: string | null = ''; after !== null; ) {
      const page: { items: unknown[]; next: string | null } = await call('GET', `/v1/access-packages/pay/conflicts?limit=1000${after ? `&after=${after}` : ''}`);
      conflicts += page.items.length;
      after = page.next;
    }
  });

  const saved = await call('PUT', '/v1/access-packages/dept-0', widened);
  const rolloutStarted = performance.now();
  // A live change during the rollout: a mover's record, until the new department is on record.
  const mover = ids[ids.length - 1]!;
  const [, liveMs] = await timed(async () => {
    await call('PUT', `/v1/workers/${mover}`, { asOf: new Date().toISOString(), givenName: 'Live', familyName: 'Change', employeeType: 'employee', department: 'Moved', jobTitle: 'Engineer', hireDate: '2026-01-05' });
    await until(async () => (await call('GET', `/v1/identities/${mover}`)).department === 'Moved', 120_000, 'the live change');
  });
  let rollout: any;
  await until(async () => {
    rollout = (await call('GET', '/v1/access-packages/dept-0/rollouts')).items.find((r: { id: number }) => r.id === saved.rollout.id);
    return rollout?.status === 'completed';
  }, 60 * 60_000, 'the rollout');
  const rolloutMs = performance.now() - rolloutStarted;

  console.log(`
people                          ${n + 1} (one worker, one OpenLDAP target)
dry run of a widened rule       ${dryRunMs.toFixed(0)} ms for everyone (${((n + 1) / (dryRunMs / 1000)).toFixed(0)} people/s): ${dryRun.summary.gaining} gaining, ${dryRun.summary.losing} losing
dry run of an incompatibility   ${sodMs.toFixed(0)} ms: ${sod.summary.conflicting} people would hold a new conflict
conflicts listing               ${conflictsMs.toFixed(0)} ms for ${conflicts} people in conflict
rollout at ${rate}/s                ${(rolloutMs / 1000).toFixed(1)} s for ${rollout.done} people (${(rollout.done / (rolloutMs / 1000)).toFixed(1)} people/s), ${rollout.signalled} signalled
a live change meanwhile         ${liveMs.toFixed(0)} ms from record to identity
`);
} finally {
  await stack.stop();
}
