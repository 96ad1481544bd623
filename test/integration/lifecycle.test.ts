import { Attribute, Change, Client as LdapClient } from 'ldapts';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { inMs, newEmployeeId, workerRecord } from '../helpers/builders';
import { isLocked, startTestEnvironment, waitFor, type TestEnvironment } from '../helpers/environment';

// Every row of the lifecycle table, against the real Temporal dev server, PostgreSQL and slapd,
// with a pre-hire lead of 3 s and a leaver retention of 4 s.

const leadMs = 3000;
const retentionMs = 4000;

let env: TestEnvironment;
beforeAll(async () => {
  env = await startTestEnvironment({ env: { TENURE_PREHIRE_LEAD: 'PT3S', TENURE_LEAVER_RETENTION: 'PT4S' } });
});
afterAll(async () => env?.stop());

const inState = (id: string, state: string, timeoutMs = 20_000) =>
  waitFor(
    async () => {
      const identity = await env.identity(id);
      return identity?.state === state ? identity : undefined;
    },
    { timeoutMs, what: `${id} to be ${state}` },
  );

/** When the audit trail last says the person entered `state`. */
async function enteredAt(id: string, state: string): Promise<number> {
  const event = (await env.events(id)).findLast((e) => e.kind === 'state.changed' && e.details.to === state);
  expect(event, `a state.changed event to ${state}`).toBeDefined();
  return Date.parse((event as unknown as { occurredAt: string }).occurredAt);
}

const password = 'correct horse battery staple';

/** Note: OpenLDAP's ppolicy clears the lock whenever a password is set, so set it before a lock. */
async function setPassword(dn: string): Promise<void> {
  await env.admin.modify(dn, new Change({ operation: 'replace', modification: new Attribute({ type: 'userPassword', values: [password] }) }));
}

async function canBind(dn: string): Promise<boolean> {
  const client = new LdapClient({ url: inject('ldap').url });
  try {
    await client.bind(dn, password);
    return true;
  } catch (error) {
    if ((error as { code?: number }).code === 49) return false;
    throw error;
  } finally {
    await client.unbind().catch(() => {});
  }
}

async function addGroup(cn: string, members: string[]): Promise<string> {
  const dn = `cn=${cn},ou=groups,${env.ldapBase}`;
  await env.admin.add(dn, { objectClass: ['top', 'groupOfNames'], cn, member: members });
  return dn;
}

async function members(groupDn: string): Promise<string[]> {
  const { searchEntries } = await env.admin.search(groupDn, { scope: 'base', attributes: ['member'] });
  const value = searchEntries[0]?.member ?? [];
  return (Array.isArray(value) ? value : [value]).map(String);
}

describe('pre-hire and day one', () => {
  it('a hire far in the future waits pending, gets disabled accounts at hire − lead, and is enabled at the hire instant', async () => {
    const id = newEmployeeId();
    const hireAt = Date.now() + 7000;
    await env.put(id, workerRecord({ hireDate: new Date(hireAt).toISOString() }));

    // The row appears with the record; the schedule follows a moment later.
    const pending = await waitFor(async () => {
      const identity = await env.identity(id);
      return identity?.nextAction ? identity : undefined;
    });
    expect(pending.state).toBe('pending');
    expect(pending.nextAction).toEqual({ action: 'provision', at: new Date(hireAt - leadMs).toISOString() });
    expect(pending.accounts).toEqual([]);
    expect(await env.entry(id)).toBeUndefined();

    const prehire = await inState(id, 'prehire');
    expect(prehire.nextAction).toEqual({ action: 'enable', at: new Date(hireAt).toISOString() });
    expect(await enteredAt(id, 'prehire')).toBeGreaterThanOrEqual(hireAt - leadMs);
    const disabled = await env.entry(id);
    expect(disabled && isLocked(disabled)).toBe(true);
    expect(prehire.accounts).toMatchObject([{ system: 'ldap', enabled: false, id: disabled!.dn }]);

    const active = await inState(id, 'active');
    const activatedAt = await enteredAt(id, 'active');
    expect(activatedAt).toBeGreaterThanOrEqual(hireAt);
    expect(activatedAt - hireAt).toBeLessThan(5000);
    expect(active.accounts).toMatchObject([{ system: 'ldap', enabled: true }]);
    expect(active.nextAction).toBeNull();
    const enabled = await env.entry(id);
    expect(isLocked(enabled!)).toBe(false);
    await setPassword(enabled!.dn);
    expect(await canBind(enabled!.dn)).toBe(true);
  });

  it('a hire inside the lead time is provisioned at once, disabled, and enabled at the hire instant', async () => {
    const id = newEmployeeId();
    const hireAt = Date.now() + 2500;
    await env.put(id, workerRecord({ hireDate: new Date(hireAt).toISOString() }));
    await inState(id, 'prehire', 2000);
    expect(isLocked((await env.entry(id))!)).toBe(true);
    await inState(id, 'active');
    expect(await enteredAt(id, 'active')).toBeGreaterThanOrEqual(hireAt);
    expect(isLocked((await env.entry(id))!)).toBe(false);
  });

  it('a back-dated hire is provisioned and enabled at once, with the username and work email on the identity', async () => {
    const id = newEmployeeId();
    const record = workerRecord({ givenName: 'Katherine', hireDate: '2020-01-06' });
    await env.put(id, record);
    const active = await inState(id, 'active', 5000);
    const username = `katherine.${record.familyName.toLowerCase()}`;
    expect(active.username).toBe(username);
    expect(active.workEmail).toBe(`${username}@tenure.test`);
    const entry = await env.entry(id);
    expect(entry).toMatchObject({ uid: username, mail: `${username}@tenure.test`, employeeNumber: id, sn: record.familyName });
    expect(entry!.dn).toBe(`uid=${username},${env.peopleDn}`);
  });

  it('a hire date moved later re-arms the timers and enables nothing early', async () => {
    const pendingId = newEmployeeId();
    const prehireId = newEmployeeId();
    const firstHire = Date.now() + 4000;
    const movedHire = Date.now() + 11_000;
    await env.put(pendingId, workerRecord({ hireDate: new Date(firstHire + 2000).toISOString() }));
    await env.put(prehireId, workerRecord({ hireDate: new Date(firstHire).toISOString() }));
    await inState(pendingId, 'pending');
    await inState(prehireId, 'prehire');

    await env.put(pendingId, workerRecord({ hireDate: new Date(movedHire + 20_000).toISOString() }));
    await env.put(prehireId, workerRecord({ hireDate: new Date(movedHire).toISOString() }));
    const repending = await waitFor(async () => {
      const identity = await env.identity(pendingId);
      return identity?.nextAction?.at === new Date(movedHire + 20_000 - leadMs).toISOString() ? identity : undefined;
    });
    expect(repending.state).toBe('pending');

    // Past both original instants: still not provisioned, still not enabled.
    await new Promise((resolve) => setTimeout(resolve, firstHire + 3000 - Date.now()));
    expect(await env.entry(pendingId)).toBeUndefined();
    expect((await env.identity(pendingId)).state).toBe('pending');
    const stillDisabled = await env.identity(prehireId);
    expect(stillDisabled.state).toBe('prehire');
    expect(stillDisabled.nextAction).toEqual({ action: 'enable', at: new Date(movedHire).toISOString() });
    expect(isLocked((await env.entry(prehireId))!)).toBe(true);

    await inState(prehireId, 'active');
    expect(await enteredAt(prehireId, 'active')).toBeGreaterThanOrEqual(movedHire);
  });
});

describe('mover', () => {
  it('attribute changes reach the entry within seconds, and removed attributes are removed', async () => {
    const id = newEmployeeId();
    await env.put(id, workerRecord({ givenName: 'Margaret', familyName: 'Hamilton', jobTitle: 'Engineer', location: 'Cambridge' }));
    await inState(id, 'active');
    await env.put(
      id,
      workerRecord({ givenName: 'Margaret', preferredName: 'Maggie', familyName: 'Hamilton', jobTitle: 'Director', department: 'Apollo', employeeType: 'Contractor' }),
    );
    const entry = await waitFor(async () => {
      const e = await env.entry(id);
      return e?.title === 'Director' ? e : undefined;
    });
    expect(entry).toMatchObject({ departmentNumber: 'Apollo', givenName: 'Maggie', displayName: 'Maggie Hamilton', cn: 'Maggie Hamilton', employeeType: 'contractor' });
    expect(entry.l).toBeUndefined();
    expect(entry.uid).toBe('margaret.hamilton');
    // The trail is written just after the directory change.
    const updated = await waitFor(async () => (await env.events(id)).find((e) => e.kind === 'account.updated'));
    expect(updated.details.changes).toMatchObject({ title: { from: 'Engineer', to: 'Director' }, l: { from: 'Cambridge', to: null } });
  });

  it('the manager reference points at the manager entry, and is filled in when the manager arrives after the report', async () => {
    const managerId = newEmployeeId('M');
    const otherManagerId = newEmployeeId('M');
    const reportId = newEmployeeId();
    await env.put(reportId, workerRecord({ managerEmployeeId: managerId }));
    await inState(reportId, 'active');
    expect((await env.entry(reportId))!.manager).toBeUndefined();

    await env.put(managerId, workerRecord({ givenName: 'Boss' }));
    await inState(managerId, 'active');
    const managerDn = (await env.entry(managerId))!.dn;
    await waitFor(async () => (await env.entry(reportId))?.manager === managerDn, { what: 'the late manager reference' });
    expect((await env.identity(reportId)).manager).toMatchObject({ employeeId: managerId, username: expect.stringMatching(/^boss\./) });

    await env.put(otherManagerId, workerRecord({ givenName: 'Other' }));
    await inState(otherManagerId, 'active');
    await env.put(reportId, workerRecord({ managerEmployeeId: otherManagerId }));
    const otherDn = (await env.entry(otherManagerId))!.dn;
    await waitFor(async () => (await env.entry(reportId))?.manager === otherDn, { what: 'the new manager reference' });
  });
});

describe('leaver', () => {
  it('at the leave instant the account is disabled and leaves every group; after retention it is deleted', async () => {
    const id = newEmployeeId();
    const colleague = `uid=colleague-${id},ou=people,${env.ldapBase}`;
    const record = workerRecord();
    await env.put(id, record);
    await inState(id, 'active');
    const dn = (await env.entry(id))!.dn;
    await setPassword(dn);
    expect(await canBind(dn)).toBe(true);
    const shared = await addGroup(`shared-${id}`, [colleague, dn]);
    const solo = await addGroup(`solo-${id}`, [dn]);

    const leaveAt = Date.now() + 2500;
    await env.put(id, { ...record, asOf: inMs(0), leaveDate: new Date(leaveAt).toISOString() });
    const armed = await waitFor(async () => {
      const identity = await env.identity(id);
      return identity?.nextAction?.action === 'disable' ? identity : undefined;
    });
    expect(armed.nextAction.at).toBe(new Date(leaveAt).toISOString());

    const terminated = await inState(id, 'terminated');
    expect(await enteredAt(id, 'terminated')).toBeGreaterThanOrEqual(leaveAt);
    expect(terminated.nextAction).toEqual({ action: 'delete', at: new Date(leaveAt + retentionMs).toISOString() });
    expect(isLocked((await env.entry(id))!)).toBe(true);
    expect(await canBind(dn)).toBe(false);
    expect(await members(shared)).toEqual([colleague]);
    expect(await members(solo)).not.toContain(dn);
    const trail = await env.events(id);
    expect(trail.map((e) => e.kind)).toEqual(expect.arrayContaining(['record.leave', 'account.disabled', 'membership.removed']));

    const deleted = await inState(id, 'deleted');
    expect(await enteredAt(id, 'deleted')).toBeGreaterThanOrEqual(leaveAt + retentionMs);
    expect(deleted.accounts).toEqual([]);
    expect(await env.entry(id)).toBeUndefined();
    expect((await env.events(id)).some((e) => e.kind === 'account.deleted')).toBe(true);
  });

  it('a leave date removed before it passes rescinds the termination; a moved one is re-armed', async () => {
    const rescinded = newEmployeeId();
    const moved = newEmployeeId();
    const rescindedRecord = workerRecord();
    const movedRecord = workerRecord();
    await env.put(rescinded, rescindedRecord);
    await env.put(moved, movedRecord);
    await inState(rescinded, 'active');
    await inState(moved, 'active');

    const leaveAt = Date.now() + 3000;
    const movedLeaveAt = Date.now() + 7000;
    await env.put(rescinded, { ...rescindedRecord, asOf: inMs(0), leaveDate: new Date(leaveAt).toISOString() });
    await env.put(moved, { ...movedRecord, asOf: inMs(0), leaveDate: new Date(leaveAt).toISOString() });
    await waitFor(async () => (await env.identity(rescinded))?.nextAction?.action === 'disable');
    await env.put(rescinded, { ...rescindedRecord, asOf: inMs(0) });
    await env.put(moved, { ...movedRecord, asOf: inMs(0), leaveDate: new Date(movedLeaveAt).toISOString() });

    await new Promise((resolve) => setTimeout(resolve, leaveAt + 1500 - Date.now()));
    const stillActive = await env.identity(rescinded);
    expect(stillActive.state).toBe('active');
    expect(stillActive.nextAction).toBeNull();
    expect(isLocked((await env.entry(rescinded))!)).toBe(false);
    expect((await env.events(rescinded)).some((e) => e.kind === 'record.rescind-leave')).toBe(true);
    const notYet = await env.identity(moved);
    expect(notYet.state).toBe('active');
    expect(notYet.nextAction).toEqual({ action: 'disable', at: new Date(movedLeaveAt).toISOString() });

    await inState(moved, 'terminated');
    expect(await enteredAt(moved, 'terminated')).toBeGreaterThanOrEqual(movedLeaveAt);
  });
});

describe('withdrawal and rehire', () => {
  it('DELETE before the hire date removes the pre-provisioned accounts and cancels', async () => {
    const id = newEmployeeId();
    const hireAt = Date.now() + 2500;
    await env.put(id, workerRecord({ hireDate: new Date(hireAt).toISOString() }));
    await inState(id, 'prehire');
    expect(await env.entry(id)).toBeDefined();

    expect((await env.request('DELETE', `/v1/workers/${id}`)).status).toBe(202);
    const cancelled = await inState(id, 'cancelled');
    expect(cancelled.accounts).toEqual([]);
    expect(await env.entry(id)).toBeUndefined();
    await new Promise((resolve) => setTimeout(resolve, hireAt + 1000 - Date.now()));
    expect((await env.identity(id)).state).toBe('cancelled');
    expect(await env.entry(id)).toBeUndefined();
    expect((await env.events(id)).map((e) => e.kind)).toEqual(expect.arrayContaining(['record.withdrawn', 'account.deleted']));
  });

  it('DELETE of an unknown worker answers 404', async () => {
    const res = await env.request('DELETE', `/v1/workers/${newEmployeeId()}`);
    expect(res.status).toBe(404);
  });

  it('a rehire within retention gets the same account and username back at the new hire instant', async () => {
    const id = newEmployeeId();
    const record = workerRecord({ hireDate: '2024-03-01' });
    await env.put(id, record);
    const first = await inState(id, 'active');
    const firstDn = (await env.entry(id))!.dn;

    const leaveAt = Date.now() + 1500;
    await env.put(id, { ...record, asOf: inMs(0), leaveDate: new Date(leaveAt).toISOString() });
    await inState(id, 'terminated');
    // The new hire is after the old retention would have ended: the account must survive it.
    const rehireAt = leaveAt + retentionMs + 2500;
    await env.put(id, { ...record, asOf: inMs(0), hireDate: new Date(rehireAt).toISOString() });
    const waiting = await inState(id, 'prehire');
    expect(waiting.nextAction).toEqual({ action: 'enable', at: new Date(rehireAt).toISOString() });
    expect((await env.events(id)).some((e) => e.kind === 'record.rehire')).toBe(true);

    await new Promise((resolve) => setTimeout(resolve, leaveAt + retentionMs + 1000 - Date.now()));
    expect(await env.entry(id)).toBeDefined();
    expect(isLocked((await env.entry(id))!)).toBe(true);

    const back = await inState(id, 'active');
    expect(await enteredAt(id, 'active')).toBeGreaterThanOrEqual(rehireAt);
    expect(back.username).toBe(first.username);
    const entry = await env.entry(id);
    expect(entry!.dn).toBe(firstDn);
    expect(isLocked(entry!)).toBe(false);
    expect((await env.events(id)).filter((e) => e.kind === 'account.created')).toHaveLength(1);
  });

  it('a rehire after deletion is provisioned afresh', async () => {
    const id = newEmployeeId();
    const record = workerRecord({ hireDate: '2024-03-01' });
    await env.put(id, record);
    const first = await inState(id, 'active');
    await env.put(id, { ...record, asOf: inMs(0), leaveDate: inMs(1000) });
    await inState(id, 'deleted');
    expect(await env.entry(id)).toBeUndefined();

    await env.put(id, { ...record, asOf: inMs(0), hireDate: inMs(0) });
    const back = await inState(id, 'active');
    expect(back.username).toBe(first.username);
    expect(isLocked((await env.entry(id))!)).toBe(false);
    expect((await env.events(id)).filter((e) => e.kind === 'account.created')).toHaveLength(2);
  });
});

describe('stale and duplicate records', () => {
  it('are recorded in the trail and change nothing', async () => {
    const id = newEmployeeId();
    const older = workerRecord({ jobTitle: 'Old title' });
    const newer = workerRecord({ jobTitle: 'New title', familyName: older.familyName });
    await env.put(id, newer);
    await inState(id, 'active');
    expect((await env.put(id, older)).status).toBe(202);
    expect((await env.put(id, newer)).status).toBe(202);
    await waitFor(async () => {
      const kinds = (await env.events(id)).map((e) => e.kind);
      return kinds.includes('record.stale') && kinds.includes('record.duplicate');
    }, { what: 'stale and duplicate events' });
    expect((await env.entry(id))!.title).toBe('New title');
    expect((await env.identity(id)).jobTitle).toBe('New title');
  });
});
