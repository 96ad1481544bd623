import type { AttributeValue } from '../../domain/targets';
import { TargetRefusedError, TargetThrottledError, type GroupChanges, type RemoteAccount, type TargetConnector } from './target-connector';

// A SCIM 2.0 client (RFC 7643/7644) for SaaS applications: users found by externalId, created
// with POST, changed with PATCH of only what differs, disabled with active=false, removed with
// DELETE. Mapping targets are SCIM paths: userName, name.givenName, emails[type eq "work"].value.

export interface ScimTargetSettings {
  baseUrl: string;
  auth: { type: 'bearer'; token: string } | { type: 'basic'; username: string; password: string };
  managedAttributes: string[];
  timeoutMs?: number;
}

const userSchema = 'urn:ietf:params:scim:schemas:core:2.0:User';
const patchSchema = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

type Json = Record<string, unknown>;

/** A SCIM attribute path: `a`, `a.b`, or `a[type eq "x"].b` (a filtered multi-valued attribute). */
interface Path {
  attribute: string;
  filter?: { attribute: string; value: string };
  sub?: string;
}

const pathPattern = /^([A-Za-z][\w$-]*)(?:\[([A-Za-z][\w$-]*) eq "((?:[^"\\]|\\.)*)"\])?(?:\.([A-Za-z][\w$-]*))?$/;

export function parseScimPath(path: string): Path {
  const match = pathPattern.exec(path);
  if (!match) throw new TargetRefusedError(`"${path}" is not a SCIM path this connector writes (a, a.b or a[type eq "x"].b)`, 'bad-path');
  const [, attribute, filterAttribute, filterValue, sub] = match;
  return { attribute: attribute!, ...(filterAttribute ? { filter: { attribute: filterAttribute, value: filterValue!.replace(/\\(.)/g, '$1') } } : {}), ...(sub ? { sub } : {}) };
}

/** A string literal for a SCIM filter: quotes and backslashes escaped. */
export function scimString(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** 400 (a filter it does not support), 404 (no /Groups) and 501: the application has no groups for us. */
const groupsUnsupported = (status: number) => status === 400 || status === 404 || status === 501;

const removeMember = (id: string): Json => ({ op: 'remove', path: `members[value eq ${scimString(id)}]` });

function read(resource: Json, path: Path): AttributeValue | undefined {
  const base = resource[path.attribute];
  if (path.filter) {
    if (!Array.isArray(base)) return undefined;
    const item = base.find((v) => typeof v === 'object' && v !== null && (v as Json)[path.filter!.attribute] === path.filter!.value) as Json | undefined;
    const value = item && path.sub ? item[path.sub] : item;
    return value === undefined || value === null ? undefined : String(value);
  }
  if (path.sub) {
    const value = typeof base === 'object' && base !== null ? (base as Json)[path.sub] : undefined;
    return value === undefined || value === null ? undefined : String(value);
  }
  if (base === undefined || base === null) return undefined;
  return Array.isArray(base) ? base.map(String) : String(base);
}

function write(resource: Json, path: Path, value: AttributeValue): void {
  if (path.filter) {
    const list = (Array.isArray(resource[path.attribute]) ? resource[path.attribute] : []) as Json[];
    let item = list.find((v) => v[path.filter!.attribute] === path.filter!.value);
    if (!item) {
      item = { [path.filter.attribute]: path.filter.value, ...(path.attribute === 'emails' ? { primary: list.length === 0 } : {}) };
      list.push(item);
    }
    item[path.sub ?? 'value'] = value;
    resource[path.attribute] = list;
  } else if (path.sub) {
    resource[path.attribute] = { ...((resource[path.attribute] as Json) ?? {}), [path.sub]: value };
  } else {
    resource[path.attribute] = value;
  }
}

export class ScimTarget implements TargetConnector {
  private readonly paths: Map<string, Path>;

  constructor(readonly settings: ScimTargetSettings) {
    this.paths = new Map(settings.managedAttributes.map((a) => [a, parseScimPath(a)]));
  }

  private async call(method: string, path: string, body?: unknown): Promise<{ status: number; json?: Json }> {
    const headers: Record<string, string> = { accept: 'application/scim+json, application/json' };
    if (body !== undefined) headers['content-type'] = 'application/scim+json';
    const { auth } = this.settings;
    headers.authorization = auth.type === 'bearer' ? `Bearer ${auth.token}` : `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
    const url = `${this.settings.baseUrl.replace(/\/$/, '')}${path}`;
    const response = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal: AbortSignal.timeout(this.settings.timeoutMs ?? 15_000) });
    const text = await response.text();
    const json = text ? (JSON.parse(text) as Json) : undefined;
    if (response.status === 429) {
      const retryAfter = Number(response.headers.get('retry-after'));
      throw new TargetThrottledError(`${method} ${path} answered 429`, Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : 5000);
    }
    // 501 Not Implemented is an answer about the application, not an outage.
    if (response.status >= 500 && response.status !== 501) throw new Error(`${method} ${path} answered ${response.status}`);
    if (response.status === 401 || response.status === 403) throw new TargetRefusedError(`${method} ${path} answered ${response.status}: check the credentials`, 'unauthorized', 'target');
    return { status: response.status, json };
  }

  private toAccount(resource: Json): RemoteAccount {
    const attributes: Record<string, AttributeValue | undefined> = {};
    for (const [name, path] of this.paths) attributes[name] = read(resource, path);
    return { id: String(resource.id), attributes, enabled: resource.active !== false };
  }

  private async query(filter: string): Promise<Json[]> {
    const { status, json } = await this.call('GET', `/Users?filter=${encodeURIComponent(filter)}`);
    if (status !== 200) throw new Error(`GET /Users answered ${status}`);
    return ((json?.Resources as Json[] | undefined) ?? []).filter((r) => typeof r === 'object' && r !== null);
  }

  async find(anchor: string): Promise<RemoteAccount | undefined> {
    const [resource] = (await this.query(`externalId eq ${scimString(anchor)}`)).filter((r) => r.externalId === anchor);
    return resource ? this.toAccount(resource) : undefined;
  }

  async create(anchor: string, attributes: Record<string, AttributeValue | undefined>, options: { enabled: boolean }): Promise<RemoteAccount> {
    const resource: Json = { schemas: [userSchema], externalId: anchor, active: options.enabled };
    for (const [name, value] of Object.entries(attributes)) if (value !== undefined) write(resource, this.paths.get(name) ?? parseScimPath(name), value);
    const { status, json } = await this.call('POST', '/Users', resource);
    if (status === 201 || status === 200) return this.toAccount(json!);
    if (status === 409) {
      // Already there: ours from an earlier attempt, or someone else's user with that userName.
      const ours = await this.find(anchor);
      if (ours) return ours;
      throw new TargetRefusedError(`the application already has a user ${String(attributes.userName ?? '')} that is not ${anchor}`, 'conflict');
    }
    throw new TargetRefusedError(`POST /Users answered ${status}: ${JSON.stringify(json?.detail ?? json ?? '')}`, 'refused');
  }

  private async patch(id: string, operations: Json[]): Promise<Json | undefined> {
    if (operations.length === 0) return undefined;
    const { status, json } = await this.call('PATCH', `/Users/${encodeURIComponent(id)}`, { schemas: [patchSchema], Operations: operations });
    if (status === 404) throw new TargetRefusedError(`user ${id} is gone from the application`, 'no-account');
    if (status !== 200 && status !== 204) throw new TargetRefusedError(`PATCH /Users/${id} answered ${status}: ${JSON.stringify(json?.detail ?? '')}`, 'refused');
    return json;
  }

  async update(account: RemoteAccount, changes: Record<string, AttributeValue | undefined>): Promise<RemoteAccount> {
    const operations = Object.entries(changes).map(([name, value]) =>
      value === undefined ? { op: 'remove', path: name } : { op: 'replace', path: name, value },
    );
    const json = await this.patch(account.id, operations);
    return json?.id ? this.toAccount(json) : { ...account, attributes: { ...account.attributes, ...changes } };
  }

  async setEnabled(account: RemoteAccount, enabled: boolean): Promise<void> {
    if (account.enabled === enabled) return;
    await this.patch(account.id, [{ op: 'replace', path: 'active', value: enabled }]);
  }

  async removeMemberships(account: RemoteAccount): Promise<string[]> {
    const groups = await this.call('GET', `/Groups?filter=${encodeURIComponent(`members.value eq ${scimString(account.id)}`)}&excludedAttributes=members`);
    // An application without groups, or that cannot find them by member, has none to end.
    if (groupsUnsupported(groups.status)) return [];
    if (groups.status !== 200) throw new Error(`GET /Groups answered ${groups.status}`);
    const list = ((groups.json?.Resources as Json[] | undefined) ?? []).filter((g) => typeof g.id === 'string');
    for (const group of list) {
      try {
        await this.patchGroup(String(group.id), removeMember(account.id));
      } catch (error) {
        // A group deleted meanwhile holds no one.
        if (!(error instanceof TargetRefusedError && error.code === 'missing-group')) throw error;
      }
    }
    return list.map((g) => String(g.displayName ?? g.id));
  }

  async syncGroups(account: RemoteAccount, wanted: string[], managed: string[]): Promise<GroupChanges> {
    const changes: GroupChanges = { added: [], removed: [] };
    for (const name of managed) {
      const groupId = await this.groupNamed(name);
      // The service provider answers membership; the member list itself may be huge.
      const filter = `id eq ${scimString(groupId)} and members.value eq ${scimString(account.id)}`;
      const { status, json } = await this.call('GET', `/Groups?filter=${encodeURIComponent(filter)}&excludedAttributes=members`);
      if (groupsUnsupported(status)) throw new TargetRefusedError(`the application cannot answer group membership (GET /Groups answered ${status})`, 'groups-unsupported');
      if (status !== 200) throw new Error(`GET /Groups answered ${status}`);
      const isMember = Number(json?.totalResults ?? 0) > 0;
      const wants = wanted.includes(name);
      if (wants === isMember) continue;
      const operation = wants ? { op: 'add', path: 'members', value: [{ value: account.id }] } : removeMember(account.id);
      await this.patchGroup(groupId, operation);
      (wants ? changes.added : changes.removed).push(name);
    }
    return changes;
  }

  async findGroup(name: string): Promise<{ key: string; name: string } | undefined> {
    try {
      await this.groupNamed(name);
      return { key: name, name };
    } catch (error) {
      if (error instanceof TargetRefusedError && error.code === 'missing-group') return undefined;
      throw error;
    }
  }

  /** The id of the group with this displayName. */
  private async groupNamed(name: string): Promise<string> {
    const { status, json } = await this.call('GET', `/Groups?filter=${encodeURIComponent(`displayName eq ${scimString(name)}`)}&excludedAttributes=members`);
    if (groupsUnsupported(status)) throw new TargetRefusedError(`the application has no groups to find "${name}" in (GET /Groups answered ${status})`, 'groups-unsupported');
    if (status !== 200) throw new Error(`GET /Groups answered ${status}`);
    const group = ((json?.Resources as Json[] | undefined) ?? []).find((g) => g.displayName === name && typeof g.id === 'string');
    if (!group) throw new TargetRefusedError(`the application has no group "${name}"`, 'missing-group');
    return String(group.id);
  }

  private async patchGroup(id: string, operation: Json): Promise<void> {
    const { status, json } = await this.call('PATCH', `/Groups/${encodeURIComponent(id)}`, { schemas: [patchSchema], Operations: [operation] });
    if (status === 404) throw new TargetRefusedError(`group ${id} is gone from the application`, 'missing-group');
    // Removing a member who is no longer there is done (RFC 7644 §3.5.2.2 answers noTarget).
    if (status === 400 && json?.scimType === 'noTarget' && operation.op === 'remove') return;
    if (status !== 200 && status !== 204) throw new TargetRefusedError(`PATCH /Groups/${id} answered ${status}: ${JSON.stringify(json?.detail ?? '')}`, 'refused');
  }

  async remove(account: RemoteAccount): Promise<void> {
    const { status } = await this.call('DELETE', `/Users/${encodeURIComponent(account.id)}`);
    // 404: already gone.
    if (status !== 204 && status !== 200 && status !== 404) throw new TargetRefusedError(`DELETE /Users/${account.id} answered ${status}`, 'refused');
  }

  async isUnique(attribute: string, value: string, anchor: string): Promise<boolean> {
    const matches = await this.query(`${attribute} eq ${scimString(value)}`);
    return matches.every((r) => r.externalId === anchor);
  }

  async check(): Promise<void> {
    const { status } = await this.call('GET', '/ServiceProviderConfig');
    if (status !== 200) throw new Error(`GET /ServiceProviderConfig answered ${status}`);
  }

  async close(): Promise<void> {}
}
