import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScimTarget } from '../../activities/connectors/scim-target';
import { TargetRefusedError } from '../../activities/connectors/target-connector';
import { startScimServer } from '../helpers/scim-server';

// The SCIM connector alone against an independent SCIM server (scimmy): authentication, the
// answers it must treat as facts, and group membership by PATCH.

const basic = { username: 'tenure', password: 'pa:ss wörd' };
let scim: Awaited<ReturnType<typeof startScimServer>>;

const connector = (auth: ConstructorParameters<typeof ScimTarget>[0]['auth']) =>
  new ScimTarget({ baseUrl: scim.baseUrl, auth, managedAttributes: ['userName', 'displayName'] });

beforeAll(async () => {
  scim = await startScimServer('bearer-token', basic);
  scim.addGroup('Engineering');
  scim.addGroup('Sales');
});

afterAll(async () => {
  await scim?.stop();
});

describe('authentication', () => {
  it('works with basic auth, a password with a colon and non-ASCII included', async () => {
    const target = connector({ type: 'basic', ...basic });
    await target.check();
    const account = await target.create('S-BASIC', { userName: 'basic.user', displayName: 'Basic User' }, { enabled: true });
    expect(scim.byExternalId('S-BASIC')).toEqual([expect.objectContaining({ id: account.id, userName: 'basic.user' })]);
  });

  it.each([
    ['a wrong password', { type: 'basic' as const, username: 'tenure', password: 'nope' }],
    ['a wrong bearer token', { type: 'bearer' as const, token: 'nope' }],
  ])('refuses %s as a fact, not an outage to retry', async (_, auth) => {
    const error = await connector(auth).find('S-BASIC').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TargetRefusedError);
    expect(error).toMatchObject({ code: 'unauthorized' });
  });
});

describe('answers that are facts', () => {
  const target = () => connector({ type: 'bearer', token: 'bearer-token' });

  it('a 409 for a userName held by someone else is refused; a 409 for our own earlier attempt finds it', async () => {
    const first = await target().create('S-409', { userName: 'taken.name' }, { enabled: true });
    expect(await target().create('S-409', { userName: 'taken.name' }, { enabled: true })).toMatchObject({ id: first.id });
    const error = await target().create('S-OTHER', { userName: 'TAKEN.name' }, { enabled: true }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'conflict' });
    expect(scim.byExternalId('S-OTHER')).toEqual([]);
  });

  it('deleting a user already gone is done', async () => {
    const account = await target().create('S-GONE', { userName: 'gone.user' }, { enabled: true });
    await target().remove(account);
    await target().remove(account);
    expect(scim.byExternalId('S-GONE')).toEqual([]);
  });
});

describe('group membership by PATCH', () => {
  const target = () => connector({ type: 'bearer', token: 'bearer-token' });

  it('joins the wanted groups, leaves the unwanted ones, and a repeat changes nothing', async () => {
    const account = await target().create('S-GROUPS', { userName: 'group.user' }, { enabled: true });
    expect(await target().syncGroups(account, ['Engineering'], ['Engineering', 'Sales'])).toEqual({ added: ['Engineering'], removed: [] });
    expect(await target().syncGroups(account, ['Engineering'], ['Engineering', 'Sales'])).toEqual({ added: [], removed: [] });
    expect(scim.membersOf('Engineering')).toContain(account.id);

    expect(await target().syncGroups(account, ['Sales'], ['Engineering', 'Sales'])).toEqual({ added: ['Sales'], removed: ['Engineering'] });
    expect(scim.membersOf('Engineering')).not.toContain(account.id);
    expect(scim.membersOf('Sales')).toContain(account.id);
    const patches = scim.requests.filter((r) => r.method === 'PATCH');
    expect(patches.length).toBeGreaterThanOrEqual(3);
  });

  it('leaves groups it does not manage alone, but a leaver is taken out of every group', async () => {
    const account = await target().create('S-LEAVER', { userName: 'leaver.user' }, { enabled: true });
    await target().syncGroups(account, ['Engineering', 'Sales'], ['Engineering', 'Sales']);
    expect(await target().syncGroups(account, [], ['Sales'])).toEqual({ added: [], removed: ['Sales'] });
    expect(scim.membersOf('Engineering')).toContain(account.id);
    expect(await target().removeMemberships(account)).toEqual(['Engineering']);
    expect(scim.membersOf('Engineering')).not.toContain(account.id);
    expect(await target().removeMemberships(account)).toEqual([]);
  });

  it('refuses a group the application does not have, naming it', async () => {
    const account = (await target().find('S-GROUPS'))!;
    const error = await target().syncGroups(account, ['Marketing'], ['Marketing']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TargetRefusedError);
    expect(error).toMatchObject({ code: 'missing-group', message: expect.stringContaining('"Marketing"') });
  });

  it('treats an application without groups (501) as a fact: a leaver has none to leave, and managed groups are refused', async () => {
    const account = (await target().find('S-GROUPS'))!;
    scim.faults.noGroups = true;
    try {
      expect(await target().removeMemberships(account)).toEqual([]);
      const error = await target().syncGroups(account, ['Sales'], ['Sales']).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TargetRefusedError);
      expect(error).toMatchObject({ code: 'groups-unsupported' });
    } finally {
      scim.faults.noGroups = false;
    }
  });
});
