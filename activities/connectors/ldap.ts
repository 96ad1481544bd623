import { Attribute, Change, type Client, type Entry } from 'ldapts';
import { escapeFilterValue } from './ldap-escape';
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
  memberAttribute: 'member' | 'uniqueMember';
}

const lockAttribute = 'pwdAccountLockedTime';
const placeholderMember = 'cn=empty-membership-placeholder';

function values(entry: Entry, name: string): string[] {
  const key = Object.keys(entry).find((k) => k.toLowerCase() === name.toLowerCase());
  const raw = key === undefined ? undefined : entry[key];
  if (raw === undefined) return [];
  const list = Array.isArray(raw) ? raw : [raw];
  return list.map((v) => (Buffer.isBuffer(v) ? v.toString('utf8') : String(v)));
}

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
      return searchEntries.find((entry) => values(entry, 'employeeNumber').includes(employeeId));
    };
    return client ? run(client) : this.session(run);
  }

  /**
   * Removes the person from every group under the base — by DN (groupOfNames,
   * groupOfUniqueNames) and by uid (posixGroup memberUid); answers the groups it left.
   */
  async removeMemberships(dn: string, client?: Client, uid?: string): Promise<string[]> {
    const run = async (c: Client) => {
      const escaped = escapeFilterValue(dn);
      const byUid = uid ? `(memberUid=${escapeFilterValue(uid)})` : '';
      const { searchEntries } = await c.search(this.settings.baseDn, {
        scope: 'sub',
        filter: `(|(member=${escaped})(uniqueMember=${escaped})${byUid})`,
        attributes: ['member', 'uniqueMember', 'memberUid'],
      });
      for (const group of searchEntries) {
        // The directory compares DNs by meaning, so our spelling of the DN finds its own.
        if (values(group, 'member').length > 0) await this.removeMember(c, group.dn, 'member', dn);
        if (values(group, 'uniqueMember').length > 0) await this.removeMember(c, group.dn, 'uniqueMember', dn);
        if (uid && values(group, 'memberUid').includes(uid)) await this.removeMember(c, group.dn, 'memberUid', uid);
      }
      return searchEntries.map((group) => group.dn);
    };
    return client ? run(client) : this.session(run);
  }

  private async removeMember(client: Client, groupDn: string, type: 'member' | 'uniqueMember' | 'memberUid', dn: string): Promise<void> {
    try {
      await client.modify(groupDn, new Change({ operation: 'delete', modification: new Attribute({ type, values: [dn] }) }));
    } catch (error) {
      const code = resultCode(error);
      if (code === 16) return; // no such value: already removed by an earlier attempt
      if (code !== 65 || type === 'memberUid') throw error;
      // groupOfNames needs one member: the last person out leaves a placeholder behind.
      await client.modify(groupDn, new Change({ operation: 'replace', modification: new Attribute({ type, values: [placeholderMember] }) }));
    }
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
      const classes = values(entry, 'objectClass').map((c) => c.toLowerCase());
      return { dn: entry.dn, name: values(entry, 'cn')[0] ?? nameOrDn, memberAttribute: classes.includes('groupofuniquenames') ? 'uniqueMember' : 'member' };
    });
  }

  /** Adds a member; one already there counts as added, and a placeholder left by the last leaver goes. */
  async addMember(group: LdapGroup, memberDn: string): Promise<void> {
    await this.session(async (client) => {
      try {
        await client.modify(group.dn, new Change({ operation: 'add', modification: new Attribute({ type: group.memberAttribute, values: [memberDn] }) }));
      } catch (error) {
        if (resultCode(error) !== 20) throw error; // attributeOrValueExists
      }
      try {
        await client.modify(group.dn, new Change({ operation: 'delete', modification: new Attribute({ type: group.memberAttribute, values: [placeholderMember] }) }));
      } catch (error) {
        if (resultCode(error) !== 16) throw error; // no placeholder there
      }
    });
  }

  async removeMemberFrom(group: LdapGroup, memberDn: string): Promise<void> {
    await this.session((client) => this.removeMember(client, group.dn, group.memberAttribute, memberDn));
  }
}
