// The circuit breaker in front of each provisioning target, as pure rules. A target that cannot
// be reached opens the breaker only after failing for a while (failures are counted over time:
// a hundred people failing in the same second are one event); an open breaker probes with
// backoff and closes by itself. A target that refuses Tenure itself (credentials, permissions,
// schema) is quarantined: tried again rarely, or at once by an operator.

export const breakerStates = ['closed', 'open', 'quarantined'] as const;
export type BreakerState = (typeof breakerStates)[number];

/** Why a call to a target failed, as the breaker sees it. */
export type FailureKind = 'unreachable' | 'refused';

export interface BreakerPolicy {
  /** The failures must span at least this long, with no success in between, to open the breaker. */
  openAfterMs: number;
  /** … and number at least this many. */
  minFailures: number;
  /** First probe after opening; each failed probe waits half as long again, up to `maxProbeIntervalMs`. */
  firstProbeMs: number;
  maxProbeIntervalMs: number;
  /** How long a quarantined target waits between attempts. */
  quarantineRetryMs: number;
  /** People brought up to date per second once the breaker closes. */
  drainPerSecond: number;
}

export const defaultBreakerPolicy: BreakerPolicy = {
  openAfterMs: 10_000,
  minFailures: 3,
  firstProbeMs: 10_000,
  maxProbeIntervalMs: 120_000,
  quarantineRetryMs: 3_600_000,
  drainPerSecond: 25,
};

/** The current run of failures with no success in between. */
export interface FailureStreak {
  /** When the first failure of the streak happened. */
  since: number;
  failures: number;
}

/** Whether a closed breaker opens, given the streak after counting the latest failure. */
export function opensBreaker(streak: FailureStreak, now: number, policy: BreakerPolicy): boolean {
  return streak.failures >= policy.minFailures && now - streak.since >= policy.openAfterMs;
}

/** How long after a transition (or a failed probe) the next attempt is due. */
export function nextProbeDelayMs(state: Exclude<BreakerState, 'closed'>, failedProbes: number, policy: BreakerPolicy): number {
  if (state === 'quarantined') return policy.quarantineRetryMs;
  const grown = policy.firstProbeMs * 1.5 ** Math.max(failedProbes, 0);
  return Math.min(Math.round(grown), policy.maxProbeIntervalMs);
}
