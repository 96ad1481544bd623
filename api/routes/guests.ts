import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { bodyLimit } from 'hono/body-limit';
import { createMiddleware } from 'hono/factory';
import { packageIdSchema } from '../../domain/access-packages';
import { guestCodePattern } from '../../domain/guest-codes';
import { isPlainText, plainTextMessage } from '../../domain/text';
import { presentRequest, requestSchema } from '../access-schemas';
import { validationHook, type AppDeps } from '../app';
import { clientAddress, recordFailedAuthentication, refuseFailedAuthentications, type AppEnv } from '../auth';
import { ApiError, errorResponses, errorSchema } from '../errors';
import { describeGuest, guestOfTicket, guestPackages, guestRequests, issueGuestTicket, requestGuestCode, startGuestRequest, verifyGuestCode } from '../guest-service';

// Guests over JSON: sign in with a mailed code (no API key: these come before the key check),
// then, with the ticket it buys, see and ask for the packages open to their organisation.

const json = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { 'application/json': { schema } } });
const tags = ['Guests'];
const small = bodyLimit({
  maxSize: 8 * 1024,
  onError: () => {
    throw new ApiError(413, 'payload_too_large', 'a guest request body is at most 8 KiB', [{ path: '(body)', message: 'too large' }]);
  },
});
const security = [{ guestTicket: [] }];

const emailSchema = z
  .email({ error: 'expected a mail address' })
  .max(254)
  .transform((v) => v.toLowerCase());
const name = z.string().trim().min(1).max(128).refine(isPlainText, { error: plainTextMessage });

const guestSchema = z
  .object({
    email: z.string(),
    organisation: z.object({ id: z.string(), name: z.string(), state: z.enum(['configured', 'proposed']) }).nullable(),
    guestId: z.string().nullable(),
    state: z.string().nullable().meta({ description: 'The guest identity’s lifecycle state (terminated = blocked), once they were approved' }),
  })
  .meta({ id: 'Guest' });

const guestPackageSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string().nullable(),
    policies: z.array(z.object({ id: z.string(), justification: z.enum(['required', 'optional']), lifetime: z.string(), stages: z.number().int() })),
  })
  .meta({ id: 'GuestPackage' });

const unauthorised = json(errorSchema, 'Missing, wrong or expired guest ticket');
const limited = json(errorSchema, 'Too many attempts: wait for Retry-After');
const tooLarge = json(errorSchema, 'Body too large');

const routes = {
  signIn: createRoute({
    method: 'post',
    path: '/v1/guest-sign-in',
    tags,
    summary: 'Mail a sign-in code to a guest’s address',
    description: 'Answers the same whether or not the address may sign in; a code is mailed only to addresses of connected organisations (or to anyone while some package is open to anyone).',
    middleware: [small] as const,
    request: { body: { required: true, content: { 'application/json': { schema: z.strictObject({ email: emailSchema }) } } } },
    responses: { 202: json(z.object({ accepted: z.literal(true), expiresInSeconds: z.number().int() }), 'If the address may sign in, a code is on its way'), 400: errorResponses[400], 413: tooLarge, 429: limited, 503: errorResponses[503] },
  }),
  verify: createRoute({
    method: 'post',
    path: '/v1/guest-sign-in/verify',
    tags,
    summary: 'Trade a mailed code for a guest ticket',
    middleware: [small] as const,
    request: { body: { required: true, content: { 'application/json': { schema: z.strictObject({ email: emailSchema, code: z.string().regex(guestCodePattern, { error: 'the 8 digits from the mail' }) }) } } } },
    responses: {
      200: json(z.object({ ticket: z.string().meta({ description: 'Send as Authorization: Bearer <ticket> to /v1/guest/…' }), expiresAt: z.string(), guest: guestSchema }), 'Signed in'),
      400: errorResponses[400],
      401: json(errorSchema, 'The code is wrong, used up or expired'),
      413: tooLarge,
      429: limited,
      503: errorResponses[503],
    },
  }),
  me: createRoute({ method: 'get', path: '/v1/guest/me', tags, summary: 'Who the ticket stands for', security, responses: { 200: json(guestSchema, 'The guest'), 401: unauthorised, 429: limited } }),
  packages: createRoute({ method: 'get', path: '/v1/guest/access-packages', tags, summary: 'Packages open to my organisation', security, responses: { 200: json(z.object({ items: z.array(guestPackageSchema) }), 'Packages'), 401: unauthorised, 429: limited } }),
  requests: createRoute({ method: 'get', path: '/v1/guest/access-requests', tags, summary: 'My requests and where each stands', security, responses: { 200: json(z.object({ items: z.array(requestSchema) }), 'My requests'), 401: unauthorised, 429: limited } }),
  request: createRoute({
    method: 'post',
    path: '/v1/guest/access-requests',
    tags,
    summary: 'Ask for a package (with my name, the first time)',
    security,
    middleware: [small] as const,
    request: {
      body: {
        required: true,
        content: {
          'application/json': {
            schema: z.strictObject({
              packageId: packageIdSchema,
              policyId: z.string().max(64).optional(),
              justification: z.string().max(2000).optional(),
              until: z.iso.datetime({ offset: true }).optional(),
              givenName: name.optional(),
              familyName: name.optional(),
            }),
          },
        },
      },
    },
    responses: {
      202: json(requestSchema, 'Stored; its approvals begin'),
      400: errorResponses[400],
      401: unauthorised,
      403: json(errorSchema, 'No policy of the package admits my organisation'),
      404: json(errorSchema, 'No such package'),
      409: json(errorSchema, 'A pending request, the package is disabled, or access already held'),
      413: tooLarge,
      429: limited,
      503: errorResponses[503],
    },
  }),
};

/** `Authorization: Bearer gt_…`: a live guest ticket; wrong ones count against the client address like wrong API keys. */
function guestTicket(deps: AppDeps) {
  const limit = { failures: deps.config.rateLimitPolicy.authFailures, windowMs: deps.config.rateLimitPolicy.authWindowMs };
  return createMiddleware<AppEnv>(async (c, next) => {
    const token = /^Bearer\s+(\S+)$/i.exec(c.req.header('authorization') ?? '')?.[1];
    if (!token) throw new ApiError(401, 'unauthenticated', 'send Authorization: Bearer <guest ticket> from POST /v1/guest-sign-in/verify');
    const address = clientAddress(c);
    const now = deps.now();
    await refuseFailedAuthentications(deps.db, address, limit, now);
    const email = await guestOfTicket(deps, token);
    if (!email) {
      await recordFailedAuthentication(deps.db, address, limit, now);
      throw new ApiError(401, 'unauthenticated', 'the guest ticket is not valid or has expired: sign in again');
    }
    c.set('guestEmail', email);
    await next();
  });
}

const lifetimeText = (lifetime: { duration: string } | { until: string } | { none: true }) => ('duration' in lifetime ? lifetime.duration : 'until' in lifetime ? `until ${lifetime.until}` : 'no end');

/** Mounted before the API key check: sign-in needs no credentials, the guest routes need a ticket. */
export function guestRoutes(deps: AppDeps) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  app.use('/v1/guest/*', guestTicket(deps));

  app.openapi(routes.signIn, async (c) => {
    const { email } = c.req.valid('json');
    const answer = await requestGuestCode(deps, { email, client: clientAddress(c) });
    return c.json({ accepted: true as const, ...answer }, 202);
  });

  app.openapi(routes.verify, async (c) => {
    const { email, code } = c.req.valid('json');
    const guest = await verifyGuestCode(deps, { email, code, client: clientAddress(c) });
    const { ticket, expiresAt } = await issueGuestTicket(deps, email);
    return c.json({ ticket, expiresAt: expiresAt.toISOString(), guest }, 200);
  });

  app.openapi(routes.me, async (c) => c.json(await describeGuest(deps, c.get('guestEmail')), 200));

  app.openapi(routes.packages, async (c) => {
    const open = await guestPackages(deps, c.get('guestEmail'));
    // Guests see what a package is and how it is decided, not the groups behind it.
    const items = open.map(({ accessPackage, policies }) => ({
      id: accessPackage.id,
      name: accessPackage.name,
      description: accessPackage.description ?? null,
      policies: policies.map((p) => ({ id: p.id, justification: p.justification, lifetime: lifetimeText(p.lifetime), stages: p.stages.length })),
    }));
    return c.json({ items }, 200);
  });

  app.openapi(routes.requests, async (c) => c.json({ items: (await guestRequests(deps, c.get('guestEmail'))).map((r) => presentRequest(r)) }, 200));

  app.openapi(routes.request, async (c) => {
    const row = await startGuestRequest(deps, c.get('guestEmail'), c.req.valid('json'));
    return c.json(presentRequest(row), 202);
  });

  return app;
}
