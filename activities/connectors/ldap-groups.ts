import { Attribute, Change, type Client, type Entry } from 'ldapts';
import { escapeFilterValue } from './ldap-escape';
import { resultCode } from './ldap-pool';

// Group membership in a directory (OpenLDAP or Active Directory), shared by the provisioning
// connector and lifecycle group tasks. Every step converges: repeating one changes nothing.

export type MemberAttribute = 'member' | 'uniqueMember';

/** groupOfNames must hold a member: the last person out leaves this value behind. */
const placeholderMember = 'cn=empty-membership-placeholder';

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
export async function removeGroupMember(
  client: Client,
  groupDn: string,
  attribute: MemberAttribute | 'memberUid',
  member: string,
  options: { activeDirectory?: boolean } = {},
): Promise<void> {
  const remove = new Change({ operation: 'delete', modification: new Attribute({ type: attribute, values: [member] }) });
  try {
    await client.modify(groupDn, remove);
  } catch (error) {
    const code = resultCode(error);
    // noSuchAttribute; AD answers unwillingToPerform for a value that is not there.
    if (code === 16 || (code === 53 && options.activeDirectory)) return;
    if (code !== 65 || attribute === 'memberUid') throw error;
    // groupOfNames must hold a member: the last one out is swapped for the placeholder in one
    // modify, so a member someone added meanwhile stays.
    await client.modify(groupDn, [new Change({ operation: 'add', modification: new Attribute({ type: attribute, values: [placeholderMember] }) }), remove]);
  }
}

/**
 * Takes a person out of every group under `baseDn`: by DN (groupOfNames, groupOfUniqueNames, AD
 * groups) and, given their uid, by memberUid (posixGroup). Answers the groups they left.
 */
export async function removeFromAllGroups(client: Client, baseDn: string, dn: string, options: { uid?: string; activeDirectory?: boolean } = {}): Promise<string[]> {
  const escaped = escapeFilterValue(dn);
  const byUid = options.uid ? `(memberUid=${escapeFilterValue(options.uid)})` : '';
  const { searchEntries } = await client.search(baseDn, {
    scope: 'sub',
    filter: `(|(member=${escaped})(uniqueMember=${escaped})${byUid})`,
    // Member lists are not read: they may be huge, and AD hands large ones back in ranges.
    attributes: ['objectClass'],
    paged: { pageSize: 500 },
  });
  for (const group of searchEntries) {
    // The directory compares DNs by meaning, so our spelling of the DN finds its own.
    const attribute = memberAttributeOf(group);
    if (attribute) await removeGroupMember(client, group.dn, attribute, dn, options);
    const posix = entryValues(group, 'objectClass').some((c) => c.toLowerCase() === 'posixgroup');
    if (options.uid && posix) await removeGroupMember(client, group.dn, 'memberUid', options.uid);
  }
  return searchEntries.map((group) => group.dn);
}
