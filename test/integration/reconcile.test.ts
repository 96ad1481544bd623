import { ScheduleNotFoundError } from '@temporalio/client';
import { Attribute, Change } from 'ldapts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureReconcileSchedule, reconcileScheduleId } from '../../worker/reconcile-schedule';
import { newEmployeeId, workerRecord } from '../helpers/builders';
import { isLocked, startTestEnvironment, waitFor, type TestEnvironment } from '../helpers/environment';

// The drift sweep: a Temporal Schedule asks every person with accounts to compare them with
// their desired state, so changes made by hand in a directory are put right without waiting
// for the person's next record.

let env: TestEnvironment;

beforeAll(async () => {
  env = await startTestEnvironment();
});

afterAll(async () => {
  await ensureReconcileSchedule(env.client, { taskQueue: env.taskQueue, every: 'off' }).catch(() => undefined);
  await env?.stop();
});

const inState = (id: string, state: string) => waitFor(async () => ((await env.identity(id))?.state === state ? true : undefined), { what: `${id} ${state}` });

describe('the reconciliation schedule', () => {
  it('is created with the configured interval, follows a new one, and "off" removes it', async () => {
    const handle = env.client.schedule.getHandle(reconcileScheduleId(env.taskQueue));
    await ensureReconcileSchedule(env.client, { taskQueue: env.taskQueue, every: 'PT12H' });
    const created = await handle.describe();
    expect(created.spec.intervals).toEqual([expect.objectContaining({ every: 12 * 3600 * 1000 })]);
    expect(created.action).toMatchObject({ type: 'startWorkflow', workflowType: 'reconcileSweepWorkflow', taskQueue: env.taskQueue });

    // Every worker calls it at start: a second call updates rather than fails.
    await ensureReconcileSchedule(env.client, { taskQueue: env.taskQueue, every: 'PT4H' });
    expect((await handle.describe()).spec.intervals).toEqual([expect.objectContaining({ every: 4 * 3600 * 1000 })]);

    await ensureReconcileSchedule(env.client, { taskQueue: env.taskQueue, every: 'off' });
    await expect(handle.describe()).rejects.toBeInstanceOf(ScheduleNotFoundError);
    await ensureReconcileSchedule(env.client, { taskQueue: env.taskQueue, every: 'off' });
  });

  it('a sweep puts back an attribute edited by hand and a lock undone by a password reset, with the sweep as the actor', async () => {
    const stayer = newEmployeeId();
    await env.put(stayer, workerRecord({ jobTitle: 'Engineer' }));
    const leaver = newEmployeeId();
    const leaverRecord = workerRecord({ jobTitle: 'Analyst' });
    await env.put(leaver, leaverRecord);
    await inState(stayer, 'active');
    await inState(leaver, 'active');
    await env.put(leaver, { ...leaverRecord, asOf: new Date().toISOString(), leaveDate: new Date(Date.now() + 300).toISOString() });
    await inState(leaver, 'terminated');
    await waitFor(async () => isLocked((await env.entry(leaver))!), { what: 'the leaver locked' });

    // Outside Tenure: someone edits a title, and a helpdesk password reset drops the ppolicy lock.
    const stayerDn = (await env.entry(stayer))!.dn;
    await env.admin.modify(stayerDn, new Change({ operation: 'replace', modification: new Attribute({ type: 'title', values: ['Chief Everything Officer'] }) }));
    const leaverDn = (await env.entry(leaver))!.dn;
    await env.admin.modify(leaverDn, new Change({ operation: 'replace', modification: new Attribute({ type: 'userPassword', values: ['reset-by-helpdesk'] }) }));
    expect(isLocked((await env.entry(leaver))!)).toBe(false);

    await ensureReconcileSchedule(env.client, { taskQueue: env.taskQueue, every: 'PT12H' });
    await env.client.schedule.getHandle(reconcileScheduleId(env.taskQueue)).trigger();

    await waitFor(async () => (await env.entry(stayer))?.title === 'Engineer', { what: 'the title put back' });
    await waitFor(async () => isLocked((await env.entry(leaver))!), { what: 'the lock put back' });
    const stayerEvents = await waitFor(async () => {
      const events = await env.events(stayer);
      return events.some((e) => e.kind === 'account.updated' && e.actor === 'tenure:reconcile') ? events : undefined;
    }, { what: 'the correction in the stayer trail' });
    expect(stayerEvents.find((e) => e.kind === 'account.updated' && e.actor === 'tenure:reconcile')!.details.changes).toEqual({
      title: { from: 'Chief Everything Officer', to: 'Engineer' },
    });
    await waitFor(async () => (await env.events(leaver)).some((e) => e.kind === 'account.drift-corrected' && e.actor === 'tenure:reconcile'), {
      what: 'the lock in the leaver trail',
    });
    // The leaver is still terminated: the sweep changed the account, not the lifecycle.
    expect((await env.identity(leaver))?.state).toBe('terminated');
  });
});
