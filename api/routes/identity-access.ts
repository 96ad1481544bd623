import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { decisionsOf, findRequest, listPackages, liveAssignments, type AssignmentRow } from '../../db/queries/access';
import { findMemberships } from '../../db/queries/group-memberships';
import { findIdentity, identityFacts } from '../../db/queries/identities';
import type { AccessPackageVersion } from '../../domain/access-packages';
import { personAttributes } from '../../domain/lifecycle-workflows';
import { evaluateRule, parseRule, ruleAttributes, type Attributes, type Rule } from '../../domain/rules';
import { employeeIdSchema } from '../../domain/worker-record';
import { validationHook, type AppDeps } from '../app';
import { requireScope, type AppEnv } from '../auth';
import { ApiError, errorResponses, notFoundResponse } from '../errors';

// Why does this person have this? Every group on every target and every package, each with the
// chain that explains it: the rule and the values that matched, the request and its approvers,
// or the administrator and their reason — and when it ends.

const matchedSchema = z.record(z.string(), z.string().nullable()).meta({ description: 'The attributes the rule reads, with the person’s values' });
const grantSchema = z.discriminatedUnion('source', [
  z.object({ source: z.literal('auto'), policyId: z.string(), rule: z.string(), matched: matchedSchema }),
  z.object({
    source: z.literal('request'),
    requestId: z.string(),
    policyId: z.string(),
    requestedBy: z.string(),
    justification: z.string().nullable(),
    approvals: z.array(z.object({ stage: z.number().int(), approver: z.string(), via: z.string(), justification: z.string().nullable(), decidedAt: z.string() })),
  }),
  z.object({ source: z.literal('admin'), grantedBy: z.string(), reason: z.string().nullable() }),
]);
const packageSchema = z.object({
  assignmentId: z.string(),
  packageId: z.string(),
  packageName: z.string(),
  status: z.enum(['active', 'grace', 'held']),
  since: z.string(),
  endsAt: z.string().nullable(),
  graceUntil: z.string().nullable(),
  because: grantSchema,
});
const reasonSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('target-rule'), scope: z.string().nullable(), matched: matchedSchema }),
  z.object({ kind: z.literal('package'), packageId: z.string(), assignmentId: z.string(), endsAt: z.string().nullable() }),
  z.object({ kind: z.literal('lifecycle-run'), runId: z.string() }),
]);
const accessSchema = z
  .object({
    employeeId: z.string(),
    packages: z.array(packageSchema),
    groups: z.array(z.object({ target: z.string(), group: z.string(), since: z.string(), because: z.array(reasonSchema) })),
  })
  .meta({ id: 'IdentityAccess' });

const route = createRoute({
  method: 'get',
  path: '/v1/identities/{employeeId}/access',
  tags: ['Identities'],
  summary: 'Every group and package the person holds, each with the chain that explains it and when it ends',
  security: [{ bearerAuth: [] }],
  middleware: [requireScope('identities:read')] as const,
  request: { params: z.object({ employeeId: employeeIdSchema.meta({ param: { name: 'employeeId', in: 'path' }, example: 'E1001' }) }) },
  responses: { 200: { description: 'The explained access', content: { 'application/json': { schema: accessSchema } } }, ...errorResponses, 404: notFoundResponse },
});

const iso = (date: Date | null) => (date ? date.toISOString() : null);
const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

function matched(rule: Rule, attributes: Attributes): Record<string, string | null> {
  return Object.fromEntries(ruleAttributes(rule).map((name) => [name, attributes[name] === undefined || attributes[name] === null ? null : String(attributes[name])]));
}

export function identityAccessRoutes(deps: AppDeps) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

  async function grantOf(row: AssignmentRow, accessPackage: AccessPackageVersion | undefined, attributes: Attributes): Promise<z.infer<typeof grantSchema>> {
    if (row.source === 'auto') {
      const policy = accessPackage?.policies.find((p) => p.id === row.policyId);
      const rule = policy?.type === 'auto' ? policy.rule : '';
      return { source: 'auto', policyId: row.policyId ?? '', rule, matched: rule ? matched(parseRule(rule, { attributes: personAttributes }), attributes) : {} };
    }
    if (row.source === 'request' && row.requestId) {
      const [request, decisions] = await Promise.all([findRequest(deps.db, row.requestId), decisionsOf(deps.db, row.requestId)]);
      return {
        source: 'request',
        requestId: row.requestId,
        policyId: row.policyId ?? '',
        requestedBy: request?.requestedBy ?? '',
        justification: request?.justification ?? null,
        approvals: decisions.filter((d) => d.decision === 'approve').map((d) => ({ stage: d.stage, approver: d.approver, via: d.via, justification: d.justification, decidedAt: d.decidedAt.toISOString() })),
      };
    }
    return { source: 'admin', grantedBy: row.grantedBy, reason: row.reason };
  }

  app.openapi(route, async (c) => {
    const { employeeId } = c.req.valid('param');
    const identity = await findIdentity(deps.db, employeeId);
    if (!identity) throw new ApiError(404, 'not_found', `no identity ${employeeId}`);
    const attributes = identityFacts(identity, identity.state === 'cancelled').attributes;
    const [assignments, packages, memberships] = await Promise.all([liveAssignments(deps.db, employeeId), listPackages(deps.db), findMemberships(deps.db, employeeId)]);
    const byId = new Map(packages.map((p) => [p.id, p]));
    const held = [];
    for (const row of assignments) {
      held.push({
        assignmentId: row.id,
        packageId: row.packageId,
        packageName: byId.get(row.packageId)?.name ?? row.packageId,
        status: row.status as 'active' | 'grace' | 'held',
        since: row.startsAt.toISOString(),
        endsAt: iso(row.endsAt),
        graceUntil: iso(row.graceUntil),
        because: await grantOf(row, byId.get(row.packageId), attributes),
      });
    }
    const groups = memberships.map((m) => {
      const because: z.infer<typeof reasonSchema>[] = [];
      const target = deps.config.targets.find((t) => t.config.name === m.system);
      for (const g of target?.groups ?? []) {
        if (same(g.group, m.groupDn) && (!g.scope || evaluateRule(g.scope, attributes))) because.push({ kind: 'target-rule', scope: target?.config.groups.find((x) => same(x.group, g.group))?.scope ?? null, matched: g.scope ? matched(g.scope, attributes) : {} });
      }
      for (const row of assignments) {
        if (row.status === 'held') continue;
        if (byId.get(row.packageId)?.resources.some((r) => r.target === m.system && same(r.group, m.groupDn))) because.push({ kind: 'package', packageId: row.packageId, assignmentId: row.id, endsAt: iso(row.graceUntil ?? row.endsAt) });
      }
      if (m.addedByRun) because.push({ kind: 'lifecycle-run', runId: m.addedByRun });
      return { target: m.system, group: m.groupDn, since: m.addedAt.toISOString(), because };
    });
    return c.json({ employeeId, packages: held, groups }, 200);
  });

  return app;
}
