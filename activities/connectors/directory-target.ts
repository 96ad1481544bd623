import { randomBytes, randomInt } from 'node:crypto';
import { Attribute, Change, type Client, type Entry } from 'ldapts';
import type { AttributeValue } from '../../domain/targets';
import { escapeDnValue, escapeFilterValue } from './ldap-escape';
import { addGroupMember, entryValues, isGroupMember, memberAttributeOf, removeFromAllGroups, removeGroupMember, type MemberAttribute } from './ldap-groups';
import { LdapPool, resultCode, type LdapPoolSettings } from './ldap-pool';
import { TargetRefusedError, type GroupChanges, type RemoteAccount, type TargetConnector } from './target-connector';

// OpenLDAP and Active Directory behind the target interface. Entries are found by their anchor
// attribute (exact case), named by an RDN attribute from the mappings, disabled by the
// directory's own means: the ppolicy lock on OpenLDAP, userAccountControl on AD.

export interface DirectoryTargetSettings extends LdapPoolSettings {
  kind: 'openldap' | 'active-directory';
  baseDn: string;
  /** Where new entries go unless a mapping-computed container says otherwise. */
  defaultContainer: string;
  rdnAttribute: string;
  anchorAttribute: string;
  objectClasses: string[];
  /** Attributes the mappings write; read back to compare. */
  managedAttributes: string[];
  /** Where groups given by name are looked up; the base DN (the domain on AD) when absent. */
  groupsDn?: string;
}

const permanentLock = '000001010000Z';
const lockAttribute = 'pwdAccountLockedTime';
const accountDisabled = 0x2;
const normalAccount = 0x200;

/** A password AD accepts (length, four character classes); set once and never kept. */
function randomPassword(): string {
  const sets = ['ABCDEFGHJKLMNPQRSTUVWXYZ', 'abcdefghijkmnopqrstuvwxyz', '23456789', '!#%+-=?@_'];
  const chars = [...randomBytes(20)].map((b, i) => sets[i % sets.length]![b % sets[i % sets.length]!.length]!);
  for (let i = chars.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [chars[i], chars[j]] = [chars[j]!, chars[i]!];
  }
  return chars.join('');
}

const parentOf = (dn: string) => dn.slice(dn.search(/(?<!\\),/) + 1);
const rdnValueOf = (dn: string) => dn.slice(dn.indexOf('=') + 1, dn.search(/(?<!\\),/));

export class DirectoryTarget implements TargetConnector {
  private readonly pool: LdapPool;

  constructor(readonly settings: DirectoryTargetSettings) {
    this.pool = new LdapPool(settings);
  }

  private get isAd(): boolean {
    return this.settings.kind === 'active-directory';
  }

  /** The domain naming context (the DC= part of the base). */
  private get domainDn(): string {
    const at = this.settings.baseDn.search(/(^|,)DC=/i);
    return at < 0 ? this.settings.baseDn : this.settings.baseDn.slice(at === 0 ? 0 : at + 1);
  }

  private toAccount(entry: Entry): RemoteAccount {
    const attributes: Record<string, AttributeValue | undefined> = {};
    for (const name of this.settings.managedAttributes) {
      const list = entryValues(entry, name);
      attributes[name] = list.length === 0 ? undefined : list.length === 1 ? list[0] : list;
    }
    const enabled = this.isAd
      ? (Number(entryValues(entry, 'userAccountControl')[0] ?? normalAccount) & accountDisabled) === 0
      : entryValues(entry, lockAttribute).length === 0;
    return { id: entry.dn, attributes, enabled };
  }

  private async search(client: Client, filter: string, base = this.settings.baseDn): Promise<Entry[]> {
    const { searchEntries } = await client.search(base, {
      scope: 'sub',
      filter,
      attributes: [...this.settings.managedAttributes, this.settings.anchorAttribute, this.isAd ? 'userAccountControl' : lockAttribute],
      paged: { pageSize: 500 },
    });
    return searchEntries;
  }

  async find(anchor: string): Promise<RemoteAccount | undefined> {
    return this.pool.session(async (client) => {
      const entries = await this.search(client, `(${this.settings.anchorAttribute}=${escapeFilterValue(anchor)})`);
      // Anchors match without regard to case in the directory; ours do not.
      const entry = entries.find((e) => entryValues(e, this.settings.anchorAttribute).includes(anchor));
      return entry ? this.toAccount(entry) : undefined;
    });
  }

  async create(anchor: string, attributes: Record<string, AttributeValue | undefined>, options: { enabled: boolean; container?: string }): Promise<RemoteAccount> {
    const rdn = attributes[this.settings.rdnAttribute];
    if (typeof rdn !== 'string' || rdn === '') {
      throw new TargetRefusedError(`no value for the naming attribute ${this.settings.rdnAttribute}: map it`, 'missing-rdn');
    }
    const container = options.container ?? this.settings.defaultContainer;
    const entry: Record<string, string | string[]> = { objectClass: this.settings.objectClasses, [this.settings.anchorAttribute]: anchor };
    for (const [name, value] of Object.entries(attributes)) if (value !== undefined) entry[name] = value;
    if (this.isAd) entry.userAccountControl = String(normalAccount | accountDisabled);
    else if (!options.enabled) entry[lockAttribute] = permanentLock;

    return this.pool.session(async (client) => {
      // In AD two people may share a name (cn) within one OU: the second entry's RDN carries its
      // anchor. On OpenLDAP the RDN is the username, which must not change.
      const names = this.isAd ? [rdn, `${rdn} (${anchor})`] : [rdn];
      for (const name of names) {
        const dn = `${this.settings.rdnAttribute}=${escapeDnValue(name)},${container}`;
        try {
          await client.add(dn, { ...entry, [this.settings.rdnAttribute]: name });
        } catch (error) {
          const code = resultCode(error);
          if (code === 32) throw new TargetRefusedError(`the container ${container} does not exist`, 'missing-container');
          if (code === 19 || code === 53 || code === 21) throw new TargetRefusedError(`the directory refused ${dn}: ${(error as Error).message}`, 'refused');
          if (code !== 68) throw error;
          // Already there: ours from an earlier attempt, or someone else's entry under that name.
          const existing = await this.entryAt(client, dn);
          if (existing && entryValues(existing, this.settings.anchorAttribute).includes(anchor)) return this.finishCreate(client, existing, options.enabled);
          // No entry has this DN: AD refused a value that must be unique across the domain.
          if (!existing) {
            throw new TargetRefusedError(`the directory refused ${dn}: a value that must be unique (sAMAccountName, userPrincipalName) is already used`, 'not-unique');
          }
          continue;
        }
        const created = await this.entryAt(client, dn);
        return this.finishCreate(client, created!, options.enabled);
      }
      throw new TargetRefusedError(`${this.settings.rdnAttribute}=${rdn} is taken in ${container}`, 'name-taken');
    });
  }

  /** AD accounts start disabled; a random password (never kept) lets them be enabled. */
  private async finishCreate(client: Client, entry: Entry, enabled: boolean): Promise<RemoteAccount> {
    if (this.isAd) {
      const password = Buffer.from(`"${randomPassword()}"`, 'utf16le');
      await client.modify(entry.dn, new Change({ operation: 'replace', modification: new Attribute({ type: 'unicodePwd', values: [password] }) }));
      if (enabled) await this.writeUac(client, entry.dn, normalAccount);
      return { ...this.toAccount(entry), enabled };
    }
    return this.toAccount(entry);
  }

  private async entryAt(client: Client, dn: string, attributes = [...this.settings.managedAttributes, this.settings.anchorAttribute, this.isAd ? 'userAccountControl' : lockAttribute]): Promise<Entry | undefined> {
    try {
      const { searchEntries } = await client.search(dn, { scope: 'base', attributes });
      return searchEntries[0];
    } catch (error) {
      if (resultCode(error) === 32) return undefined;
      throw error;
    }
  }

  async update(account: RemoteAccount, changes: Record<string, AttributeValue | undefined>, options: { container?: string }): Promise<RemoteAccount> {
    return this.pool.session(async (client) => {
      let dn = account.id;
      const { rdnAttribute } = this.settings;
      const newRdn = changes[rdnAttribute];
      const container = options.container ?? parentOf(dn);
      // The naming attribute and the container change through a rename, not a modify.
      if ((typeof newRdn === 'string' && newRdn !== rdnValueOf(dn)) || container.toLowerCase() !== parentOf(dn).toLowerCase()) {
        const name = typeof newRdn === 'string' ? newRdn : rdnValueOf(dn);
        const target = `${rdnAttribute}=${typeof newRdn === 'string' ? escapeDnValue(name) : name},${container}`;
        try {
          await client.modifyDN(dn, target);
        } catch (error) {
          if (resultCode(error) === 32) throw new TargetRefusedError(`the container ${container} does not exist`, 'missing-container');
          throw error;
        }
        dn = target;
      }
      const modifications = Object.entries(changes)
        .filter(([name]) => name.toLowerCase() !== rdnAttribute.toLowerCase())
        .map(([name, value]) =>
          value === undefined
            ? new Change({ operation: 'delete', modification: new Attribute({ type: name }) })
            : new Change({ operation: 'replace', modification: new Attribute({ type: name, values: Array.isArray(value) ? value : [value] }) }),
        );
      try {
        // One modify: the entry changes all at once.
        if (modifications.length > 0) await client.modify(dn, modifications);
      } catch (error) {
        if (resultCode(error) !== 16) throw error;
        // A delete of an attribute that is not there (already done) failed the batch: one by one instead.
        for (const change of modifications) {
          try {
            await client.modify(dn, change);
          } catch (inner) {
            if (resultCode(inner) === 16 && change.operation === 'delete') continue;
            throw inner;
          }
        }
      }
      const entry = await this.entryAt(client, dn);
      return entry ? this.toAccount(entry) : { ...account, id: dn };
    });
  }

  private async writeUac(client: Client, dn: string, value: number): Promise<void> {
    await client.modify(dn, new Change({ operation: 'replace', modification: new Attribute({ type: 'userAccountControl', values: [String(value)] }) }));
  }

  async setEnabled(account: RemoteAccount, enabled: boolean): Promise<void> {
    await this.pool.session(async (client) => {
      const entry = await this.entryAt(client, account.id);
      if (!entry) throw new TargetRefusedError(`${account.id} is gone`, 'no-account');
      if (this.isAd) {
        // Other userAccountControl bits (password never expires, smart card …) stay as they are.
        const uac = Number(entryValues(entry, 'userAccountControl')[0] ?? normalAccount);
        const next = enabled ? uac & ~accountDisabled : uac | accountDisabled;
        if (next !== uac) await this.writeUac(client, account.id, next);
        return;
      }
      const locked = entryValues(entry, lockAttribute).length > 0;
      if (locked === !enabled) return;
      await client.modify(
        account.id,
        enabled
          ? new Change({ operation: 'delete', modification: new Attribute({ type: lockAttribute }) })
          : new Change({ operation: 'replace', modification: new Attribute({ type: lockAttribute, values: [permanentLock] }) }),
      );
    });
  }

  async removeMemberships(account: RemoteAccount): Promise<string[]> {
    // posixGroup lists people by uid, which OpenLDAP targets map; AD has no such groups.
    const uid = this.isAd ? undefined : account.attributes.uid;
    return this.pool.session((client) =>
      removeFromAllGroups(client, this.isAd ? this.domainDn : this.settings.baseDn, account.id, { uid: typeof uid === 'string' ? uid : undefined, activeDirectory: this.isAd }),
    );
  }

  async syncGroups(account: RemoteAccount, wanted: string[], managed: string[]): Promise<GroupChanges> {
    const want = new Set(wanted.map((dn) => dn.toLowerCase()));
    const changes: GroupChanges = { added: [], removed: [] };
    await this.pool.session(async (client) => {
      for (const groupDn of managed) {
        const attribute = await this.memberAttributeAt(client, groupDn);
        const isMember = await isGroupMember(client, groupDn, attribute, account.id);
        if (want.has(groupDn.toLowerCase()) && !isMember) {
          await addGroupMember(client, groupDn, attribute, account.id, { activeDirectory: this.isAd });
          changes.added.push(groupDn);
        } else if (!want.has(groupDn.toLowerCase()) && isMember) {
          await removeGroupMember(client, groupDn, attribute, account.id, { activeDirectory: this.isAd });
          changes.removed.push(groupDn);
        }
      }
    });
    return changes;
  }

  async findGroup(name: string): Promise<{ key: string; name: string } | undefined> {
    const groupFilter = '(|(objectClass=groupOfNames)(objectClass=groupOfUniqueNames)(objectClass=group))';
    const isDn = /^[A-Za-z][\w-]*=/.test(name) && name.includes(',');
    const base = this.settings.groupsDn ?? (this.isAd ? this.domainDn : this.settings.baseDn);
    return this.pool.session(async (client) => {
      let entries: Entry[];
      try {
        ({ searchEntries: entries } = isDn
          ? await client.search(name, { scope: 'base', filter: groupFilter, attributes: ['cn'] })
          : await client.search(base, { scope: 'sub', filter: `(&${groupFilter}(cn=${escapeFilterValue(name)}))`, attributes: ['cn'], paged: { pageSize: 500 } }));
      } catch (error) {
        if (resultCode(error) === 32) return undefined;
        throw error;
      }
      if (entries.length > 1) throw new TargetRefusedError(`more than one group is named "${name}" (${entries.map((e) => e.dn).join('; ')}): give its DN`, 'ambiguous-group');
      const entry = entries[0];
      return entry ? { key: entry.dn, name: entryValues(entry, 'cn')[0] ?? name } : undefined;
    });
  }

  private async memberAttributeAt(client: Client, groupDn: string): Promise<MemberAttribute> {
    const entry = await this.entryAt(client, groupDn, ['objectClass']);
    if (!entry) throw new TargetRefusedError(`the group ${groupDn} does not exist`, 'missing-group');
    const attribute = memberAttributeOf(entry);
    if (!attribute) throw new TargetRefusedError(`${groupDn} is not a group Tenure can manage (groupOfNames, groupOfUniqueNames or an AD group)`, 'not-a-group');
    return attribute;
  }

  async remove(account: RemoteAccount): Promise<void> {
    await this.removeMemberships(account);
    await this.pool.session(async (client) => {
      try {
        await client.del(account.id);
      } catch (error) {
        if (resultCode(error) !== 32) throw error;
      }
    });
  }

  async isUnique(attribute: string, value: string, anchor: string): Promise<boolean> {
    // AD treats sAMAccountName@domain as an implicit userPrincipalName: both must be free.
    const implicit = this.isAd && attribute.toLowerCase() === 'userprincipalname' && value.includes('@') ? `(sAMAccountName=${escapeFilterValue(value.slice(0, value.lastIndexOf('@')))})` : '';
    return this.pool.session(async (client) => {
      const filter = `(${attribute}=${escapeFilterValue(value)})`;
      // Uniqueness is domain-wide in AD, not only below this target's base.
      const entries = await this.search(client, implicit ? `(|${filter}${implicit})` : filter, this.isAd ? this.domainDn : this.settings.baseDn);
      return entries.every((e) => entryValues(e, this.settings.anchorAttribute).includes(anchor));
    });
  }

  async check(): Promise<void> {
    await this.pool.session((client) => client.search(this.settings.baseDn, { scope: 'base', attributes: ['objectClass'] }));
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}
