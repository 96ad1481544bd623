import { Attribute, Change, type Client, type Entry } from 'ldapts';
import { escapeFilterValue } from './ldap-escape';
import { resultCode } from './ldap-pool';

// Group membership in a directory (OpenLDAP or Active Directory), shared by the provisioning
// connector and lifecycle group tasks. Every step converges: repeating one changes nothing.

export type MemberAttribute = 'member' | 'uniqueMember';

/** groupOfNames must hold a member: the last person out leaves this value behind. */
export const placeholderMember = 'cn=empty-membership-placeholder';

/** An attribute's values as strings, whatever the case of its name in the entry. */
export function entryValues(entry: Entry, name: string): string[] {
  const key = Object.keys(entry).find((k) => k.toLowerCase() === name.toLowerCase());
  const raw = key === undefined ? undefined : entry[key];
  if (raw === undefined) return [];
  return (Array.isArray(raw) ? raw : [raw]).map((v) => (Buffer.isBuffer(v) ? v.toString('utf8') : String(v)));
}

/** The attribute that holds a group's members, from its object classes; undefined when it is no group Tenure manages. */
export function memberAttributeOf(group: Entry): MemberAttribute | undefined {
  const classes = entryValues(group, 'objectClass').map((c) => c.toLowerCase());
  if (classes.includes('groupofuniquenames')) return 'uniqueMember';
  if (classes.includes('groupofnames') || classes.includes('group')) return 'member';
  return undefined;
}

/** Asked of the directory, not read off the member list: a group may hold many thousands. */
export async function isGroupMember(client: Client, groupDn: string, attribute: MemberAttribute, member: string): Promise<boolean> {
  const { searchEntries } = await client.search(groupDn, { scope: 'base', filter: `(${attribute}=${escapeFilterValue(member)})`, attributes: ['1.1'] });
  return searchEntries.length > 0;
}

/** Adds a member; one already there counts as added. On OpenLDAP a placeholder left by the last leaver goes. */
export async function addGroupMember(client: Client, groupDn: string, attribute: MemberAttribute, member: string, options: { activeDirectory?: boolean } = {}): Promise<void> {
  try {
    await client.modify(groupDn, new Change({ operation: 'add', modification: new Attribute({ type: attribute, values: [member] }) }));
  } catch (error) {
    // attributeOrValueExists (OpenLDAP) or entryAlreadyExists (AD): an earlier attempt added it.
    if (resultCode(error) !== 20 && resultCode(error) !== 68) throw error;
  }
  // AD groups may be empty, so they never hold the placeholder.
  if (options.activeDirectory) return;
  try {
    await client.modify(groupDn, new Change({ operation: 'delete', modification: new Attribute({ type: attribute, values: [placeholderMember] }) }));
  } catch (error) {
    if (resultCode(error) !== 16) throw error;
  }
}

/** Removes a member; one already gone counts as removed. */
export async function removeGroupMember(client: Client, groupDn: string, attribute: MemberAttribute | 'memberUid', member: string): Promise<void> {
  try {
    await client.modify(groupDn, new Change({ operation: 'delete', modification: new Attribute({ type: attribute, values: [member] }) }));
  } catch (error) {
    const code = resultCode(error);
    if (code === 16) return;
    if (code !== 65 || attribute === 'memberUid') throw error;
    await client.modify(groupDn, new Change({ operation: 'replace', modification: new Attribute({ type: attribute, values: [placeholderMember] }) }));
  }
}

/**
 * Takes a person out of every group under `baseDn`: by DN (groupOfNames, groupOfUniqueNames, AD
 * groups) and, given their uid, by memberUid (posixGroup). Answers the groups they left.
 */
export async function removeFromAllGroups(client: Client, baseDn: string, dn: string, uid?: string): Promise<string[]> {
  const escaped = escapeFilterValue(dn);
  const byUid = uid ? `(memberUid=${escapeFilterValue(uid)})` : '';
  const { searchEntries } = await client.search(baseDn, {
    scope: 'sub',
    filter: `(|(member=${escaped})(uniqueMember=${escaped})${byUid})`,
    attributes: ['member', 'uniqueMember', 'memberUid'],
    paged: { pageSize: 500 },
  });
  for (const group of searchEntries) {
    // The directory compares DNs by meaning, so our spelling of the DN finds its own.
    if (entryValues(group, 'member').length > 0) await removeGroupMember(client, group.dn, 'member', dn);
    if (entryValues(group, 'uniqueMember').length > 0) await removeGroupMember(client, group.dn, 'uniqueMember', dn);
    if (uid && entryValues(group, 'memberUid').includes(uid)) await removeGroupMember(client, group.dn, 'memberUid', uid);
  }
  return searchEntries.map((group) => group.dn);
}
