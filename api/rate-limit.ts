import type { DbOrTx } from '../db/client';
import { findFailures, recordFailure, type FailureCount } from '../db/queries/rate-limits';
import { ApiError } from './errors';

// Fixed-window limits on failures (wrong API keys and signatures per client address, wrong
// temporary access passes per person), counted in PostgreSQL so all API processes agree.

export interface Limit {
  failures: number;
  windowMs: number;
}

const secondsLeft = (count: FailureCount, limit: Limit, now: Date) =>
  Math.max(1, Math.ceil((count.windowStartedAt.getTime() + limit.windowMs - now.getTime()) / 1000));

/** 429 with Retry-After while `key` has used up its failures in the open window. */
export async function refuseWhileLimited(db: DbOrTx, key: string, limit: Limit, now: Date, what: string): Promise<void> {
  const count = await findFailures(db, key, now, limit.windowMs);
  if (count && count.failures >= limit.failures) {
    const retryAfter = secondsLeft(count, limit, now);
    throw new ApiError(429, 'too_many_failures', `${count.failures} ${what} within ${limit.windowMs / 1000} s; try again in ${retryAfter} s`, undefined, retryAfter);
  }
}

/** Counts one failure; `reached` is true exactly once per window, when the limit is hit. */
export async function countFailure(db: DbOrTx, key: string, limit: Limit, now: Date): Promise<FailureCount & { reached: boolean }> {
  const count = await recordFailure(db, key, now, limit.windowMs);
  return { ...count, reached: count.failures === limit.failures };
}
