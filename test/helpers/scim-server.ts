import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import express from 'express';
import SCIMMY from 'scimmy';
import SCIMMYRouters from 'scimmy-routers';
import { freePort } from '../../scripts/ports';

// An independent SCIM 2.0 service provider for tests: the scimmy package (filters, PatchOp,
// schemas) behind scimmy-routers, with in-memory users and groups, bearer auth, and switches
// that make it answer 429 or 500, or be down.

type User = Record<string, unknown> & { id: string; userName: string };
type Group = Record<string, unknown> & { id: string; displayName: string; members?: { value: string }[] };

export interface ScimFaults {
  /** An outage that eases off: every request answers 503 until `unavailableUntil`, then 429 with Retry-After until `throttledUntil` (epoch ms). */
  outage?: { unavailableUntil: number; throttledUntil: number; retryAfterSeconds: number };
  /** The next N requests answer 429 with Retry-After: 1. */
  throttle: number;
  /** The next N requests answer 500. */
  fail: number;
  /** Every request answers 503 while true. */
  down: boolean;
  /** /Groups answers 501 Not Implemented while true, like an application without groups. */
  noGroups: boolean;
  /** Every request answers 401 while true, as if Tenure's token had been revoked. */
  unauthorized: boolean;
}

/** `token` is the bearer token it accepts; `basic` adds a username and password it accepts too. */
export async function startScimServer(token: string, basic?: { username: string; password: string }) {
  const users = new Map<string, User>();
  const groups = new Map<string, Group>();
  const faults: ScimFaults = { throttle: 0, fail: 0, down: false, noGroups: false, unauthorized: false };
  const requests: { method: string; path: string; status: number }[] = [];

  SCIMMY.Resources.declare(SCIMMY.Resources.User)
    .ingress((resource, data) => {
      const id = (resource.id as string | undefined) ?? randomUUID();
      if (resource.id && !users.has(id)) throw new SCIMMY.Types.Error(404, null as never, `no user ${id}`);
      const userName = String((data as { userName?: string }).userName ?? '');
      for (const other of users.values()) {
        if (other.id !== id && other.userName.toLowerCase() === userName.toLowerCase()) throw new SCIMMY.Types.Error(409, 'uniqueness', `userName ${userName} is taken`);
      }
      const user = { ...(data as object), id, userName } as User;
      users.set(id, user);
      return user;
    })
    .egress((resource) => {
      if (resource.id) {
        const user = users.get(resource.id as string);
        if (!user) throw new SCIMMY.Types.Error(404, null as never, `no user ${String(resource.id)}`);
        return user;
      }
      const all = [...users.values()];
      return resource.filter ? resource.filter.match(all) : all;
    })
    .degress((resource) => {
      if (!users.delete(resource.id as string)) throw new SCIMMY.Types.Error(404, null as never, `no user ${String(resource.id)}`);
    });
  SCIMMY.Resources.declare(SCIMMY.Resources.Group)
    .ingress((resource, data) => {
      const id = (resource.id as string | undefined) ?? randomUUID();
      if (resource.id && !groups.has(id)) throw new SCIMMY.Types.Error(404, null as never, `no group ${id}`);
      // Stored as plain JSON with members always present: scimmy's filter fails on a group without them.
      const plain = JSON.parse(JSON.stringify(data)) as Partial<Group>;
      const group = { ...plain, members: plain.members ?? [], id } as Group;
      groups.set(id, group);
      return group;
    })
    .egress((resource) => {
      if (resource.id) {
        const group = groups.get(resource.id as string);
        if (!group) throw new SCIMMY.Types.Error(404, null as never, `no group ${String(resource.id)}`);
        return group;
      }
      const all = [...groups.values()];
      return resource.filter ? resource.filter.match(all) : all;
    })
    .degress((resource) => {
      if (!groups.delete(resource.id as string)) throw new SCIMMY.Types.Error(404, null as never, `no group ${String(resource.id)}`);
    });

  const app = express();
  app.use((req, res, next) => {
    const record = (status: number) => requests.push({ method: req.method, path: req.path, status });
    const now = Date.now();
    if (faults.outage && now < faults.outage.throttledUntil) {
      const unavailable = now < faults.outage.unavailableUntil;
      record(unavailable ? 503 : 429);
      if (!unavailable) res.set('Retry-After', String(faults.outage.retryAfterSeconds));
      res.status(unavailable ? 503 : 429).json({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: unavailable ? '503' : '429', detail: unavailable ? 'down for maintenance' : 'slow down' });
      return;
    }
    if (faults.down) {
      record(503);
      res.status(503).end();
      return;
    }
    if (faults.unauthorized) {
      record(401);
      res.status(401).json({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '401', detail: 'token revoked' });
      return;
    }
    if (faults.throttle > 0) {
      faults.throttle -= 1;
      record(429);
      res.status(429).set('Retry-After', '1').json({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '429', detail: 'slow down' });
      return;
    }
    if (faults.fail > 0) {
      faults.fail -= 1;
      record(500);
      res.status(500).json({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '500', detail: 'boom' });
      return;
    }
    if (faults.noGroups && req.path.startsWith('/scim/v2/Groups')) {
      record(501);
      res.status(501).json({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '501', detail: 'no groups here' });
      return;
    }
    res.on('finish', () => record(res.statusCode));
    next();
  });
  app.use(
    '/scim/v2',
    new SCIMMYRouters({
      type: 'bearer',
      docUri: 'https://example.com/scim-auth',
      handler: (request: express.Request) => {
        const accepted = [`Bearer ${token}`, ...(basic ? [`Basic ${Buffer.from(`${basic.username}:${basic.password}`).toString('base64')}`] : [])];
        if (!accepted.includes(request.header('authorization') ?? '')) throw new Error('Authorization not detected!');
        return 'tenure';
      },
    }),
  );
  const port = await freePort();
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(port, '127.0.0.1', () => resolve(s));
  });
  return {
    baseUrl: `http://127.0.0.1:${port}/scim/v2`,
    users,
    faults,
    requests,
    byExternalId: (externalId: string) => [...users.values()].filter((u) => u.externalId === externalId),
    addGroup: (displayName: string) => {
      const id = randomUUID();
      groups.set(id, { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], id, displayName, members: [] });
    },
    /** The user ids in the group with this displayName. */
    membersOf: (displayName: string) => [...groups.values()].filter((g) => g.displayName === displayName).flatMap((g) => (g.members ?? []).map((m) => m.value)),
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
