import { z } from '@hono/zod-openapi';
import type { FieldError } from '../domain/worker-record';

// One error shape for every answer that is not a success.

export const errorSchema = z
  .object({
    error: z.object({
      code: z.string(),
      message: z.string(),
      details: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
    }),
  })
  .meta({ id: 'Error' });

export type ErrorBody = z.infer<typeof errorSchema>;

export type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 413 | 415 | 422 | 429 | 500 | 503 | 504;

export class ApiError extends Error {
  constructor(
    readonly status: ErrorStatus,
    readonly code: string,
    message: string,
    readonly details?: FieldError[],
    /** Sent as Retry-After: when asking again may succeed (429, 503). */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  body(): ErrorBody {
    return { error: { code: this.code, message: this.message, ...(this.details ? { details: this.details } : {}) } };
  }
}

export const validationFailed = (details: FieldError[]) =>
  new ApiError(400, 'validation_failed', `${details.length} field(s) are invalid: ${details.map((d) => d.path).join(', ')}`, details);

/** A dependency (PostgreSQL, Temporal) cannot be reached or did not answer in time: ask again later. */
export const unavailable = (what: string, retryAfterSeconds: number) =>
  new ApiError(503, 'unavailable', `${what}; try again in ${retryAfterSeconds} s`, undefined, retryAfterSeconds);

const errorContent = { 'application/json': { schema: errorSchema } } as const;

export const errorResponses = {
  400: { description: 'Invalid input: every offending field with a message', content: errorContent },
  401: { description: 'Missing or invalid API key', content: errorContent },
  403: { description: 'The API key lacks the scope', content: errorContent },
  429: { description: 'Too many failed attempts from this client (or for this person): wait for Retry-After', content: errorContent },
  503: { description: 'PostgreSQL or Temporal cannot be reached: ask again after Retry-After', content: errorContent },
} as const;

export const notFoundResponse = { description: 'No such worker', content: errorContent } as const;
