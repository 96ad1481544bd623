import { DAYS_OF_WEEK, MONTHS, ScheduleAlreadyRunning, ScheduleNotFoundError, ScheduleOverlapPolicy, type CalendarSpec, type Client, type ScheduleOptions, type ScheduleSpec } from '@temporalio/client';
import { reviewScheduleSpec, type AccessReview, type ReviewCalendar } from '../domain/access-reviews';
import type * as workflows from '../workflows';
import { accessReviewScheduleId } from '../workflows/messages';

// Each review's occurrences are started by a Temporal Schedule of its own, created or brought up
// to date when the review is saved and paused while it is switched off, so operators see, pause
// and trigger reviews in Temporal UI. A campaign's workflow id is the schedule's id plus the instant.

type WorkflowName = keyof typeof workflows;

function calendar(c: ReviewCalendar): CalendarSpec {
  return {
    second: c.second,
    minute: c.minute,
    hour: c.hour,
    ...(c.dayOfMonth !== undefined ? { dayOfMonth: c.dayOfMonth } : {}),
    ...(c.months ? { month: c.months.map((m) => MONTHS[m - 1]!) } : {}),
    ...(c.dayOfWeek !== undefined ? { dayOfWeek: DAYS_OF_WEEK[c.dayOfWeek]! } : {}),
    ...(c.year !== undefined ? { year: c.year } : {}),
  };
}

export function scheduleSpecOf(review: AccessReview): ScheduleSpec {
  const s = reviewScheduleSpec(review.recurrence);
  return {
    ...(s.calendar ? { calendars: [calendar(s.calendar)] } : { intervals: [{ every: s.interval!.everyMs, offset: s.interval!.offsetMs }] }),
    startAt: new Date(s.startAt),
    ...(s.endAt !== undefined ? { endAt: new Date(s.endAt) } : {}),
  };
}

/** Creates the review's schedule or brings it to the saved definition; paused while the review is disabled. */
export async function ensureReviewSchedule(client: Client, taskQueue: string, review: AccessReview): Promise<void> {
  const scheduleId = accessReviewScheduleId(taskQueue, review.id);
  const { remaining } = reviewScheduleSpec(review.recurrence);
  const note = review.enabled ? `access review ${review.name}` : `access review ${review.name} is disabled`;
  const options: ScheduleOptions = {
    scheduleId,
    spec: scheduleSpecOf(review),
    action: { type: 'startWorkflow', workflowType: 'accessReviewCampaignWorkflow' satisfies WorkflowName, taskQueue, workflowId: scheduleId, args: [{ reviewId: review.id }] },
    // A campaign waiting for an administrator to apply it never holds back the next occurrence.
    policies: { overlap: ScheduleOverlapPolicy.ALLOW_ALL, catchupWindow: '1 minute' },
    state: { paused: !review.enabled, note, ...(remaining !== undefined ? { remainingActions: remaining } : {}) },
  };
  try {
    await client.schedule.create(options);
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
    await client.schedule.getHandle(scheduleId).update((previous) => ({
      ...previous,
      spec: options.spec,
      action: options.action,
      // Occurrences already taken still count against "after N".
      state: { paused: !review.enabled, note, remainingActions: remaining === undefined ? undefined : Math.min(remaining, previous.state.remainingActions ?? remaining) },
    }));
  }
}

/** Starts an occurrence now (an administrator's "start now"), outside the recurrence. */
export async function triggerReview(client: Client, taskQueue: string, reviewId: string): Promise<boolean> {
  try {
    await client.schedule.getHandle(accessReviewScheduleId(taskQueue, reviewId)).trigger(ScheduleOverlapPolicy.ALLOW_ALL);
    return true;
  } catch (error) {
    if (error instanceof ScheduleNotFoundError) return false;
    throw error;
  }
}
