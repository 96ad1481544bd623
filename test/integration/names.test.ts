import { afterAll, beforeAll, expect, it } from 'vitest';
import { escapeFilterValue } from '../../activities/connectors/ldap-escape';
import { newEmployeeId, workerRecord } from '../helpers/builders';
import { Attribute, Change } from 'ldapts';
import { isLocked, startTestEnvironment, waitFor, type TestEnvironment } from '../helpers/environment';

// Usernames from real-world names, reserved in PostgreSQL, checked against the directory; and
// a people container whose DN needs escaping, so every DN and filter we build is exercised.

let env: TestEnvironment;
let peopleDn: string;
beforeAll(async () => {
  // Every character RFC 4514 escapes, in the container that holds all people entries.
  env = await startTestEnvironment({ peopleOu: ' #Staff, Oslo+Bergen "Nord" (A*B) \\ <1>; =x ' });
  peopleDn = env.peopleDn;
});
afterAll(async () => env?.stop());

const active = (id: string) =>
  waitFor(async () => {
    const identity = await env.identity(id);
    return identity?.state === 'active' ? identity : undefined;
  }, { what: `${id} active` });

it('three John Smiths sent at once get distinct, readable usernames', async () => {
  const ids = [newEmployeeId(), newEmployeeId(), newEmployeeId()];
  const res = await env.request('POST', '/v1/workers/batch', {
    records: ids.map((employeeId) => ({ employeeId, ...workerRecord({ givenName: 'John', familyName: 'Smith' }) })),
  });
  expect(res.body.accepted).toBe(3);
  const usernames = (await Promise.all(ids.map(active))).map((i) => i.username).sort();
  expect(usernames).toEqual(['john.smith', 'john.smith2', 'jsmith']);
  const { searchEntries } = await env.admin.search(peopleDn, { scope: 'one', filter: '(sn=Smith)' });
  expect(searchEntries.map((e) => e.uid).sort()).toEqual(usernames);
});

it.each([
  ['Zoë', 'Ångström-Øster', 'zoe.angstrom-oster'],
  ['Seán', "O'Brien", 'sean.obrien'],
  ['Robert', 'Smith, Jr.', 'robert.smith'],
  ['Anne+Marie', 'Dubois', 'anne-marie.dubois'],
  ['Jürgen', 'Groß', 'jurgen.gross'],
  ['Дмитрий', 'Иванов', 'dmitrii.ivanov'],
])('%s %s becomes %s', async (givenName, familyName, username) => {
  const id = newEmployeeId();
  await env.put(id, workerRecord({ givenName, familyName }));
  const identity = await active(id);
  expect(identity.username).toBe(username);
  const entry = await env.entry(id);
  expect(entry).toMatchObject({ uid: username, sn: familyName, cn: `${givenName} ${familyName}` });
  // The entry is found by its own name through an escaped filter, too.
  const { searchEntries } = await env.admin.search(env.ldapBase, { filter: `(sn=${escapeFilterValue(familyName)})` });
  expect(searchEntries.map((e) => e.dn)).toContain(entry!.dn);
});

it('a username held by an entry Tenure does not own is skipped', async () => {
  await env.admin.add(`uid=maria.garcia,${peopleDn}`, {
    objectClass: ['top', 'person', 'organizationalPerson', 'inetOrgPerson'],
    uid: 'maria.garcia',
    cn: 'Maria Garcia (legacy)',
    sn: 'Garcia',
  });
  const id = newEmployeeId();
  await env.put(id, workerRecord({ givenName: 'María', familyName: 'García' }));
  expect((await active(id)).username).toBe('mgarcia');
});

it('a username is reserved in PostgreSQL for one person only', async () => {
  const { db } = env;
  await expect(db.execute(`insert into username_reservations (username, employee_id) values ('john.smith', 'someone-else')`)).rejects.toMatchObject({
    cause: { code: '23505' },
  });
});

it('a leaver whose DN needs escaping leaves groupOfNames, groupOfUniqueNames and posixGroup groups', async () => {
  const id = newEmployeeId();
  const record = workerRecord({ givenName: 'Ólafur', familyName: 'Þórsson' });
  await env.put(id, record);
  await active(id);
  const dn = (await env.entry(id))!.dn;
  const names = `cn=names-${id},ou=groups,${env.ldapBase}`;
  const unique = `cn=unique-${id},ou=groups,${env.ldapBase}`;
  await env.admin.add(names, { objectClass: ['top', 'groupOfNames'], cn: `names-${id}`, member: [dn, `uid=someone,${peopleDn}`] });
  await env.admin.add(unique, { objectClass: ['top', 'groupOfUniqueNames'], cn: `unique-${id}`, uniqueMember: [dn] });
  const posix = `cn=posix-${id},ou=groups,${env.ldapBase}`;
  const { username } = await env.identity(id);
  await env.admin.add(posix, { objectClass: ['top', 'posixGroup'], cn: `posix-${id}`, gidNumber: '5001', memberUid: [username, 'someone'] });

  await env.put(id, { ...record, asOf: new Date().toISOString(), leaveDate: new Date(Date.now() + 500).toISOString() });
  await waitFor(async () => (await env.identity(id))?.state === 'terminated', { what: 'terminated' });
  const memberOf = async (group: string, attribute: string) => {
    const { searchEntries } = await env.admin.search(group, { scope: 'base', attributes: [attribute] });
    const value = searchEntries[0]?.[attribute] ?? [];
    return (Array.isArray(value) ? value : [value]).map(String);
  };
  expect(await memberOf(names, 'member')).toHaveLength(1);
  expect(await memberOf(unique, 'uniqueMember')).toEqual(['cn=empty-membership-placeholder']);
  expect(await memberOf(posix, 'memberUid')).toEqual(['someone']);
  const { searchEntries } = await env.admin.search(env.ldapBase, { filter: `(|(member=${escapeFilterValue(dn)})(uniqueMember=${escapeFilterValue(dn)}))` });
  expect(searchEntries).toEqual([]);
});

it('puts back a lock that was undone outside Tenure, and says so in the trail', async () => {
  const id = newEmployeeId();
  const record = workerRecord({ jobTitle: 'Before' });
  await env.put(id, record);
  await active(id);
  await env.put(id, { ...record, asOf: new Date().toISOString(), leaveDate: new Date(Date.now() + 300).toISOString() });
  await waitFor(async () => (await env.identity(id))?.state === 'terminated', { what: 'terminated' });
  const dn = (await env.entry(id))!.dn;
  // A helpdesk password reset: OpenLDAP's ppolicy drops the lock with it.
  await env.admin.modify(dn, new Change({ operation: 'replace', modification: new Attribute({ type: 'userPassword', values: ['reset-by-helpdesk'] }) }));
  expect(isLocked((await env.entry(id))!)).toBe(false);
  await env.put(id, { ...record, asOf: new Date().toISOString(), leaveDate: new Date(Date.now() - 1000).toISOString(), jobTitle: 'After' });
  await waitFor(async () => isLocked((await env.entry(id))!), { what: 'the lock back' });
  await waitFor(async () => (await env.events(id)).some((e) => e.kind === 'account.drift-corrected'), { what: 'the drift in the trail' });
});
