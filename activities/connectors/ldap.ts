import { Attribute, Change, Client, type Entry } from 'ldapts';
import { escapeDnValue, escapeFilterValue } from './ldap-escape';

// OpenLDAP connector: inetOrgPerson entries anchored by employeeNumber, disabled with the
// ppolicy lock. Every operation is safe to repeat: it reads by anchor first and converges.

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

/** Attributes Tenure owns on a person entry; anything else on the entry is left alone. */
export const managedLdapAttributes = [
  'cn',
  'sn',
  'givenName',
  'displayName',
  'mail',
  'employeeType',
  'title',
  'departmentNumber',
  'l',
  'manager',
] as const;
export type ManagedLdapAttribute = (typeof managedLdapAttributes)[number];

export interface LdapPerson {
  employeeId: string;
  username: string;
  enabled: boolean;
  attributes: Partial<Record<ManagedLdapAttribute, string>>;
}

export interface EnsureResult {
  dn: string;
  created: boolean;
  /** Managed attributes whose value changed (for the audit trail). */
  changed: ManagedLdapAttribute[];
  enabledChanged: boolean;
}

/** A directory fact that retrying cannot fix; activities turn it into a non-retryable failure. */
export class DirectoryConflictError extends Error {
  constructor(
    message: string,
    readonly code: 'username-taken' | 'missing-container' | 'unknown-group' | 'no-account',
  ) {
    super(message);
    this.name = 'DirectoryConflictError';
  }
}

/** ppolicy treats this value as "locked until an administrator unlocks". */
const permanentLock = '000001010000Z';
const lockAttribute = 'pwdAccountLockedTime';
const placeholderMember = 'cn=empty-membership-placeholder';

/** The LDAP result code of a directory's answer; undefined for socket errors (whose code is a string). */
function resultCode(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'number' ? code : undefined;
}

function values(entry: Entry, name: string): string[] {
  const key = Object.keys(entry).find((k) => k.toLowerCase() === name.toLowerCase());
  const raw = key === undefined ? undefined : entry[key];
  if (raw === undefined) return [];
  const list = Array.isArray(raw) ? raw : [raw];
  return list.map((v) => (Buffer.isBuffer(v) ? v.toString('utf8') : String(v)));
}

export class LdapDirectory {
  /** Bound connections shared round-robin; LDAP multiplexes concurrent operations on each. */
  private readonly pool: (Promise<Client> | undefined)[];
  private turn = 0;

  constructor(
    readonly settings: LdapSettings,
    poolSize = 4,
  ) {
    this.pool = new Array<Promise<Client> | undefined>(poolSize).fill(undefined);
  }

  private async connect(): Promise<Client> {
    // autoRebind: a connection the server dropped comes back bound on the next operation.
    const client = new Client({ url: this.settings.url, timeout: 15_000, connectTimeout: 5_000, strictDN: false, autoRebind: true });
    await client.bind(this.settings.bindDn, this.settings.bindPassword);
    return client;
  }

  async session<T>(work: (client: Client) => Promise<T>): Promise<T> {
    const slot = this.turn++ % this.pool.length;
    const pooled = (this.pool[slot] ??= this.connect());
    let client: Client;
    try {
      client = await pooled;
    } catch (error) {
      this.pool[slot] = undefined;
      throw error;
    }
    try {
      return await work(client);
    } catch (error) {
      // A result code is the directory's answer; anything else may be a broken connection.
      if (resultCode(error) === undefined && this.pool[slot] === pooled) {
        this.pool[slot] = undefined;
        void client.unbind().catch(() => {});
      }
      throw error;
    }
  }

  async close(): Promise<void> {
    const clients = this.pool.splice(0, this.pool.length, ...new Array<undefined>(this.pool.length).fill(undefined));
    await Promise.all(clients.map(async (c) => (await c?.catch(() => undefined))?.unbind().catch(() => {})));
  }

  personDn(username: string): string {
    return `uid=${escapeDnValue(username)},${this.settings.peopleDn}`;
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

  /** True when no entry other than this person's uses the username or the mail address. */
  async isUsernameFree(username: string, mail: string, employeeId: string): Promise<boolean> {
    return this.session(async (client) => {
      const { searchEntries } = await client.search(this.settings.baseDn, {
        scope: 'sub',
        filter: `(&(|(uid=${escapeFilterValue(username)})(mail=${escapeFilterValue(mail)}))(!(employeeNumber=${escapeFilterValue(employeeId)})))`,
        attributes: ['dn'],
        sizeLimit: 1,
      });
      return searchEntries.length === 0;
    });
  }

  /** Creates the entry or brings it to the desired attributes and lock state. */
  async ensurePerson(person: LdapPerson): Promise<EnsureResult> {
    return this.session(async (client) => {
      let existing = await this.findByAnchor(person.employeeId, client);
      if (!existing) {
        const dn = this.personDn(person.username);
        try {
          await client.add(dn, this.newEntry(person));
          return { dn, created: true, changed: [], enabledChanged: false };
        } catch (error) {
          if (resultCode(error) === 32) {
            throw new DirectoryConflictError(`the people container ${this.settings.peopleDn} does not exist`, 'missing-container');
          }
          if (resultCode(error) !== 68) throw error;
          // Already exists: ours from an earlier attempt, or someone else's entry under that name.
          existing = await this.entryAt(client, dn);
          if (!existing || !values(existing, 'employeeNumber').includes(person.employeeId)) {
            throw new DirectoryConflictError(`${dn} exists and belongs to someone else`, 'username-taken');
          }
        }
      }
      return this.converge(client, existing, person);
    });
  }

  private newEntry(person: LdapPerson): Record<string, string | string[]> {
    const entry: Record<string, string | string[]> = {
      objectClass: ['top', 'person', 'organizationalPerson', 'inetOrgPerson'],
      uid: person.username,
      employeeNumber: person.employeeId,
    };
    for (const name of managedLdapAttributes) {
      const value = person.attributes[name];
      if (value) entry[name] = value;
    }
    if (!person.enabled) entry[lockAttribute] = permanentLock;
    return entry;
  }

  private async entryAt(client: Client, dn: string): Promise<Entry | undefined> {
    try {
      const { searchEntries } = await client.search(dn, { scope: 'base', attributes: ['*', lockAttribute] });
      return searchEntries[0];
    } catch (error) {
      if (resultCode(error) === 32) return undefined;
      throw error;
    }
  }

  private async converge(client: Client, entry: Entry, person: LdapPerson): Promise<EnsureResult> {
    const changes: Change[] = [];
    const changed: ManagedLdapAttribute[] = [];
    for (const name of managedLdapAttributes) {
      const want = person.attributes[name];
      const have = values(entry, name);
      if (want) {
        if (have.length !== 1 || have[0] !== want) {
          changes.push(new Change({ operation: 'replace', modification: new Attribute({ type: name, values: [want] }) }));
          changed.push(name);
        }
      } else if (have.length > 0) {
        changes.push(new Change({ operation: 'delete', modification: new Attribute({ type: name }) }));
        changed.push(name);
      }
    }
    const locked = values(entry, lockAttribute).length > 0;
    const enabledChanged = locked === person.enabled;
    if (enabledChanged) {
      changes.push(
        person.enabled
          ? new Change({ operation: 'delete', modification: new Attribute({ type: lockAttribute }) })
          : new Change({ operation: 'replace', modification: new Attribute({ type: lockAttribute, values: [permanentLock] }) }),
      );
    }
    if (changes.length > 0) await client.modify(entry.dn, changes);
    return { dn: entry.dn, created: false, changed, enabledChanged };
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

  /** Locks or unlocks the person's entry without touching anything else. */
  async setLocked(employeeId: string, locked: boolean): Promise<string> {
    return this.session(async (client) => {
      const entry = await this.findByAnchor(employeeId, client);
      if (!entry) throw new DirectoryConflictError(`no entry with employeeNumber ${employeeId}`, 'no-account');
      const isLocked = values(entry, lockAttribute).length > 0;
      if (isLocked !== locked) {
        await client.modify(
          entry.dn,
          locked
            ? new Change({ operation: 'replace', modification: new Attribute({ type: lockAttribute, values: [permanentLock] }) })
            : new Change({ operation: 'delete', modification: new Attribute({ type: lockAttribute }) }),
        );
      }
      return entry.dn;
    });
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

  /** Deletes the person's entry (after leaving every group); answers the DN, or undefined if none was left. */
  async deletePerson(employeeId: string): Promise<{ dn: string; groups: string[] } | undefined> {
    return this.session(async (client) => {
      const entry = await this.findByAnchor(employeeId, client);
      if (!entry) return undefined;
      const groups = await this.removeMemberships(entry.dn, client, values(entry, 'uid')[0]);
      try {
        await client.del(entry.dn);
      } catch (error) {
        if (resultCode(error) !== 32) throw error;
      }
      return { dn: entry.dn, groups };
    });
  }
}
