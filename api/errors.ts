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

export class ApiError extends Error {
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 409 | 413 | 415 | 422 | 500 | 503,
    readonly code: string,
    message: string,
    readonly details?: FieldError[],
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

export const errorResponses = {
  400: { description: 'Invalid input: every offending field with a message', content: { 'application/json': { schema: errorSchema } } },
  401: { description: 'Missing or invalid API key', content: { 'application/json': { schema: errorSchema } } },
  403: { description: 'The API key lacks the scope', content: { 'application/json': { schema: errorSchema } } },
} as const;

export const notFoundResponse = { description: 'No such worker', content: { 'application/json': { schema: errorSchema } } } as const;
