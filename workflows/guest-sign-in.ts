import { log, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';

/** The mail server may be down for a while; a code is worth sending only while it would still work. */
const steps = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  scheduleToCloseTimeout: '10 minutes',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/**
 * One sign-in code for one address (`guest-code-{sendId}`): the activity decides whether the
 * address may sign in, makes the code, stores its hash and mails it. The code never passes
 * through this workflow, so it is in no history.
 */
export async function guestSignInCodeWorkflow(input: { sendId: string; email: string }): Promise<boolean> {
  try {
    return (await steps.sendGuestSignInCode(input)).sent;
  } catch (error) {
    log.warn('a guest sign-in code could not be mailed', { error: String(error) });
    return false;
  }
}
