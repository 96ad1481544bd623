import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { sql } from 'drizzle-orm';
import { saveCatalog, savePackage } from '../db/queries/access';
import { listCampaigns } from '../db/queries/access-reviews';
import { validatePackage } from '../domain/access-packages';
import { startLocalStack } from '../scripts/local-stack';
import { campaignStateQuery, reviewBatchWorkflowId } from '../workflows/messages';
import { until } from './hire-load';

// Opening an access review campaign of many items on a real stack (Temporal dev server,
// PostgreSQL, API and worker processes): the assignments are written straight into PostgreSQL,
// then the review is started through the API and timed until every batch workflow takes
// decisions and the stage is open to reviewers. Beside it, in the same run, the floor: the time
// PostgreSQL alone takes to insert the same number of item rows with one INSERT … SELECT.
//   npm run bench:review -- --items 100000 --managers 1000

const { values } = parseArgs({ options: { items: { type: 'string', default: '100000' }, managers: { type: 'string', default: '1000' } } });
const items = Number(values.items);
const managers = Number(values.managers);
const seconds = (ms: number) => (ms / 1000).toFixed(1);

const stack = await startLocalStack();
const { api, key, db } = stack;
const temporal = new Client({ connection: await Connection.connect({ address: stack.temporalAddress }) });
const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };

await saveCatalog(db, { id: 'bench', name: 'Bench', owners: [] }, 'bench');
const parsed = validatePackage({ id: 'bench-reviewed', catalog: 'bench', name: 'Reviewed', resources: [{ target: 'ldap', group: `cn=bench-reviewed,ou=groups,${stack.slapd.suffix}` }], policies: [{ id: 'direct', type: 'direct' }] }, { groupTargets: ['ldap'], extensions: [] });
if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
await savePackage(db, parsed.accessPackage, { source: 'bench', actor: 'bench' });

// People and their assignments, straight into PostgreSQL: each person reports to one of the managers.
const seedStart = Date.now();
const person = (id: string, manager: string | null) => sql`
  select ${sql.raw(id)}, 'active', 'Bench', ${sql.raw(id)}, 'Bench ' || ${sql.raw(id)}, 'employee', 'Engineering', ${sql.raw(manager ?? 'null')}, 'UTC', now() - interval '1 year', now(),
    jsonb_build_object('employeeId', ${sql.raw(id)}, 'asOf', 0, 'givenName', 'Bench', 'familyName', ${sql.raw(id)}, 'displayName', 'Bench ' || ${sql.raw(id)}, 'employeeType', 'employee', 'department', 'Engineering', 'timeZone', 'UTC', 'hireDate', '2025-01-01', 'hireAt', 0${sql.raw(manager ? `, 'managerEmployeeId', ${manager}` : '')}),
    'identity-' || ${sql.raw(id)}`;
const columns = sql.raw('(employee_id, state, given_name, family_name, display_name, employee_type, department, manager_employee_id, time_zone, hire_at, record_as_of, record, workflow_id)');
await db.execute(sql`insert into identities ${columns} ${person(`'BM' || lpad(g::text, 6, '0')`, null)} from generate_series(1, ${managers}) g`);
await db.execute(sql`insert into identities ${columns} ${person(`'BP' || lpad(g::text, 7, '0')`, `'BM' || lpad((g % ${managers} + 1)::text, 6, '0')`)} from generate_series(1, ${items}) g`);
await db.execute(sql`insert into access_assignments (id, package_id, employee_id, source, granted_by, reason, status, starts_at)
  select 'bench-' || lpad(g::text, 7, '0'), 'bench-reviewed', 'BP' || lpad(g::text, 7, '0'), 'admin', 'bench', 'bench', 'active', now() - interval '30 days' from generate_series(1, ${items}) g`);
await db.execute(sql`analyze`);
const seedMs = Date.now() - seedStart;

// The campaign: saved and started over the API, timed until its stage is open to reviewers.
const review = { id: 'bench-review', name: 'Bench review', scope: { type: 'packages', packages: ['bench-reviewed'] }, stages: [{ reviewers: [{ type: 'manager' }] }], recurrence: { frequency: 'annually', start: '2030-01-15T09:00:00Z', duration: 'P14D' }, openMail: false };
const saved = await fetch(`${api}/v1/access-reviews`, { method: 'POST', headers, body: JSON.stringify(review) });
if (saved.status !== 201) throw new Error(`saving the review: ${saved.status} ${await saved.text()}`);
const openStart = Date.now();
const started = await fetch(`${api}/v1/access-reviews/bench-review/start`, { method: 'POST', headers });
if (started.status !== 202) throw new Error(`starting the review: ${started.status} ${await started.text()}`);
const campaign = await (async () => {
  for (;;) {
    const [found] = await listCampaigns(db, 'bench-review');
    if (found) return found;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
})();
const handle = temporal.workflow.getHandle(campaign.id);
await until(async () => (await handle.query(campaignStateQuery).catch(() => undefined))?.status === 'open', 30 * 60_000, 'the campaign open');
const openMs = Date.now() - openStart;
const state = await handle.query(campaignStateQuery);
const [{ count } = { count: 0 }] = [...(await db.execute<{ count: number }>(sql`select count(*)::int as count from access_review_items where campaign_id = ${campaign.id}`))];
const campaignHistory = (await handle.describe()).historyLength;
// Where the time went, from the campaign's own history: collecting the items, starting the batches, every batch ready.
const history = await handle.fetchHistory();
const at = (e: NonNullable<typeof history.events>[number]) => Number(e.eventTime?.seconds ?? 0) * 1000 + Math.floor((e.eventTime?.nanos ?? 0) / 1e6);
const events = history.events ?? [];
const names = new Map(events.filter((e) => e.activityTaskScheduledEventAttributes).map((e) => [String(e.eventId), e.activityTaskScheduledEventAttributes!.activityType!.name!]));
const completed = (name: string) => events.filter((e) => e.activityTaskCompletedEventAttributes && names.get(String(e.activityTaskCompletedEventAttributes.scheduledEventId)) === name).map(at);
const firstAt = at(events[0]!);
const collectedAt = Math.max(...completed('collectReviewItems'));
const batchesStartedAt = Math.max(...events.filter((e) => e.childWorkflowExecutionStartedEventAttributes).map(at));
const stageOpenAt = Math.max(...completed('startReviewStage'));
const batchHistory = (await temporal.workflow.getHandle(reviewBatchWorkflowId(campaign.id, 1, 0)).describe()).historyLength;

// The floor: PostgreSQL alone writing as many item rows (same table, same indexes) in one statement.
await db.execute(sql`insert into access_review_campaigns (id, review_id, version, status, stage_count) values ('bench-floor', 'bench-review', 1, 'open', 1)`);
const floorStart = Date.now();
await db.execute(sql`insert into access_review_items (campaign_id, stage, batch, employee_id, assignment_id, package_id, reviewers, recommendation, recommendation_reason)
  select 'bench-floor', 1, (row_number() over (order by a.id) - 1) / 1000, a.employee_id, a.id, a.package_id, array[i.manager_employee_id], 'approve', 'nothing suggests removing it'
  from access_assignments a join identities i on i.employee_id = a.employee_id`);
const floorMs = Date.now() - floorStart;

console.log(`
access review campaign         ${count} items (${items} assignments of ${items} people, ${managers} reviewing managers), seeded in ${seconds(seedMs)} s
  opened                       ${seconds(openMs)} s from "start" to the stage open: items collected with reviewers and recommendations, ${state.batches} batch workflows taking decisions
  floor: PostgreSQL alone      ${seconds(floorMs)} s to insert ${items} item rows with one INSERT … SELECT (same table and indexes)
    collecting (${completed('collectReviewItems').length} pages)  ${seconds(collectedAt - firstAt)} s; batches started ${seconds(batchesStartedAt - collectedAt)} s later; every batch ready and the stage open ${seconds(stageOpenAt - batchesStartedAt)} s after that
  histories                    campaign ${campaignHistory} events, one batch ${batchHistory} events
`);

await temporal.connection.close();
await stack.stop();
