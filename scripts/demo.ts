import { createApiKey } from '../api/api-keys';
import { createDb } from '../db/client';
import { loadConfig } from '../domain/config';
import type { WorkerRecordInput } from '../domain/worker-record';

// `npm run demo` (with `npm run dev` running): posts a small team whose hires and leave fall a
// few minutes out, so pre-hire, day one, a mover and a leaver happen while you watch.

const config = loadConfig({ TENURE_DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/tenure', ...process.env });
const api = process.env.TENURE_API_URL ?? `http://${config.api.host}:${config.api.port}`;
const temporalUi = process.env.TENURE_TEMPORAL_UI_URL ?? 'http://127.0.0.1:8233';

const { db, close } = createDb(config.database.url, { max: 1 });
// A development key: it works only while Tenure runs in development mode.
const { key } = await createApiKey(db, { name: 'demo', scopes: ['hr:write', 'identities:read'], development: true, replace: true });
await close();

const minutes = (m: number) => new Date(Date.now() + m * 60_000).toISOString();
const inDays = (d: number) => new Date(Date.now() + d * 86_400_000).toISOString().slice(0, 10);
let stamp = Date.now();
const asOf = () => new Date(stamp++).toISOString();

const team: [string, Omit<WorkerRecordInput, 'asOf'>][] = [
  ['E1000', { givenName: 'Amara', familyName: 'Okafor', employeeType: 'employee', department: 'Executive', jobTitle: 'Chief Executive Officer', timeZone: 'Africa/Lagos', location: 'Lagos', hireDate: '2019-04-01' }],
  ['E1001', { givenName: 'Ingrid', familyName: 'Ødegård', employeeType: 'employee', department: 'Engineering', jobTitle: 'Head of Engineering', managerEmployeeId: 'E1000', timeZone: 'Europe/Oslo', location: 'Oslo', hireDate: '2021-09-01' }],
  ['E1002', { givenName: 'Zoë', familyName: 'Ångström-Øster', employeeType: 'employee', department: 'Engineering', jobTitle: 'Site Reliability Engineer', managerEmployeeId: 'E1001', timeZone: 'Europe/Stockholm', location: 'Stockholm', hireDate: minutes(4) }],
  ['E1003', { givenName: 'Seán', familyName: "O'Brien", employeeType: 'employee', department: 'Sales', jobTitle: 'Account Executive', managerEmployeeId: 'E1000', timeZone: 'Europe/Dublin', location: 'Dublin', hireDate: minutes(1) }],
  ['E1004', { givenName: 'Mateo', familyName: 'García', employeeType: 'employee', department: 'Support', jobTitle: 'Support Engineer', managerEmployeeId: 'E1000', timeZone: 'Europe/Madrid', location: 'Madrid', hireDate: '2022-02-14', leaveDate: minutes(3) }],
  ['E1005', { givenName: 'Priya', familyName: 'Raman', employeeType: 'employee', department: 'Analytics', jobTitle: 'Analyst', managerEmployeeId: 'E1000', timeZone: 'Asia/Kolkata', location: 'Bengaluru', hireDate: '2023-06-01' }],
  ['E1006', { givenName: 'John', familyName: 'Smith', employeeType: 'contractor', department: 'Engineering', jobTitle: 'Contractor', managerEmployeeId: 'E1001', timeZone: 'America/New_York', hireDate: '2024-01-08' }],
  ['E1007', { givenName: 'John', familyName: 'Smith', employeeType: 'employee', department: 'Sales', jobTitle: 'Sales Engineer', managerEmployeeId: 'E1000', timeZone: 'America/Chicago', hireDate: '2024-03-04' }],
  ['E1008', { givenName: 'Anne+Marie', familyName: 'Dubois', employeeType: 'intern', department: 'Engineering', jobTitle: 'Intern', managerEmployeeId: 'E1001', timeZone: 'Europe/Paris', hireDate: inDays(14) }],
];

async function send(method: string, path: string, body: unknown) {
  const res = await fetch(`${api}${path}`, { method, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

try {
  const batch = (await send('POST', '/v1/workers/batch', { records: team.map(([employeeId, record]) => ({ employeeId, asOf: asOf(), ...record })) })) as { accepted: number; rejected: number };
  console.log(`posted ${batch.accepted} workers (${batch.rejected} rejected)`);
} catch (error) {
  console.error(`could not reach the API at ${api}: is \`npm run dev\` running?\n${(error as Error).message}`);
  process.exit(1);
}
// Priya moves to Engineering under Ingrid: the mover flows to her LDAP entry.
const priya = team.find(([id]) => id === 'E1005')![1];
await send('PUT', '/v1/workers/E1005', { ...priya, asOf: asOf(), department: 'Engineering', jobTitle: 'Data Engineer', managerEmployeeId: 'E1001' });

const search = (id: string) => `${temporalUi}/namespaces/${config.temporal.namespace}/workflows?query=${encodeURIComponent(`EmployeeId="${id}"`)}`;
console.log(`
What happens next (pre-hire lead and retention as \`npm run dev\` printed them):
  now        E1000 Amara, E1001 Ingrid, E1005 Priya (moved to Engineering), two John Smiths: active
  now        E1003 Seán is inside the pre-hire lead: account created disabled
  +1 min     E1003 Seán: day one, account enabled
  +2 min     E1002 Zoë: account created disabled (pre-hire)
  +3 min     E1004 Mateo: last day, account disabled and removed from groups
  +4 min     E1002 Zoë: day one, account enabled
  +retention E1004 Mateo: account deleted
  in 14 days E1008 Anne+Marie (intern) starts; pending until her pre-hire lead

Watch it (export TENURE_API_KEY=<the dev API key \`npm run dev\` printed>):
  Temporal UI    ${search('E1002')}
                 (or query LifecycleState="prehire" or Department="Engineering")
  API            curl -s ${api}/v1/identities/E1002 -H "authorization: Bearer $TENURE_API_KEY"
                 curl -s '${api}/v1/identities?department=Engineering' -H "authorization: Bearer $TENURE_API_KEY"
  Audit trail    curl -s ${api}/v1/identities/E1004/events -H "authorization: Bearer $TENURE_API_KEY"
  LDAP           ldapsearch -x -H ${config.ldap.url} -D '${config.ldap.bindDn}' -w <password> -b '${config.ldap.peopleDn}' '(employeeNumber=E100*)' uid title manager pwdAccountLockedTime
`);
