// How a lifecycle task waits for what it needs (an address, a username, an account, a target
// that is back): pure, and free of libraries, because the run workflow uses it in the sandbox.

/** How long a task waits before it fails, unless its definition says otherwise (ISO 8601). */
export const defaultMaxWait = 'PT12H';

/** The failure type of a task that cannot run yet for a reason time can fix: its run waits and asks again. */
export const taskNotReadyType = 'TaskNotReady';

/**
 * The pause before asking again, by how long the task has waited: often at first (a target
 * that is back is noticed within seconds), rarely after hours, so a long wait stays a short history.
 */
export function taskPollDelayMs(waitedMs: number, polls: number): number {
  if (polls < 2) return 5_000 * (polls + 1);
  if (waitedMs < 30 * 60_000) return 15_000;
  if (waitedMs < 2 * 3600_000) return 60_000;
  return 5 * 60_000;
}

/** The error of a task skipped because an earlier one failed: it runs again when the run does. */
export const skippedAfterFailure = 'not run: an earlier task failed';
