import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey, scopes, type Scope } from '../../api/api-keys';
import { guestTicketHash, insertTicket } from '../../db/queries/guests';
import { scopesOf, type PortalRole } from '../../portal/session';
import { startTestEnvironment, type TestEnvironment } from '../helpers/environment';
import { formBody, portalSession } from '../helpers/portal';

// The authorization matrix, generated from the app's own route table: every route is asked
// with no key, a bad key, a key of each scope and a portal session of each role, and the
// answer is compared with the table below of what each may do. A route added without a
// decision here fails the suite.

/**
 * `person`: a self-service key bound to a person (an unbound key, even an admin one, acts as nobody).
 * `portal:…`: a page or form of the portal, for a session with that scope (`portal:signed-in`: any session);
 * `portal:public`: the sign-in pages; `portal:sign-in-form`: the guests' sign-in forms, refused (403) to anyone without
 * the token of the sign-in page (guests.test / the browser test send it); `portal:guest`: a guest's own pages, for a
 * guest's session only. API keys do not open the portal, and sessions do not open the API.
 * `guest`: a guest ticket, never an API key or a session.
 */
type Access = Scope | 'public' | 'signature' | 'person' | 'guest' | 'portal:public' | 'portal:sign-in-form' | 'portal:signed-in' | 'portal:guest' | `portal:${Scope}`;

/** Who may call each route (Hono's path syntax, as the router lists it). */
const decided: Record<string, Access> = {
  'GET /healthz': 'public',
  'GET /readyz': 'public',
  'GET /openapi.json': 'public',
  'GET /docs': 'public',
  'GET /docs/assets/reference.js': 'public',
  'GET /docs/assets/:file{swagger-ui\\.css|swagger-ui-bundle\\.js}': 'public',
  'POST /v1/lifecycle-runs/:runId/tasks/:taskId/resume': 'signature',
  'PUT /v1/workers/:employeeId': 'hr:write',
  'POST /v1/workers/batch': 'hr:write',
  'DELETE /v1/workers/:employeeId': 'hr:write',
  'GET /v1/identities/:employeeId': 'identities:read',
  'GET /v1/identities': 'identities:read',
  'GET /v1/identities/:employeeId/events': 'identities:read',
  'GET /v1/identities/:employeeId/lifecycle-preview': 'identities:read',
  'POST /v1/identities/:employeeId/tap/verify': 'tap:verify',
  'GET /v1/lifecycle-workflows': 'admin',
  'POST /v1/lifecycle-workflows': 'admin',
  'GET /v1/lifecycle-workflows/:id': 'admin',
  'PUT /v1/lifecycle-workflows/:id': 'admin',
  'GET /v1/lifecycle-workflows/:id/versions': 'admin',
  'POST /v1/lifecycle-workflows/:id/enable': 'admin',
  'POST /v1/lifecycle-workflows/:id/disable': 'admin',
  'POST /v1/lifecycle-workflows/:id/run': 'admin',
  'GET /v1/lifecycle-runs': 'identities:read',
  'GET /v1/lifecycle-runs/tasks': 'identities:read',
  'GET /v1/lifecycle-runs/people': 'identities:read',
  'GET /v1/lifecycle-runs/:runId': 'identities:read',
  'POST /v1/lifecycle-runs/:runId/cancel': 'admin',
  'POST /v1/lifecycle-runs/:runId/retry': 'admin',
  'GET /v1/targets': 'identities:read',
  'POST /v1/targets/:name/resume': 'admin',
  'POST /v1/identities/:employeeId/provision': 'admin',
  'GET /v1/identities/:employeeId/access': 'identities:read',
  'POST /v1/access-requests/:id/hooks/:on/resume': 'signature',
  'GET /assets/tenure.css': 'public',
  'GET /approvals/:token': 'public',
  'POST /approvals/:token': 'public',
  'GET /v1/me': 'person',
  'GET /v1/me/access-packages': 'person',
  'GET /v1/me/access-requests': 'person',
  'POST /v1/me/access-requests': 'person',
  'GET /v1/me/assignments': 'person',
  'DELETE /v1/me/assignments/:id': 'person',
  'POST /v1/me/assignments/:id/extend': 'person',
  'GET /v1/me/approvals': 'person',
  'POST /v1/access-requests/:id/decision': 'person',
  'GET /v1/access-requests': 'admin',
  'GET /v1/access-requests/:id': 'admin',
  'POST /v1/access-requests': 'admin',
  'POST /v1/access-requests/:id/cancel': 'admin',
  'GET /v1/access-assignments': 'admin',
  'POST /v1/access-assignments': 'admin',
  'POST /v1/access-assignments/:id/remove': 'admin',
  'GET /v1/catalogs': 'admin',
  'POST /v1/catalogs': 'admin',
  'GET /v1/catalogs/:id': 'admin',
  'PUT /v1/catalogs/:id': 'admin',
  'GET /v1/access-packages': 'admin',
  'POST /v1/access-packages': 'admin',
  'GET /v1/access-packages/:id': 'admin',
  'PUT /v1/access-packages/:id': 'admin',
  'GET /v1/access-packages/:id/versions': 'admin',
  'POST /v1/access-packages/:id/enable': 'admin',
  'POST /v1/access-packages/:id/disable': 'admin',
  'GET /v1/access-packages/:id/conflicts': 'admin',
  'GET /v1/access-packages/:id/rollouts': 'admin',
  'GET /v1/access-reviews': 'admin',
  'POST /v1/access-reviews': 'admin',
  'GET /v1/access-reviews/:id': 'admin',
  'PUT /v1/access-reviews/:id': 'admin',
  'GET /v1/access-reviews/:id/versions': 'admin',
  'POST /v1/access-reviews/:id/enable': 'admin',
  'POST /v1/access-reviews/:id/disable': 'admin',
  'POST /v1/access-reviews/:id/start': 'admin',
  'GET /v1/access-reviews/:id/campaigns': 'admin',
  'GET /v1/access-review-campaigns/:campaignId': 'admin',
  'POST /v1/access-review-campaigns/:campaignId/remind': 'admin',
  'POST /v1/access-review-campaigns/:campaignId/stop': 'admin',
  'POST /v1/access-review-campaigns/:campaignId/apply': 'admin',
  'GET /v1/access-review-campaigns/:campaignId/results': 'admin',
  'GET /v1/access-review-campaigns/:campaignId/export': 'admin',
  'GET /v1/me/reviews': 'person',
  'GET /v1/me/reviews/:campaignId/items': 'person',
  'GET /v1/me/reviews/:campaignId/items/:itemId': 'person',
  'POST /v1/me/reviews/:campaignId/items/:itemId/decision': 'person',
  'POST /v1/me/reviews/:campaignId/bulk': 'person',
  'POST /v1/guest-sign-in': 'public',
  'POST /v1/guest-sign-in/verify': 'public',
  'GET /v1/guest/me': 'guest',
  'GET /v1/guest/access-packages': 'guest',
  'GET /v1/guest/access-requests': 'guest',
  'POST /v1/guest/access-requests': 'guest',
  'GET /v1/connected-organisations': 'admin',
  'POST /v1/connected-organisations': 'admin',
  'GET /v1/connected-organisations/:id': 'admin',
  'PUT /v1/connected-organisations/:id': 'admin',
  'DELETE /v1/connected-organisations/:id': 'admin',
  'GET /portal': 'portal:public',
  'GET /portal/sign-in': 'portal:public',
  'GET /portal/callback': 'portal:public',
  'GET /portal/guest': 'portal:public',
  'POST /portal/guest': 'portal:sign-in-form',
  'POST /portal/guest/code': 'portal:sign-in-form',
  'GET /portal/guest/request': 'portal:guest',
  'GET /portal/guest/request/:packageId': 'portal:guest',
  'POST /portal/guest/request/:packageId': 'portal:guest',
  'GET /portal/guest/requests': 'portal:guest',
  'POST /portal/sign-out': 'portal:signed-in',
  'GET /portal/*': 'portal:signed-in',
  'GET /portal/request': 'portal:self-service',
  'GET /portal/request/:packageId': 'portal:self-service',
  'POST /portal/request/:packageId': 'portal:self-service',
  'GET /portal/access': 'portal:self-service',
  'GET /portal/access/:id/extend': 'portal:self-service',
  'POST /portal/access/:id/extend': 'portal:self-service',
  'POST /portal/access/:id/remove': 'portal:self-service',
  'GET /portal/approvals': 'portal:self-service',
  'POST /portal/approvals/:id': 'portal:self-service',
  'GET /portal/reviews': 'portal:self-service',
  'POST /portal/reviews/:campaignId/items/:itemId': 'portal:self-service',
  'GET /portal/people': 'portal:identities:read',
  'GET /portal/people/:employeeId': 'portal:identities:read',
};

/** Values for path parameters: well formed, naming nothing that exists, so no request changes anything. */
const samples: Record<string, string> = { packageId: 'authz-nothing', employeeId: 'E-AUTHZ-NOBODY', id: 'authz-nothing', runId: 'lifecycle-authz-nothing', taskId: 'task-1', name: 'no-such-target', file: 'swagger-ui.css', on: 'created', token: 'authz-no-such-link', campaignId: 'authz-no-such-campaign', itemId: '1' };

let env: TestEnvironment;
const keys = new Map<Scope, string>();
/** A live guest ticket (of an address no organisation has, so it may see and ask for nothing). */
let ticket: string;
beforeAll(async () => {
  env = await startTestEnvironment({ worker: false });
  ticket = `gt_${'t'.repeat(43)}`;
  await insertTicket(env.db, { tokenHash: guestTicketHash(ticket), email: 'authz@nowhere.test', expiresAt: new Date(Date.now() + 3_600_000) });
  // The self-service key acts as a person (who is not known, so nothing is changed).
  for (const scope of scopes) keys.set(scope, (await createApiKey(env.db, { name: `only-${scope}`, scopes: [scope], employeeId: scope === 'self-service' ? 'E-AUTHZ-ME' : undefined })).key);
});
afterAll(async () => env?.stop());

function routeTable(): string[] {
  return [...new Set(env.app.routes.filter((r) => r.method !== 'ALL').map((r) => `${r.method} ${r.path}`))];
}

const concrete = (path: string) => path.replace(/:(\w+)(\{[^}]*\})?/g, (_, name: string) => samples[name] ?? name).replace(/\*$/, 'no-such-page');

/** The portal's roles: the employees' (by their scopes) and a guest signed in by a mailed code (no scopes). */
type Role = PortalRole | 'guest';

type Credential = { authorization: string } | { role: Role } | { cookie: string };

let address = 0;
async function ask(route: string, credential?: Credential) {
  const [method, path] = route.split(' ') as [string, string];
  const portal = path === '/portal' || path.startsWith('/portal/');
  const headers: Record<string, string> = { 'content-type': portal ? 'application/x-www-form-urlencoded' : 'application/json' };
  let body = method === 'GET' ? undefined : portal ? '' : '{}';
  if (credential && 'authorization' in credential) headers.authorization = credential.authorization;
  if (credential && 'cookie' in credential) headers.cookie = credential.cookie;
  if (credential && 'role' in credential) {
    // A fresh session each time (signing out ends one), and its CSRF token in every form: what is judged is the scope.
    const session = credential.role === 'guest' ? await portalSession(env.db, 'authz@nowhere.test', [], { kind: 'guest' }) : await portalSession(env.db, 'E-AUTHZ-ME', scopesOf(credential.role));
    headers.cookie = session.cookie;
    if (body !== undefined) body = formBody({ csrf: session.csrf });
  }
  // Each request from an address of its own: the bad keys must not trip the failure limit.
  address++;
  const res = await env.app.request(concrete(path), { method, headers, body }, { incoming: { socket: { remoteAddress: `10.9.${address >> 8}.${address & 255}` } } });
  await res.arrayBuffer();
  // The portal sends a browser without a session to sign in (a guest's page: to the guests' sign-in).
  const location = res.headers.get('location') ?? '';
  const toSignIn = res.status === 303 && (location.startsWith('/portal/sign-in') || (path.startsWith('/portal/guest/') && location === '/portal/guest'));
  return { status: res.status, toSignIn };
}

/** What a credential may expect of a route. */
function expectation(access: Access, who: { key?: Scope; role?: Role; guest?: true }): 'allowed' | 'unauthenticated' | 'forbidden' {
  if (access === 'public' || access === 'signature' || access === 'portal:public') return 'allowed';
  if (access === 'portal:sign-in-form') return 'forbidden';
  // A guest ticket opens the guest routes and nothing else; nothing else opens them.
  if (access === 'guest') return who.guest ? 'allowed' : 'unauthenticated';
  if (who.guest) return 'unauthenticated';
  if (access.startsWith('portal:')) {
    if (!who.role) return 'unauthenticated';
    if (access === 'portal:signed-in') return 'allowed';
    if (access === 'portal:guest' || who.role === 'guest') return access === 'portal:guest' && who.role === 'guest' ? 'allowed' : 'forbidden';
    const scope = access.slice('portal:'.length) as Scope;
    return scopesOf(who.role).some((s) => s === scope || s === 'admin') ? 'allowed' : 'forbidden';
  }
  if (!who.key) return 'unauthenticated';
  const scope = who.key;
  return scope === access || (scope === 'admin' && access !== 'person') || (access === 'person' && scope === 'self-service') ? 'allowed' : 'forbidden';
}

describe('authorization matrix', () => {
  it('has a decided access for every route of the app, and no decision for a route that is gone', () => {
    const routes = routeTable();
    expect(routes.filter((route) => !(route in decided)), 'routes without a decided scope').toEqual([]);
    expect(Object.keys(decided).filter((route) => !routes.includes(route)), 'decisions for routes that do not exist').toEqual([]);
  });

  it('answers every route × {no key, bad key, a guest ticket, each scope, each portal role, a portal guest} as the table says', async () => {
    const mismatches: string[] = [];
    const bad = `Bearer tnr_000000000000_${'x'.repeat(43)}`;
    const roles: Role[] = ['employee', 'operator', 'administrator', 'guest'];
    for (const route of routeTable()) {
      const access = decided[route]!;
      const credentials: [string, Credential | undefined, { key?: Scope; role?: Role; guest?: true }][] = [
        ['no key', undefined, {}],
        ['bad key', { authorization: bad }, {}],
        ['a guest ticket', { authorization: `Bearer ${ticket}` }, { guest: true }],
        ['a forged session cookie', { cookie: `tenure_session=${'A'.repeat(43)}` }, {}],
        ...[...keys].map(([scope, key]): [string, Credential, { key: Scope }] => [scope, { authorization: `Bearer ${key}` }, { key: scope }]),
        ...roles.map((role): [string, Credential, { role: Role }] => [`a portal ${role}`, { role }, { role }]),
      ];
      for (const [who, credential, as] of credentials) {
        const expected = expectation(access, as);
        const { status, toSignIn } = await ask(route, credential);
        // The callback is judged by its signature alone: without one it is 401 (or 404 for a run that does not exist), never 403.
        const outcome = status === 403 ? 'forbidden' : toSignIn || (status === 401 && access !== 'signature') ? 'unauthenticated' : 'allowed';
        if (outcome !== expected) mismatches.push(`${route} with ${who}: ${status}, expected ${expected}`);
      }
    }
    expect(mismatches).toEqual([]);
  });

  it('names the scope a key lacks', async () => {
    const res = await env.app.request('/v1/workers/batch', { method: 'POST', headers: { authorization: `Bearer ${keys.get('identities:read')}`, 'content-type': 'application/json' }, body: '{}' });
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({ error: { code: 'forbidden', message: 'this API key lacks the scope hr:write' } });
  });
});
