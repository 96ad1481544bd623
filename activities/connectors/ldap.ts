import type { Client, Entry } from 'ldapts';
import { escapeFilterValue } from './ldap-escape';
import { addGroupMember, entryValues, memberAttributeOf, removeFromAllGroups, removeGroupMember, type MemberAttribute } from './ldap-groups';
import { LdapPool, resultCode } from './ldap-pool';

// The OpenLDAP directory's groups, for lifecycle tasks (add to, remove from groups), and the
// person entry lookup by anchor. Accounts themselves go through the target connectors.

export interface LdapSettings {
  url: string;
  bindDn: string;
  bindPassword: string;
  baseDn: string;
  peopleDn: string;
  groupsDn: string;
}

export interface LdapGroup {
  dn: string;
  name: string;
  memberAttribute: MemberAttribute;
}

const lockAttribute = 'pwdAccountLockedTime';

export class LdapDirectory {
  private readonly pool: LdapPool;

  constructor(readonly settings: LdapSettings) {
    this.pool = new LdapPool(settings);
  }

  session<T>(work: (client: Client) => Promise<T>): Promise<T> {
    return this.pool.session(work);
  }

  close(): Promise<void> {
    return this.pool.close();
  }

  async findByAnchor(employeeId: string, client?: Client): Promise<Entry | undefined> {
    const run = async (c: Client) => {
      const { searchEntries } = await c.search(this.settings.peopleDn, {
        scope: 'sub',
        filter: `(&(objectClass=inetOrgPerson)(employeeNumber=${escapeFilterValue(employeeId)}))`,
        attributes: ['*', lockAttribute],
      });
      // employeeNumber matches without regard to case; Tenure's ids do not.
      return searchEntries.find((entry) => entryValues(entry, 'employeeNumber').includes(employeeId));
    };
    return client ? run(client) : this.session(run);
  }

  /** Removes the person from every group under the base, by DN and (given the uid) by memberUid; answers the groups left. */
  async removeMemberships(dn: string, client?: Client, uid?: string): Promise<string[]> {
    return client ? removeFromAllGroups(client, this.settings.baseDn, dn, uid) : this.session((c) => removeFromAllGroups(c, this.settings.baseDn, dn, uid));
  }

  /** Finds a group by its cn under the groups container, or by its full DN. */
  async findGroup(nameOrDn: string): Promise<LdapGroup | undefined> {
    return this.session(async (client) => {
      const groupFilter = '(|(objectClass=groupOfNames)(objectClass=groupOfUniqueNames))';
      const isDn = /^[A-Za-z][\w-]*=/.test(nameOrDn) && nameOrDn.includes(',');
      let entries: Entry[];
      try {
        ({ searchEntries: entries } = isDn
          ? await client.search(nameOrDn, { scope: 'base', filter: groupFilter, attributes: ['cn', 'objectClass'] })
          : await client.search(this.settings.groupsDn, { scope: 'sub', filter: `(&${groupFilter}(cn=${escapeFilterValue(nameOrDn)}))`, attributes: ['cn', 'objectClass'] }));
      } catch (error) {
        if (resultCode(error) === 32) return undefined;
        throw error;
      }
      const entry = entries[0];
      if (!entry) return undefined;
      return { dn: entry.dn, name: entryValues(entry, 'cn')[0] ?? nameOrDn, memberAttribute: memberAttributeOf(entry) ?? 'member' };
    });
  }

  async addMember(group: LdapGroup, memberDn: string): Promise<void> {
    await this.session((client) => addGroupMember(client, group.dn, group.memberAttribute, memberDn));
  }

  async removeMemberFrom(group: LdapGroup, memberDn: string): Promise<void> {
    await this.session((client) => removeGroupMember(client, group.dn, group.memberAttribute, memberDn));
  }
}
