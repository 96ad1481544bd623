import { describe, expect, it } from 'vitest';
import { linkState } from '../../portal/approval-link';
import type { ApprovalLinkRow, RequestRow } from '../../db/queries/access';
import { csrfMatches, csrfToken, groupsFrom, newSessionId, roleOf, scopesOf, sessionIdHash, sessionStatus, worthTouching } from '../../portal/session';
import { pendingSignInSchema, isLoopbackHttp } from '../../portal/oidc';
import { cookieNames } from '../../portal/context';
import { authorize } from '../../api/auth';
import { Layout, spoken } from '../../portal/render';
import { ApprovalDetails } from '../../portal/approval-view';

// The rules of portal sessions, CSRF tokens and approval links, apart from storage.

const minute = 60_000;
const at = (ms: number) => new Date(Date.UTC(2026, 11, 3, 9) + ms);

describe('session ids', () => {
  it('are 256 random bits, stored only as a SHA-256 that is never the id itself', () => {
    const id = newSessionId();
    expect(id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(newSessionId()).not.toBe(id);
    const hash = sessionIdHash(id)!;
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(hash).not.toContain(id);
    expect(sessionIdHash(id)).toBe(hash);
  });

  it('look up nothing for a cookie that is not the shape of an id (tampered, truncated, hostile)', () => {
    const id = newSessionId();
    for (const bad of [undefined, '', id.slice(1), `${id}x`, `${id.slice(0, 42)}!`, "' or 1=1 --", 'a'.repeat(5000)]) expect(sessionIdHash(bad), String(bad)).toBeUndefined();
    // One character changed is another id altogether.
    const flipped = `${id.slice(0, 42)}${id.endsWith('A') ? 'B' : 'A'}`;
    expect(sessionIdHash(flipped)).not.toBe(sessionIdHash(id));
  });
});

describe('session expiry', () => {
  const row = { expiresAt: at(8 * 60 * minute), lastSeenAt: at(0) };
  it('is live while used within the idle timeout and before its expiry', () => {
    expect(sessionStatus(row, at(29 * minute), 30 * minute)).toBe('live');
    expect(sessionStatus({ ...row, lastSeenAt: at(7 * 60 * minute) }, at(7 * 60 * minute + 20 * minute), 30 * minute)).toBe('live');
  });
  it('ends when idle for the timeout, and at its absolute expiry however busy', () => {
    expect(sessionStatus(row, at(30 * minute), 30 * minute)).toBe('idle');
    expect(sessionStatus({ ...row, lastSeenAt: at(8 * 60 * minute - 1) }, at(8 * 60 * minute), 30 * minute)).toBe('expired');
  });
  it('writes a use down at most once a minute', () => {
    expect(worthTouching(at(0), at(59_999))).toBe(false);
    expect(worthTouching(at(0), at(minute))).toBe(true);
  });
});

describe('CSRF tokens', () => {
  it('match only their own session', () => {
    const one = newSessionId();
    const other = newSessionId();
    expect(csrfMatches(one, csrfToken(one))).toBe(true);
    expect(csrfMatches(one, csrfToken(other))).toBe(false);
    expect(csrfToken(one)).not.toContain(one);
  });
  it('refuse a missing, altered or oversized token', () => {
    const id = newSessionId();
    const token = csrfToken(id);
    for (const bad of [undefined, '', token.slice(1), `${token}x`, `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`, 'x'.repeat(10_000), 42, [token]]) expect(csrfMatches(id, bad), String(bad)).toBe(false);
  });
});

describe('roles and scopes', () => {
  const settings = { operatorGroups: ['tenure-operators'], administratorGroups: ['tenure-admins'], operators: ['E7'], administrators: ['E9'] };
  it('makes everyone an employee, operators and administrators by group or by employee id', () => {
    expect(roleOf({ employeeId: 'E1', groups: [] }, settings)).toBe('employee');
    expect(roleOf({ employeeId: 'E1', groups: ['tenure-operators'] }, settings)).toBe('operator');
    expect(roleOf({ employeeId: 'E7', groups: [] }, settings)).toBe('operator');
    expect(roleOf({ employeeId: 'E1', groups: ['tenure-operators', 'tenure-admins'] }, settings)).toBe('administrator');
    expect(roleOf({ employeeId: 'E9', groups: [] }, settings)).toBe('administrator');
  });
  it('gives the scopes of API keys, judged by the same authorize()', () => {
    const employee = { kind: 'employee' as const, scopes: scopesOf('employee'), employeeId: 'E1' };
    expect(() => authorize(employee, 'self-service')).not.toThrow();
    expect(() => authorize(employee, 'identities:read')).toThrow('your sign-in lacks the scope identities:read');
    expect(() => authorize({ ...employee, scopes: scopesOf('operator') }, 'identities:read')).not.toThrow();
    expect(() => authorize({ ...employee, scopes: scopesOf('operator') }, 'admin')).toThrow(/lacks the scope admin/);
    expect(() => authorize({ ...employee, scopes: scopesOf('administrator') }, 'hr:write')).not.toThrow();
    expect(() => authorize({ kind: 'api-key', scopes: ['identities:read'] }, 'hr:write')).toThrow('this API key lacks the scope hr:write');
  });
  it('reads a groups claim that is a list or one name, and ignores anything else', () => {
    expect(groupsFrom(['a', 1, 'b'])).toEqual(['a', 'b']);
    expect(groupsFrom('a')).toEqual(['a']);
    expect(groupsFrom({ a: 1 })).toEqual([]);
  });
});

describe('cookies and the provider', () => {
  it('are Secure except over plain HTTP on this machine', () => {
    expect(cookieNames('https://tenure.acme.org')).toEqual({ secure: true, session: '__Host-tenure_session', signIn: '__Secure-tenure_sign_in', guestSignIn: '__Secure-tenure_guest_sign_in' });
    expect(cookieNames('http://tenure.acme.org').secure).toBe(true);
    expect(cookieNames('http://localhost:3000').secure).toBe(false);
    expect(cookieNames('http://127.0.0.1:3000').secure).toBe(false);
    expect(isLoopbackHttp('https://localhost')).toBe(false);
  });
  it('keeps only a well-formed pending sign-in', () => {
    expect(pendingSignInSchema.safeParse({ state: 's'.repeat(43), nonce: 'n'.repeat(43), verifier: 'v'.repeat(43), returnTo: '/portal/access' }).success).toBe(true);
    expect(pendingSignInSchema.safeParse({ state: 's', nonce: 'n'.repeat(43), verifier: 'v'.repeat(43), returnTo: '/portal' }).success).toBe(false);
    expect(pendingSignInSchema.safeParse({ state: 's'.repeat(43), nonce: 'n'.repeat(43), verifier: 'v'.repeat(43), returnTo: '/', extra: 1 }).success).toBe(false);
  });
});

describe('approval links', () => {
  const now = at(0);
  const request = { id: 'r0123456789ab', status: 'pending', stage: 1, approvers: ['E2'], outcomeReason: null } as RequestRow;
  const link = { tokenHash: 'h', requestId: request.id, stage: 1, approver: 'E2', expiresAt: at(60 * minute), sentAt: at(0), usedAt: null, createdAt: at(0) } as ApprovalLinkRow;
  it('decide while unused, within the stage deadline, for a current approver', () => {
    expect(linkState(link, request, now)).toMatchObject({ ok: true });
  });
  it('refuse an unknown (or tampered) link, a used one, an expired one and one for a stage that moved on', () => {
    expect(linkState(undefined, undefined, now)).toMatchObject({ ok: false, status: 404 });
    expect(linkState({ ...link, usedAt: at(1) }, request, now)).toMatchObject({ ok: false, status: 410, title: 'This link was already used' });
    expect(linkState(link, request, at(61 * minute))).toMatchObject({ ok: false, status: 410, title: 'This link has expired' });
    expect(linkState(link, { ...request, stage: 2, approvers: ['E3'] }, now)).toMatchObject({ ok: false, status: 410, title: 'This link has expired' });
    expect(linkState(link, { ...request, status: 'approved' }, now)).toMatchObject({ ok: false, status: 410, title: 'This request is already decided' });
  });
});

describe('the layout', () => {
  it('escapes what it shows and carries the session’s CSRF token in the sign-out form', async () => {
    const page = String(await (<Layout title={'<script>alert(1)</script>'} session={{ kind: 'employee', employeeId: 'E1', scopes: ['self-service'], csrf: 'tok"en', idHash: 'h' }} active="access" />).toString());
    expect(page).not.toContain('<script>');
    expect(page).toContain('&lt;script&gt;');
    expect(page).toContain('name="csrf" value="tok&quot;en"');
    expect(page).toContain('aria-current="page"');
    expect(page).not.toContain('/portal/people');
  });

  it('shows a guest their two pages and none of an employee’s; a guest’s session passes no scope', async () => {
    const guest = { kind: 'guest' as const, employeeId: '', guestEmail: 'gita@contoso.test', scopes: [], csrf: 't', idHash: 'h' };
    const page = String(await (<Layout title="Request access" session={guest} active="guest-request" />).toString());
    expect(page).toContain('href="/portal/guest/request"');
    expect(page).toContain('href="/portal/guest/requests"');
    for (const place of ['/portal/request"', '/portal/access', '/portal/approvals', '/portal/reviews', '/portal/people']) expect(page).not.toContain(place);
    for (const scope of ['self-service', 'identities:read', 'admin'] as const) expect(() => authorize(guest, scope)).toThrow(/lacks the scope/);
  });
});

describe('durations on pages', () => {
  it('are said as people say them', () => {
    expect(spoken('P90D')).toBe('90 days');
    expect(spoken('P1W')).toBe('1 week');
    expect(spoken('PT1H30M')).toBe('1 hour 30 minutes');
    expect(spoken('P0D')).toBe('P0D');
    expect(spoken('until 2027-01-01')).toBe('until 2027-01-01');
  });
});

describe('the approval view', () => {
  it('shows who asks for what, the conflict check and what earlier stages decided', async () => {
    const request = { id: 'r0123456789ab', kind: 'new', packageId: 'p', employeeId: 'E1', requestedBy: 'E1', justification: 'needed <b>now</b>', requestedEnd: null, stage: 2, stageCount: 2, stageDeadline: new Date('2026-12-05T10:00:00Z') } as unknown as RequestRow;
    const facts = {
      request,
      accessPackage: { name: 'Project X', resources: [{ target: 'ldap', group: 'cn=x' }] } as never,
      decisions: [{ stage: 1, approver: 'E2', decision: 'approve', justification: 'fine', decidedAt: new Date('2026-12-03T10:00:00Z') }] as never,
      conflict: 'Payments — approve is incompatible with Payments — create',
      name: (id: string) => ({ E1: 'Ada Lovelace', E2: 'Grace Hopper' })[id] ?? id,
      department: 'Engineering',
      timeZone: 'Europe/London',
    };
    const page = String(await (<ApprovalDetails facts={facts} />).toString());
    expect(page).toContain('Ada Lovelace, Engineering');
    expect(page).toContain('needed &lt;b&gt;now&lt;/b&gt;');
    expect(page).toContain('Conflict: Payments — approve is incompatible');
    expect(page).toContain('Stage 1: Grace Hopper approved');
    expect(page).toContain('2 of 2');
  });
});

describe('names on pages', () => {
  it('name a directory group by its first RDN value, and anything else as given', async () => {
    const { groupName } = await import('../../portal/render');
    expect(groupName('cn=project-x,ou=groups,dc=tenure,dc=test')).toBe('project-x');
    expect(groupName('CN=Sales\\, EMEA,OU=Groups,DC=corp')).toBe('Sales, EMEA');
    expect(groupName('Project X')).toBe('Project X');
  });
});
