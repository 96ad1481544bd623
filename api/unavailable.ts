import { isGrpcServiceError, WorkflowUpdateRPCTimeoutOrCancelledError } from '@temporalio/client';
import { LateInsertError } from '../db/queries/hr-inbox';

// Which dependency an error says is out of reach: such a request is answered 503 with
// Retry-After (in the app's one onError), never 500 — asking again later is the remedy.

/** Socket and postgres.js codes of a connection that could not be made or was lost. */
const connectionCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'CONNECT_TIMEOUT',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
]);

/**
 * PostgreSQL's own: class 08 (connection exception), admin and crash shutdown, "the database
 * system is starting up / shutting down" (57P03), too many connections.
 */
const unavailableStates = /^(08...|57P01|57P02|57P03|53300)$/;

/** gRPC UNAVAILABLE and DEADLINE_EXCEEDED: the Temporal frontend did not answer. */
const temporalStatuses = new Set([14, 4]);

function* causes(error: unknown): Generator<unknown> {
  for (let current = error, depth = 0; current !== undefined && current !== null && depth < 8; depth++) {
    yield current;
    current = (current as { cause?: unknown }).cause;
  }
}

export type Dependency = 'database' | 'temporal';

export function unreachableDependency(error: unknown): Dependency | undefined {
  for (const cause of causes(error)) {
    if (cause instanceof WorkflowUpdateRPCTimeoutOrCancelledError) return 'temporal';
    // A record the database got too late was not stored: as if it had not answered.
    if (cause instanceof LateInsertError) return 'database';
    if (isGrpcServiceError(cause)) return temporalStatuses.has(cause.code) ? 'temporal' : undefined;
    const code = (cause as { code?: unknown }).code;
    if (typeof code === 'string' && (connectionCodes.has(code) || unavailableStates.test(code))) return 'database';
  }
  return undefined;
}
