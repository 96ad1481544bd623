import { randomBytes } from 'node:crypto';
import { Client as LdapClient, type Entry } from 'ldapts';
import mysql from 'mysql2/promise';
import postgres from 'postgres';
import { and, eq, like } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { auditEvents } from '../../db/schema';
import { newEmployeeId, workerRecord } from '../helpers/builders';
import { ldapAdmin, startTestEnvironment, waitFor, type TestEnvironment } from '../helpers/environment';
import { startScimServer } from '../helpers/scim-server';

// One hire, mover, leaver reaching five real targets at once: OpenLDAP, Active Directory
// (Samba AD DC), an independent SCIM server (scimmy), a PostgreSQL table and a MariaDB table.

const suffix = randomBytes(4).toString('hex');
const adBase = inject('activeDirectory').baseDn;
const adOu = `OU=t${suffix},${adBase}`;
const scimToken = 'scim-test-token';
const pgAdminUrl = inject('postgresUrl');
const pgAppUrl = new URL(pgAdminUrl);
pgAppUrl.pathname = `/tenure_app_${suffix}`;
const mariaDatabase = `tenure_app_${suffix}`;
const mariaUrl = `mysql://root@127.0.0.1:3306/${mariaDatabase}`;

let env: TestEnvironment;
let scim: Awaited<ReturnType<typeof startScimServer>>;
let ad: LdapClient;
let pg: postgres.Sql;
let maria: mysql.Connection;

const adGroup = (name: string) => `CN=${name},${adOu}`;

function configFile({ ldapBase, peopleDn }: { ldapBase: string; peopleDn: string }): string {
  const ldap = inject('ldap');
  const directory = inject('activeDirectory');
  return `
targets:
  - name: ldap
    type: ldap
    url: ${ldap.url}
    bindDn: ${ldap.adminDn}
    bindPassword: ${ldap.adminPassword}
    baseDn: ${ldap.suffix}
    peopleDn: "${peopleDn}"
    mappings:
      - { target: uid, source: username, apply: create }
      - { target: cn, source: displayName }
      - { target: sn, source: familyName }
      - { target: givenName, source: givenName }
      - { target: mail, source: workEmail }
      - { target: title, source: jobTitle }
      - { target: departmentNumber, source: department }
      - { target: manager, source: manager }
    groups:
      - { group: "cn=engineering,ou=groups,${ldapBase}", scope: "department eq 'Engineering'" }
      - { group: "cn=sales,ou=groups,${ldapBase}", scope: "department eq 'Sales'" }
  - name: ad
    type: active-directory
    url: ${directory.url}
    bindDn: ${directory.adminDn}
    bindPassword: "${directory.adminPassword}"
    baseDn: ${adOu}
    tlsRejectUnauthorized: false
    container: 'Switch([department], "OU=Staff,${adOu}", "Engineering", "OU=Engineering,${adOu}", "Sales", "OU=Sales,${adOu}")'
    mappings:
      - { target: cn, source: displayName }
      - target: sAMAccountName
        apply: create
        expression: 'SelectUniqueValue(Left([username], 20), ToLower(Left(Join("", Left([givenName], 1), [familyName]), 20)), ToLower(Left(Join("", [givenName], [familyName]), 20)))'
      - target: userPrincipalName
        apply: create
        expression: 'SelectUniqueValue(Join("@", [username], "tenure.test"), Join("@", ToLower(Left(Join("", Left([givenName], 1), [familyName]), 20)), "tenure.test"))'
      - { target: givenName, source: givenName }
      - { target: sn, source: familyName }
      - { target: displayName, source: displayName }
      - { target: mail, source: workEmail }
      - { target: title, source: jobTitle }
      - { target: department, source: department }
      - { target: company, constant: Tenure Test Ltd }
      - { target: manager, source: manager }
    groups:
      - { group: "${adGroup('All Staff')}" }
      - { group: "${adGroup('Engineering Team')}", scope: "department eq 'Engineering'" }
      - { group: "${adGroup('Sales Team')}", scope: "department eq 'Sales'" }
  - name: scim
    type: scim
    baseUrl: ${scim.baseUrl}
    auth: { type: bearer, token: ${scimToken} }
    breaker: { openAfter: PT5S, minFailures: 3, firstProbe: PT2S, maxProbeInterval: PT4S, quarantineRetry: PT1H }
    mappings:
      - { target: userName, source: username }
      - { target: name.givenName, source: givenName }
      - { target: name.familyName, source: familyName }
      - { target: displayName, source: displayName }
      - { target: title, source: jobTitle }
      - { target: 'emails[type eq "work"].value', source: workEmail }
    groups:
      - { group: Engineering, scope: "department eq 'Engineering'" }
      - { group: Sales, scope: "department eq 'Sales'" }
  - name: app-postgres
    type: sql
    dialect: postgres
    url: ${pgAppUrl.toString()}
    table: app_users
    keyColumn: employee_id
    enabledColumn: active
    deletedColumn: deleted_at
    mappings:
      - { target: login, source: username }
      - { target: email, source: workEmail }
      - { target: full_name, source: displayName }
      - { target: department, source: department, default: Unassigned }
  - name: app-mariadb
    type: sql
    dialect: mysql
    url: ${mariaUrl}
    table: app_users
    keyColumn: employee_id
    enabledColumn: active
    mappings:
      - { target: login, expression: 'ToUpper([username])' }
      - { target: full_name, source: displayName }
      - { target: title, source: jobTitle }
`;
}

beforeAll(async () => {
  scim = await startScimServer(scimToken);
  scim.addGroup('Engineering');
  scim.addGroup('Sales');
  scim.addGroup('Projects');
  const admin = postgres(pgAdminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database "tenure_app_${suffix}"`);
  await admin.end();
  pg = postgres(pgAppUrl.toString(), { max: 2, onnotice: () => {} });
  await pg.unsafe(
    'create table app_users (employee_id text primary key, login text unique, email text, full_name text, department text not null, active boolean not null default true, deleted_at timestamptz)',
  );
  const root = await mysql.createConnection({ host: '127.0.0.1', port: 3306, user: 'root' });
  await root.query(`create database \`${mariaDatabase}\``);
  await root.end();
  maria = await mysql.createConnection({ uri: mariaUrl });
  await maria.query('create table app_users (employee_id varchar(64) primary key, login varchar(64) unique, full_name varchar(256), title varchar(128), active tinyint(1) not null default 1)');

  const directory = inject('activeDirectory');
  ad = new LdapClient({ url: directory.url, tlsOptions: { rejectUnauthorized: false } });
  await ad.bind(directory.adminDn, directory.adminPassword);
  for (const ou of [adOu, `OU=Staff,${adOu}`, `OU=Engineering,${adOu}`, `OU=Sales,${adOu}`]) {
    await ad.add(ou, { objectClass: ['top', 'organizationalUnit'], ou: ou.slice(3, ou.indexOf(',')) });
  }
  for (const [name, account] of [['All Staff', 'all'], ['Engineering Team', 'eng'], ['Sales Team', 'sales'], [`Joiners ${suffix}`, 'joiners']]) {
    await ad.add(adGroup(name!), { objectClass: ['top', 'group'], sAMAccountName: `${account}-${suffix}` });
  }
  env = await startTestEnvironment({ configFile });
  // The managed OpenLDAP groups: a groupOfNames (which must hold a member) and a groupOfUniqueNames.
  const ldap = await ldapAdmin();
  await ldap.add(`cn=engineering,ou=groups,${env.ldapBase}`, { objectClass: ['top', 'groupOfNames'], cn: 'engineering', member: 'cn=empty-membership-placeholder' });
  await ldap.add(`cn=sales,ou=groups,${env.ldapBase}`, { objectClass: ['top', 'groupOfUniqueNames'], cn: 'sales', uniqueMember: 'cn=empty-membership-placeholder' });
  await ldap.unbind();
});

afterAll(async () => {
  await env?.stop();
  await scim?.stop();
  await pg?.end();
  await maria?.end();
  await ad?.unbind();
});

const inState = (id: string, state: string) =>
  waitFor(async () => {
    const identity = await env.identity(id);
    return identity?.state === state && !identity.lastError ? identity : undefined;
  }, { timeoutMs: 60_000, what: `${id} ${state}` });

async function adUser(id: string): Promise<Entry | undefined> {
  const { searchEntries } = await ad.search(adOu, { filter: `(employeeID=${id})`, attributes: ['*', 'userAccountControl'] });
  return searchEntries[0];
}
/** The members of an AD group (DNs, compared without case). */
async function adMembers(name: string): Promise<string[]> {
  const { searchEntries } = await ad.search(adGroup(name), { scope: 'base', attributes: ['member'] });
  const member = searchEntries[0]?.member ?? [];
  return (Array.isArray(member) ? member : [member]).map((dn) => String(dn).toLowerCase());
}

async function ldapMembers(group: string): Promise<string[]> {
  const admin = await ldapAdmin();
  try {
    const { searchEntries } = await admin.search(`cn=${group},ou=groups,${env.ldapBase}`, { scope: 'base', attributes: ['member', 'uniqueMember'] });
    const entry = searchEntries[0]!;
    return [entry.member ?? [], entry.uniqueMember ?? []].flat().map(String);
  } finally {
    await admin.unbind();
  }
}

const pgRow = async (id: string) => (await pg`select * from app_users where employee_id = ${id}`)[0];
const mariaRow = async (id: string) => ((await maria.query('select * from app_users where employee_id = ?', [id]))[0] as Record<string, unknown>[])[0];

describe('a hire', () => {
  it('reaches every target with the mapped attributes', async () => {
    const managerId = newEmployeeId('M');
    await env.put(managerId, workerRecord({ givenName: 'Grace', familyName: `Boss${suffix}`, department: 'Engineering' }));
    await inState(managerId, 'active');
    const id = newEmployeeId();
    await env.put(id, workerRecord({ givenName: 'Zoë', familyName: `Ångström${suffix}`, department: 'Engineering', jobTitle: 'SRE', managerEmployeeId: managerId }));
    const identity = await inState(id, 'active');
    const username = identity.username as string;

    expect(identity.accounts.map((a: any) => a.system).sort()).toEqual(['ad', 'app-mariadb', 'app-postgres', 'ldap', 'scim']);
    const user = (await adUser(id))!;
    expect(user.dn).toBe(`CN=Zoë Ångström${suffix},OU=Engineering,${adOu}`);
    expect(user).toMatchObject({ sAMAccountName: username.slice(0, 20), userPrincipalName: `${username}@tenure.test`, title: 'SRE', department: 'Engineering', company: 'Tenure Test Ltd' });
    expect((Number(user.userAccountControl) & 2) === 0).toBe(true);
    expect(String(user.manager)).toBe((await adUser(managerId))!.dn);

    const [scimUser] = scim.byExternalId(id);
    expect(scimUser).toMatchObject({ userName: username, displayName: `Zoë Ångström${suffix}`, title: 'SRE', active: true, name: { givenName: 'Zoë' } });
    expect((scimUser!.emails as any[])[0]).toMatchObject({ type: 'work', value: identity.workEmail });
    expect(await pgRow(id)).toMatchObject({ login: username, email: identity.workEmail, department: 'Engineering', active: true, deleted_at: null });
    expect(await mariaRow(id)).toMatchObject({ login: username.toUpperCase(), title: 'SRE', active: 1 });

    // Groups by rule: everyone's, and the department's.
    expect(await adMembers('All Staff')).toContain(user.dn.toLowerCase());
    expect(await adMembers('Engineering Team')).toContain(user.dn.toLowerCase());
    expect(await adMembers('Sales Team')).not.toContain(user.dn.toLowerCase());
    expect(scim.membersOf('Engineering')).toContain(scimUser!.id);
    expect(scim.membersOf('Sales')).not.toContain(scimUser!.id);
    const ldapDn = identity.accounts.find((a: any) => a.system === 'ldap').id;
    expect(await ldapMembers('engineering')).toContain(ldapDn);
    expect(await ldapMembers('engineering')).not.toContain('cn=empty-membership-placeholder');
    const added = (await env.events(id)).filter((e) => e.kind === 'membership.added').map((e) => e.system).sort();
    expect(added).toEqual(['ad', 'ldap', 'scim']);
  });

  it('takes the next unique sAMAccountName when AD already has one Tenure does not own', async () => {
    const family = `Smith${suffix}`.slice(0, 12);
    await ad.add(`CN=Legacy John,OU=Staff,${adOu}`, {
      objectClass: ['top', 'person', 'organizationalPerson', 'user'],
      cn: 'Legacy John',
      sAMAccountName: `john.${family}`.toLowerCase().slice(0, 20),
    });
    const id = newEmployeeId();
    await env.put(id, workerRecord({ givenName: 'John', familyName: family, department: 'Support' }));
    const identity = await inState(id, 'active');
    expect(identity.username).toBe(`john.${family}`.toLowerCase());
    const user = (await adUser(id))!;
    expect(user.sAMAccountName).toBe(`j${family}`.toLowerCase());
    expect(user.userPrincipalName).toBe(`j${family}@tenure.test`.toLowerCase());
    expect(user.dn).toContain(`OU=Staff,${adOu}`);
  });
});

describe('a mover', () => {
  it('changes OU in AD and attributes everywhere', async () => {
    const id = newEmployeeId();
    const record = workerRecord({ givenName: 'Max', familyName: `Mover${suffix}`, department: 'Engineering', jobTitle: 'Engineer' });
    await env.put(id, record);
    await inState(id, 'active');
    expect((await adUser(id))!.dn).toContain(`OU=Engineering,${adOu}`);
    await env.put(id, { ...record, asOf: new Date().toISOString(), department: 'Sales', jobTitle: 'Account Executive' });
    const moved = await waitFor(async () => {
      const user = await adUser(id);
      return user?.dn.includes(`OU=Sales,${adOu}`) && user.title === 'Account Executive' ? user : undefined;
    }, { timeoutMs: 30_000, what: 'the OU move' });
    expect(moved.department).toBe('Sales');
    await waitFor(async () => scim.byExternalId(id)[0]?.title === 'Account Executive');
    await waitFor(async () => (await pgRow(id))?.department === 'Sales');
    await waitFor(async () => (await mariaRow(id))?.title === 'Account Executive');
    await waitFor(async () => (await env.events(id)).some((e) => e.kind === 'account.moved' && e.details.to.includes('OU=Sales')), { what: 'the move in the trail' });
    // PATCH carried only what changed.
    const patch = scim.requests.filter((r) => r.method === 'PATCH');
    expect(patch.length).toBeGreaterThan(0);

    // The old job's groups go and the new one's come, in every directory and app.
    const dn = moved.dn.toLowerCase();
    await waitFor(async () => (await adMembers('Sales Team')).includes(dn), { what: 'the AD Sales group' });
    expect(await adMembers('Engineering Team')).not.toContain(dn);
    expect(await adMembers('All Staff')).toContain(dn);
    const scimId = scim.byExternalId(id)[0]!.id;
    await waitFor(async () => scim.membersOf('Sales').includes(scimId), { what: 'the SCIM Sales group' });
    expect(scim.membersOf('Engineering')).not.toContain(scimId);
    const identity = await env.identity(id);
    const ldapDn = identity.accounts.find((a: any) => a.system === 'ldap').id;
    await waitFor(async () => (await ldapMembers('sales')).includes(ldapDn), { what: 'the LDAP sales group' });
    // The last member out of a groupOfNames leaves the placeholder behind.
    expect(await ldapMembers('engineering')).not.toContain(ldapDn);
    const removed = (await env.events(id)).filter((e) => e.kind === 'membership.removed');
    expect(removed.map((e) => e.system).sort()).toEqual(['ad', 'ldap', 'scim']);
    expect(removed.find((e) => e.system === 'scim')!.details.groups).toEqual(['Engineering']);
    const groups = (await env.identity(id)).groups as { system: string; group: string; lifecycleRun: string | null }[];
    expect(groups.filter((g) => g.system === 'scim')).toEqual([expect.objectContaining({ group: 'Sales', lifecycleRun: null })]);
    expect(groups.filter((g) => g.system === 'ad').map((g) => g.group).sort()).toEqual([adGroup('All Staff'), adGroup('Sales Team')]);
  });
});

describe('a leaver', () => {
  it('is disabled everywhere at the last day and deleted (or kept as gone) after retention', async () => {
    const id = newEmployeeId();
    const record = workerRecord({ givenName: 'Lea', familyName: `Leaver${suffix}`, department: 'Sales' });
    await env.put(id, record);
    await inState(id, 'active');
    await env.put(id, { ...record, asOf: new Date().toISOString(), leaveDate: new Date(Date.now() + 500).toISOString() });
    await inState(id, 'terminated');
    expect((Number((await adUser(id))!.userAccountControl) & 2) === 2).toBe(true);
    expect(scim.byExternalId(id)[0]?.active).toBe(false);
    expect((await pgRow(id))?.active).toBe(false);
    expect((await mariaRow(id))?.active).toBe(0);
    // Memberships end on the last day, rule-given or not.
    const dn = (await adUser(id))!.dn.toLowerCase();
    for (const group of ['All Staff', 'Sales Team']) expect(await adMembers(group)).not.toContain(dn);
    expect(scim.membersOf('Sales')).not.toContain(scim.byExternalId(id)[0]!.id);
    expect((await env.identity(id)).groups).toEqual([]);

    // Retention is P30D here: a withdrawal of an already-terminated hire is not what deletes; use provision-now after a back-dated leave.
    await env.put(id, { ...record, asOf: new Date().toISOString(), hireDate: '2020-01-06', leaveDate: '2020-06-30' });
    await inState(id, 'deleted');
    expect(await adUser(id)).toBeUndefined();
    expect(scim.byExternalId(id)).toEqual([]);
    expect((await pgRow(id))?.deleted_at).toBeInstanceOf(Date);
    expect(await mariaRow(id)).toBeUndefined();
  });
});

describe('lifecycle group tasks', () => {
  it('add to groups on Active Directory (found by cn in the domain) and in a SCIM application', async () => {
    const definition = {
      id: `groups-${suffix}`,
      name: 'Project onboarding',
      category: 'joiner',
      trigger: { type: 'on-demand' },
      tasks: [
        { id: 'ad', type: 'add-to-groups', args: { target: 'ad', groups: [`Joiners ${suffix}`] } },
        { id: 'scim', type: 'add-to-groups', args: { target: 'scim', groups: ['Projects'] } },
      ],
    };
    const saved = await env.request('POST', '/v1/lifecycle-workflows', definition);
    expect(saved.status, JSON.stringify(saved.body)).toBe(201);
    const refused = await env.request('POST', '/v1/lifecycle-workflows', { ...definition, id: `bad-${suffix}`, tasks: [{ type: 'add-to-groups', args: { target: 'app-postgres', groups: ['x'] } }] });
    expect(refused.status).toBe(400);
    expect(JSON.stringify(refused.body)).toContain('no target \\"app-postgres\\" with groups is configured');

    const id = newEmployeeId();
    await env.put(id, workerRecord({ givenName: 'Gus', familyName: `Groups${suffix}`, department: 'Support' }));
    await inState(id, 'active');
    expect((await env.request('POST', `/v1/lifecycle-workflows/${definition.id}/run`, { employeeIds: [id] })).status).toBe(202);
    const run = await waitFor(async () => {
      const runs = (await env.request('GET', `/v1/lifecycle-runs?employeeId=${id}`)).body.items as any[];
      return runs.find((r) => r.workflowId === definition.id && !['queued', 'in_progress'].includes(r.status));
    }, { what: 'the finished run' });
    expect(run.status).toBe('completed');

    const dn = (await adUser(id))!.dn.toLowerCase();
    expect(await adMembers(`Joiners ${suffix}`)).toContain(dn);
    expect(scim.membersOf('Projects')).toContain(scim.byExternalId(id)[0]!.id);
    const added = (await env.events(id)).filter((e) => e.kind === 'membership.added' && e.actor.startsWith('lifecycle:'));
    expect(added.map((e) => [e.system, e.details.groups]).sort()).toEqual([['ad', [`Joiners ${suffix}`]], ['scim', ['Projects']]]);
    const groups = (await env.identity(id)).groups as { system: string; group: string; lifecycleRun: string | null }[];
    expect(groups.filter((g) => g.lifecycleRun !== null).map((g) => g.system).sort()).toEqual(['ad', 'scim']);
  });
});

describe('targets that misbehave', () => {
  // A failed test must not leave the SCIM peer refusing for the tests after it.
  afterEach(() => {
    Object.assign(scim.faults, { throttle: 0, fail: 0, down: false, unauthorized: false });
  });

  it('a SCIM server answering 429 and 500 before succeeding still gets the user, once', async () => {
    scim.faults.throttle = 1;
    scim.faults.fail = 2;
    const id = newEmployeeId();
    await env.put(id, workerRecord({ givenName: 'Tess', familyName: `Throttled${suffix}` }));
    await inState(id, 'active');
    expect(scim.byExternalId(id)).toHaveLength(1);
    expect(scim.requests.some((r) => r.status === 429)).toBe(true);
    expect(scim.requests.filter((r) => r.status === 500).length).toBeGreaterThanOrEqual(2);
  });

  const scimTarget = async () => ((await env.request('GET', '/v1/targets')).body.items as any[]).find((t) => t.name === 'scim');

  it('a target down for a while opens its breaker, people show what they wait for, and it closes by itself once the target answers', async () => {
    scim.faults.down = true;
    const ids = [newEmployeeId(), newEmployeeId(), newEmployeeId()];
    for (const id of ids) await env.put(id, workerRecord({ givenName: 'Dora', familyName: `Down${randomBytes(3).toString('hex')}` }));
    const open = await waitFor(async () => {
      const target = await scimTarget();
      return target?.state === 'open' && target.pending >= ids.length ? target : undefined;
    }, { timeoutMs: 90_000, what: 'the SCIM breaker open with everyone waiting' });
    expect(open).toMatchObject({ reason: expect.stringContaining('503'), nextProbeAt: expect.any(String), since: expect.any(String) });
    // The other targets did not wait for it, and each person says what is missing.
    for (const id of ids) expect(await pgRow(id)).toBeDefined();
    const person = await waitFor(async () => {
      const identity = await env.identity(ids[0]!);
      return identity?.waiting?.length ? identity : undefined;
    }, { what: 'the person waiting for SCIM' });
    expect(person.waiting).toEqual([{ target: 'scim', since: expect.any(String), reason: expect.stringContaining('scim is unreachable') }]);
    // The workflow's memo follows once the sync activity has answered (the row above is written first).
    await waitFor(async () => {
      const { memo } = await env.client.workflow.getHandle(person.workflowId).describe();
      return String((memo as { waiting?: unknown } | undefined)?.waiting).includes('account on scim');
    }, { what: 'the memo saying what the person waits for' });

    scim.faults.down = false;
    // No operator: the watch probes, closes the breaker and brings everyone up to date.
    for (const id of ids) await waitFor(async () => scim.byExternalId(id).length === 1, { timeoutMs: 30_000, what: `${id} in SCIM` });
    for (const id of ids) expect(scim.byExternalId(id)).toHaveLength(1);
    const after = await waitFor(async () => {
      const target = await scimTarget();
      return target?.pending === 0 && target.state === 'closed' ? target : undefined;
    }, { what: 'nobody waiting for SCIM' });
    expect(after).toMatchObject({ failing: null, lastSuccessAt: expect.any(String) });
    await waitFor(async () => (await env.identity(ids[0]!))?.waiting?.length === 0, { what: 'the person no longer waiting' });
    const trail = await env.db.select().from(auditEvents).where(and(eq(auditEvents.system, 'scim'), like(auditEvents.kind, 'target.%')));
    expect(trail.map((e) => e.kind)).toEqual(expect.arrayContaining(['target.open', 'target.closed']));
  });

  it('a target that refuses the credentials is quarantined with its next attempt shown, and an operator resumes it at once', async () => {
    scim.faults.unauthorized = true;
    const id = newEmployeeId();
    await env.put(id, workerRecord({ givenName: 'Quinn', familyName: `Quarantine${suffix}` }));
    const quarantined = await waitFor(async () => {
      const target = await scimTarget();
      return target?.state === 'quarantined' ? target : undefined;
    }, { timeoutMs: 30_000, what: 'the SCIM target quarantined' });
    // Tried again by itself, but rarely.
    expect(Date.parse(quarantined.nextProbeAt) - Date.now()).toBeGreaterThan(50 * 60_000);
    expect(quarantined.reason).toContain('401');
    await waitFor(async () => (await env.identity(id))?.waiting?.some((w: any) => w.target === 'scim' && w.reason.includes('quarantined')), { what: 'the person waiting for the quarantined target' });

    // A resume before the fix probes, finds it still refusing, and keeps it quarantined.
    expect((await env.request('POST', '/v1/targets/scim/resume')).status).toBe(202);
    await waitFor(async () => (await env.db.select().from(auditEvents).where(eq(auditEvents.kind, 'target.probe-requested'))).length === 1);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect((await scimTarget()).state).toBe('quarantined');

    scim.faults.unauthorized = false;
    const resumed = await env.request('POST', '/v1/targets/scim/resume');
    expect(resumed).toMatchObject({ status: 202, body: { name: 'scim', state: 'quarantined' } });
    await waitFor(async () => scim.byExternalId(id).length === 1, { timeoutMs: 30_000, what: `${id} in SCIM after the resume` });
    expect((await scimTarget()).state).toBe('closed');
  });

  it('provision-now answers every target and the attributes sent, secrets redacted', async () => {
    const id = newEmployeeId();
    await env.put(id, workerRecord({ givenName: 'Nora', familyName: `Now${suffix}`, department: 'Engineering' }));
    await inState(id, 'active');
    const res = await env.request('POST', `/v1/identities/${id}/provision`);
    expect(res.status).toBe(200);
    expect(res.body.targets.map((t: any) => t.target).sort()).toEqual(['ad', 'app-mariadb', 'app-postgres', 'ldap', 'scim']);
    expect(res.body.targets.every((t: any) => ['unchanged', 'updated'].includes(t.status))).toBe(true);
    expect(JSON.stringify(res.body)).not.toMatch(/unicodePwd":"[^[]/);
  });
});
