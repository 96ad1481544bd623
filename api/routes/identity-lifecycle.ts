import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { consumePass, findLivePasses, lockLivePasses, passMatches } from '../../db/queries/access-passes';
import { appendAuditEvents } from '../../db/queries/audit';
import { clearFailures } from '../../db/queries/rate-limits';
import { findIdentity } from '../../db/queries/identities';
import { findDefinition } from '../../db/queries/lifecycle-workflows';
import { findRun, findTaskRun } from '../../db/queries/lifecycle-runs';
import { verifySignature } from '../../domain/signature';
import { runIdSchema, taskIdSchema } from '../../domain/lifecycle-workflows';
import { storableText } from '../../domain/text';
import { employeeIdSchema, formatIssues } from '../../domain/worker-record';
import { resumeTaskUpdate } from '../../workflows/messages';
import { validationHook, type AppDeps } from '../app';
import { lifecyclePreview, previewStatuses } from '../lifecycle-preview';
import { clientAddress, recordFailedAuthentication, refuseFailedAuthentications, requireScope, type AppEnv } from '../auth';
import { ApiError, errorResponses, errorSchema, validationFailed } from '../errors';
import { countFailure, refuseWhileLimited } from '../rate-limit';

const passFailureKey = (employeeId: string) => `pass:${employeeId}`;

// What lifecycle workflows will do for a person (preview), the temporary access pass check a
// sign-in system calls, and the signed way back for custom extensions.

const employeeIdParam = z.object({ employeeId: employeeIdSchema.meta({ param: { name: 'employeeId', in: 'path' }, example: 'E1001' }) });
const notFound = { description: 'No such identity', content: { 'application/json': { schema: errorSchema } } };

const previewItem = z.object({
  workflowId: z.string(),
  name: z.string(),
  category: z.string(),
  version: z.number().int(),
  trigger: z.string(),
  status: z.enum(previewStatuses),
  at: z.string().nullable(),
  runId: z.string().nullable(),
});

const preview = createRoute({
  method: 'get',
  path: '/v1/identities/{employeeId}/lifecycle-preview',
  tags: ['Lifecycle workflows'],
  summary: 'Which lifecycle workflows apply to this person, and at which instants their runs start',
  security: [{ bearerAuth: [] }],
  middleware: [requireScope('identities:read')],
  request: { params: employeeIdParam },
  responses: { 200: { description: 'The preview', content: { 'application/json': { schema: z.object({ employeeId: z.string(), at: z.string(), items: z.array(previewItem) }).meta({ id: 'LifecyclePreview' }) } } }, ...errorResponses, 404: notFound },
});

const verifyPass = createRoute({
  method: 'post',
  path: '/v1/identities/{employeeId}/tap/verify',
  tags: ['Temporary access passes'],
  summary: 'Check a temporary access pass (a one-time pass is used up; a few wrong ones lock the person’s passes)',
  security: [{ bearerAuth: [] }],
  middleware: [requireScope('tap:verify')],
  request: { params: employeeIdParam, body: { required: true, content: { 'application/json': { schema: z.strictObject({ pass: z.string().min(1).max(100) }) } } } },
  responses: {
    200: { description: 'valid: whether the pass signs this person in', content: { 'application/json': { schema: z.object({ valid: z.boolean(), expiresAt: z.string().optional(), oneTime: z.boolean().optional() }) } } },
    ...errorResponses,
    404: notFound,
  },
});

export function identityLifecycleRoutes(deps: AppDeps) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

  app.openapi(preview, async (c) => {
    const { employeeId } = c.req.valid('param');
    const identity = await findIdentity(deps.db, employeeId);
    if (!identity) throw new ApiError(404, 'not_found', `no identity ${employeeId}`);
    const now = deps.now();
    return c.json({ employeeId, at: now.toISOString(), items: await lifecyclePreview(deps.db, identity, now) }, 200);
  });

  const passLimit = { failures: deps.config.rateLimitPolicy.passFailures, windowMs: deps.config.rateLimitPolicy.passWindowMs };

  app.openapi(verifyPass, async (c) => {
    const { employeeId } = c.req.valid('param');
    const { pass } = c.req.valid('json');
    const now = deps.now();
    // A stranger has no passes: nothing is counted or written for an id nobody sent.
    if (!(await findIdentity(deps.db, employeeId))) throw new ApiError(404, 'not_found', `no identity ${employeeId}`);
    const key = passFailureKey(employeeId);
    await refuseWhileLimited(deps.db, key, passLimit, now, `wrong temporary access passes for ${employeeId}`);
    const candidates = await findLivePasses(deps.db, employeeId, now);
    // Every live pass is compared, so the time taken says nothing about which one matched.
    const match = candidates.map((row) => ({ row, ok: passMatches(row, pass) })).find((x) => x.ok)?.row;
    const valid = match !== undefined && (!match.oneTime || (await consumePass(deps.db, match.id)));
    const actor = c.get('apiKey').name;
    if (valid) {
      await clearFailures(deps.db, key);
      await appendAuditEvents(deps.db, [
        { employeeId, kind: 'access-pass.accepted', actor, system: 'tenure', summary: `temporary access pass accepted${match.oneTime ? ' and used up' : ''}`, details: {} },
      ]);
      return c.json({ valid, expiresAt: match.expiresAt.toISOString(), oneTime: match.oneTime }, 200);
    }
    const count = await countFailure(deps.db, key, passLimit, now);
    const counts = { failures: count.failures, limit: passLimit.failures, windowSeconds: passLimit.windowMs / 1000 };
    const refused = { employeeId, kind: 'access-pass.refused', actor, system: 'tenure', summary: `a temporary access pass was refused (${count.failures} of ${passLimit.failures} wrong)`, details: counts };
    if (!count.reached) {
      await appendAuditEvents(deps.db, [refused]);
    } else {
      const locked = await lockLivePasses(deps.db, employeeId, now);
      const summary = `${count.failures} wrong temporary access passes: ${locked} live pass${locked === 1 ? '' : 'es'} locked; a new one must be issued`;
      await appendAuditEvents(deps.db, [refused, { employeeId, kind: 'access-pass.locked', actor, system: 'tenure', summary, details: { ...counts, locked } }]);
    }
    return c.json({ valid: false }, 200);
  });

  return app;
}

const resumeBody = z.strictObject({ outcome: z.enum(['completed', 'failed']), message: storableText(2000).optional() });

/** A callback is small: its body is read up to this many bytes, and no further before the signature is checked. */
export const maxCallbackBytes = 4096;

/** The body as text, refusing (413) as soon as it is longer than `maxBytes`: a declared length is believed first. */
async function readUpTo(request: Request, maxBytes: number): Promise<string> {
  const tooLarge = () => new ApiError(413, 'payload_too_large', `a callback body is at most ${maxBytes} bytes`);
  const declared = Number(request.headers.get('content-length') ?? '0');
  if (!Number.isFinite(declared) || declared > maxBytes) throw tooLarge();
  if (!request.body) return '';
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (let part = await reader.read(); !part.done; part = await reader.read()) {
    size += part.value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      throw tooLarge();
    }
    chunks.push(part.value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * `POST /v1/lifecycle-runs/{runId}/tasks/{taskId}/resume`: a custom extension reports back.
 * Unauthenticated but signed: the path is checked first, then at most 4 KiB of body is read,
 * the signature is verified, and only then is the body parsed. Failures count against the
 * caller's address like wrong API keys.
 */
export function extensionCallbackRoutes(deps: AppDeps) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  const limit = { failures: deps.config.rateLimitPolicy.authFailures, windowMs: deps.config.rateLimitPolicy.authWindowMs };
  const route = createRoute({
    method: 'post',
    path: '/v1/lifecycle-runs/{runId}/tasks/{taskId}/resume',
    tags: ['Lifecycle runs'],
    summary: 'A launched-and-waiting custom extension reports completed or failed',
    description:
      'Signed like the call the extension received: X-Tenure-Timestamp (Unix seconds) and X-Tenure-Signature: sha256=HMAC-SHA256(secret, "<timestamp>.<body>"). Body (at most 4 KiB): {"outcome": "completed" | "failed", "message"?}.',
    request: { params: z.object({ runId: runIdSchema, taskId: taskIdSchema }) },
    responses: {
      202: { description: 'The run resumes', content: { 'application/json': { schema: z.object({ accepted: z.literal(true) }) } } },
      400: errorResponses[400],
      401: { description: 'Missing or wrong signature', content: { 'application/json': { schema: errorSchema } } },
      404: { description: 'No such run or task', content: { 'application/json': { schema: errorSchema } } },
      409: { description: 'The task is not waiting for an answer', content: { 'application/json': { schema: errorSchema } } },
      413: { description: 'The body is larger than 4 KiB', content: { 'application/json': { schema: errorSchema } } },
      429: errorResponses[429],
      503: errorResponses[503],
    },
  });
  app.openapi(route, async (c) => {
    const { runId, taskId } = c.req.valid('param');
    const now = deps.now();
    const address = clientAddress(c);
    await refuseFailedAuthentications(deps.db, address, limit, now);
    const raw = await readUpTo(c.req.raw, maxCallbackBytes);
    const run = await findRun(deps.db, runId);
    const task = run && (await findTaskRun(deps.db, runId, taskId));
    if (!run || !task || task.taskType !== 'run-custom-extension') {
      // Guessing run ids is probing: it counts like a wrong signature.
      await recordFailedAuthentication(deps.db, address, limit, now);
      throw new ApiError(404, 'not_found', `no custom extension task ${taskId} in run ${runId}`);
    }
    const definition = await findDefinition(deps.db, run.workflowId, run.version ?? undefined);
    const extension = definition?.tasks.find((t) => t.id === taskId)?.args.extension as string | undefined;
    const secret = extension ? deps.config.customExtensions[extension]?.secret : undefined;
    if (!secret || !(await verifySignature(secret, c.req.header('x-tenure-timestamp'), raw, c.req.header('x-tenure-signature'), now))) {
      await recordFailedAuthentication(deps.db, address, limit, now);
      throw new ApiError(401, 'bad_signature', 'the request is not signed with the extension secret (or the timestamp is too old)');
    }
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      throw validationFailed([{ path: '(body)', message: 'not JSON: expected {"outcome": "completed" | "failed", "message"?: string}' }]);
    }
    const parsed = resumeBody.safeParse(json);
    if (!parsed.success) throw validationFailed(formatIssues(parsed.error.issues));
    const { client } = deps.temporal;
    try {
      await client.withDeadline(Date.now() + deps.deliveryTimeoutMs, () => client.workflow.getHandle(runId).executeUpdate(resumeTaskUpdate, { args: [{ taskId, ...parsed.data }] }));
    } catch (error) {
      if (error instanceof WorkflowUpdateFailedError) throw new ApiError(409, 'not_waiting', `task ${taskId} is not waiting for an answer`);
      if (error instanceof WorkflowNotFoundError) throw new ApiError(409, 'not_waiting', `run ${runId} has no workflow running in Temporal`);
      throw error;
    }
    return c.json({ accepted: true as const }, 202);
  });
  return app;
}
