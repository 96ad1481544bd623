import { DateTime } from 'luxon';
import { z } from 'zod';
import { catalogIdSchema, packageIdSchema } from './access-packages';
import { formatIssues, type FieldError } from './field-errors';
import { parseExactDuration } from './time';

// Access reviews as data: what is reviewed (access-package assignments of one package, a catalog
// or all), of whom (everyone, guests, people inactive for N days), by whom in 1–3 stages, how
// often, and what happens to an item nobody decided. Pure: recurrence, recommendations, the
// outcome of an item and what passes to the next stage are computed here and nowhere else.

export const reviewIdSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]*$/, { error: 'lowercase letters, digits and "-", e.g. quarterly-managers' })
  .max(64);

/** A campaign's id is its workflow id: the review's schedule id and the occurrence's instant. */
export const campaignIdSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:+-]{0,199}$/, { error: 'a campaign id' });
export const reviewItemIdSchema = z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER);

const employeeId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, { error: 'an employee id' }).max(64);

const duration = z.string().superRefine((value, ctx) => {
  try {
    if (parseExactDuration(value) < 1000) ctx.addIssue({ code: 'custom', message: 'at least one second' });
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: (error as Error).message });
  }
});

export const reviewerSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('manager') }),
  /** The person reviews their own access. */
  z.strictObject({ type: z.literal('self') }),
  /** The owners of the package's catalog. */
  z.strictObject({ type: z.literal('owners') }),
  z.strictObject({ type: z.literal('people'), employeeIds: z.array(employeeId).min(1).max(100) }),
]);
export type ReviewerSpec = z.output<typeof reviewerSchema>;

export const reviewDecisions = ['approve', 'deny', 'dont-know'] as const;
export type ReviewDecision = (typeof reviewDecisions)[number];
/** What a stage saw of an item: a reviewer's decision, or none. */
export type StageAnswer = ReviewDecision | 'none';
export type ReviewOutcome = 'approve' | 'deny' | 'none';

const stageSchema = z.strictObject({
  name: z.string().max(200).optional(),
  reviewers: z.array(reviewerSchema).min(1).max(10),
  /** Who reviews when the reviewers above are missing (no manager, the manager left, no owners). */
  fallback: z.array(reviewerSchema).max(10).default([]),
  /** How long the stage lasts; by default the occurrence's duration shared equally by its stages. */
  duration: duration.optional(),
  /** Which answers of this stage go on to the next one; the others end there. */
  passOn: z.array(z.enum(['approve', 'deny', 'dont-know', 'none'])).max(4).default(['approve']),
});
export type ReviewStage = z.output<typeof stageSchema>;

export const frequencies = ['weekly', 'monthly', 'quarterly', 'semi-annually', 'annually', 'once', 'every'] as const;
export type Frequency = (typeof frequencies)[number];

const instant = z.iso.datetime({ offset: true });

const recurrenceSchema = z.strictObject({
  frequency: z.enum(frequencies),
  /** Only with frequency "every": an exact interval (PT30S in tests, P10D for an odd cadence). */
  every: duration.optional(),
  /** The first occurrence; later ones keep its time of day (UTC) and day of week or month. */
  start: instant,
  end: z.discriminatedUnion('type', [z.strictObject({ type: z.literal('never') }), z.strictObject({ type: z.literal('date'), date: instant }), z.strictObject({ type: z.literal('after'), occurrences: z.number().int().min(1).max(10_000) })]).default({ type: 'never' }),
  /** How long each occurrence stays open for decisions. */
  duration,
});
export type Recurrence = z.output<typeof recurrenceSchema>;

const scopeSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('packages'), packages: z.array(packageIdSchema).min(1).max(100) }),
  z.strictObject({ type: z.literal('catalog'), catalog: catalogIdSchema }),
  z.strictObject({ type: z.literal('all-packages') }),
]);
export type ReviewScope = z.output<typeof scopeSchema>;

const whoSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('everyone') }),
  /** People whose employeeType is guest. */
  z.strictObject({ type: z.literal('guests') }),
  /** People whose last sign-in (the optional lastSignIn of their record) is this many days old or older. */
  z.strictObject({ type: z.literal('inactive'), days: z.number().int().min(1).max(3650) }),
]);

export const noResponseDefaults = ['no-change', 'remove', 'approve', 'recommendation'] as const;
export type NoResponseDefault = (typeof noResponseDefaults)[number];

export const reviewSchema = z.strictObject({
  id: reviewIdSchema,
  name: z.string().min(1).max(200),
  description: z.string().max(2000).optional(),
  enabled: z.boolean().default(true),
  scope: scopeSchema,
  who: whoSchema.default({ type: 'everyone' }),
  stages: z.array(stageSchema).min(1).max(3),
  recurrence: recurrenceSchema,
  /** When reviewers are reminded, as fractions of each stage (the midpoint by default). */
  reminders: z.array(z.number().gt(0).lt(1)).max(5).default([0.5]),
  /** Mail every reviewer when a stage opens. */
  openMail: z.boolean().default(true),
  /** What an item nobody decided (or answered "don't know") ends as. */
  noResponse: z.enum(noResponseDefaults).default('no-change'),
  /** Remove what was denied when the campaign ends, or wait for an administrator to apply it. */
  apply: z.enum(['auto', 'manual']).default('auto'),
  /** No sign-in for this many days recommends removal. */
  inactiveDays: z.number().int().min(1).max(3650).default(30),
});
export type AccessReview = z.output<typeof reviewSchema>;

export interface AccessReviewVersion extends AccessReview {
  version: number;
}

const shortestPeriodMs: Record<Exclude<Frequency, 'every' | 'once'>, number> = {
  weekly: 7 * 86_400_000,
  monthly: 28 * 86_400_000,
  quarterly: 89 * 86_400_000,
  'semi-annually': 181 * 86_400_000,
  annually: 365 * 86_400_000,
};
const monthsApart: Partial<Record<Frequency, number>> = { monthly: 1, quarterly: 3, 'semi-annually': 6, annually: 12 };

/** Checks a review as an administrator wrote it, fills every default; every problem is reported with its path. */
export function validateReview(input: unknown): { ok: true; review: AccessReview } | { ok: false; errors: FieldError[] } {
  const parsed = reviewSchema.safeParse(input);
  if (!parsed.success) return { ok: false, errors: formatIssues(parsed.error.issues) };
  const review = parsed.data;
  const errors: FieldError[] = [];
  const { recurrence } = review;
  const start = DateTime.fromISO(recurrence.start, { zone: 'UTC' });
  const durationMs = parseExactDuration(recurrence.duration);
  if (recurrence.frequency === 'every' && !recurrence.every) errors.push({ path: 'recurrence.every', message: 'frequency "every" needs an interval, e.g. P10D' });
  if (recurrence.frequency !== 'every' && recurrence.every) errors.push({ path: 'recurrence.every', message: 'only with frequency "every"' });
  if (monthsApart[recurrence.frequency] && start.day > 28) errors.push({ path: 'recurrence.start', message: 'a monthly or longer review starts on day 1–28, which every month has' });
  const period = recurrence.frequency === 'every' ? (recurrence.every ? parseExactDuration(recurrence.every) : undefined) : recurrence.frequency === 'once' ? undefined : shortestPeriodMs[recurrence.frequency];
  if (period !== undefined && durationMs > period) errors.push({ path: 'recurrence.duration', message: 'an occurrence must end before the next one starts' });
  if (recurrence.end.type === 'date' && Date.parse(recurrence.end.date) <= Date.parse(recurrence.start)) errors.push({ path: 'recurrence.end.date', message: 'must be after the start' });
  const stageTotal = review.stages.reduce((sum, s) => sum + (s.duration ? parseExactDuration(s.duration) : 0), 0);
  if (stageTotal > durationMs) errors.push({ path: 'stages', message: 'the stages last longer than the occurrence' });
  return errors.length > 0 ? { ok: false, errors } : { ok: true, review };
}

/** How long each stage of an occurrence lasts (ms): its own duration, or an equal share of what the others leave. */
export function stageDurations(review: Pick<AccessReview, 'stages' | 'recurrence'>): number[] {
  const total = parseExactDuration(review.recurrence.duration);
  const fixed = review.stages.reduce((sum, s) => sum + (s.duration ? parseExactDuration(s.duration) : 0), 0);
  const open = review.stages.filter((s) => !s.duration).length;
  const share = open > 0 ? Math.floor((total - fixed) / open) : 0;
  return review.stages.map((s) => (s.duration ? parseExactDuration(s.duration) : share));
}

/** The instants (ms into a stage) at which reviewers are reminded. */
export function reminderOffsets(reminders: number[], stageMs: number): number[] {
  return [...new Set(reminders)].sort((a, b) => a - b).map((fraction) => Math.round(stageMs * fraction));
}

/** The start of occurrence `n` (0-based), ignoring the end. */
function occurrenceStart(recurrence: Recurrence, n: number): number {
  const start = DateTime.fromISO(recurrence.start, { zone: 'UTC' });
  switch (recurrence.frequency) {
    case 'once':
      return start.toMillis();
    case 'every':
      return start.toMillis() + n * parseExactDuration(recurrence.every!);
    case 'weekly':
      return start.plus({ weeks: n }).toMillis();
    default:
      return start.plus({ months: n * monthsApart[recurrence.frequency]! }).toMillis();
  }
}

/** The next `count` occurrences starting at or after `from` (epoch ms), within the recurrence's end. */
export function upcomingOccurrences(recurrence: Recurrence, from: number, count: number): number[] {
  const found: number[] = [];
  const limit = recurrence.frequency === 'once' ? 1 : recurrence.end.type === 'after' ? recurrence.end.occurrences : Number.POSITIVE_INFINITY;
  const endAt = recurrence.end.type === 'date' ? Date.parse(recurrence.end.date) : Number.POSITIVE_INFINITY;
  for (let n = 0; n < limit && found.length < count; n++) {
    const at = occurrenceStart(recurrence, n);
    if (at > endAt) break;
    if (at >= from) found.push(at);
  }
  return found;
}

/** A calendar in UTC as a Temporal Schedule takes it (months 1–12, days of week 0 = Sunday). */
export interface ReviewCalendar {
  second: number;
  minute: number;
  hour: number;
  dayOfMonth?: number;
  months?: number[];
  dayOfWeek?: number;
  year?: number;
}

/** When the schedule fires: a calendar, or an exact interval from the start; bounded by start, end and a count. */
export interface ReviewScheduleSpec {
  calendar?: ReviewCalendar;
  interval?: { everyMs: number; offsetMs: number };
  startAt: number;
  endAt?: number;
  /** The schedule stops after this many occurrences. */
  remaining?: number;
}

export function reviewScheduleSpec(recurrence: Recurrence): ReviewScheduleSpec {
  const start = DateTime.fromISO(recurrence.start, { zone: 'UTC' });
  const startAt = start.toMillis();
  const bounds = { startAt, endAt: recurrence.end.type === 'date' ? Date.parse(recurrence.end.date) : undefined, remaining: recurrence.frequency === 'once' ? 1 : recurrence.end.type === 'after' ? recurrence.end.occurrences : undefined };
  if (recurrence.frequency === 'every') {
    const everyMs = parseExactDuration(recurrence.every!);
    return { ...bounds, interval: { everyMs, offsetMs: startAt % everyMs } };
  }
  const time = { second: start.second, minute: start.minute, hour: start.hour };
  if (recurrence.frequency === 'once') return { ...bounds, calendar: { ...time, dayOfMonth: start.day, months: [start.month], year: start.year } };
  if (recurrence.frequency === 'weekly') return { ...bounds, calendar: { ...time, dayOfWeek: start.weekday % 7 } };
  const step = monthsApart[recurrence.frequency]!;
  const months = Array.from({ length: 12 / step }, (_, i) => ((start.month - 1 + i * step) % 12) + 1).sort((a, b) => a - b);
  return { ...bounds, calendar: { ...time, dayOfMonth: start.day, months } };
}

/** Whether a person is in the review's "who". */
export function inReviewScope(who: AccessReview['who'], person: { employeeType: string; lastSignIn?: number }, now: number): boolean {
  if (who.type === 'everyone') return true;
  if (who.type === 'guests') return person.employeeType === 'guest';
  return person.lastSignIn !== undefined && now - person.lastSignIn >= who.days * 86_400_000;
}

/** A person as reviewer resolution sees them. */
export interface ReviewCandidate {
  employeeId: string;
  active: boolean;
  managerEmployeeId?: string;
}

/** The reviewers of one item: the stage's reviewers who are here, or else its fallback; never the person, unless it is a self-review. */
export function reviewersOf(stage: Pick<ReviewStage, 'reviewers' | 'fallback'>, subject: ReviewCandidate, context: { owners: string[]; isActive: (employeeId: string) => boolean }): string[] {
  const resolve = (specs: ReviewerSpec[]) => {
    const found: string[] = [];
    const add = (id: string | undefined, self = false) => {
      if (!id || found.includes(id) || (id === subject.employeeId && !self)) return;
      if (self ? subject.active : context.isActive(id)) found.push(id);
    };
    for (const spec of specs) {
      if (spec.type === 'manager') add(subject.managerEmployeeId);
      else if (spec.type === 'self') add(subject.employeeId, true);
      else if (spec.type === 'owners') context.owners.forEach((id) => add(id));
      else spec.employeeIds.forEach((id) => add(id));
    }
    return found;
  };
  const primary = resolve(stage.reviewers);
  return primary.length > 0 ? primary : resolve(stage.fallback);
}

export interface RecommendationInput {
  person: { state: string; leaveAt?: number; lastSignIn?: number; employeeType: string; department?: string; jobTitle?: string; sponsorLeft?: boolean };
  /** The person's department and job when the access was granted, where known. */
  grantedWith?: { department?: string; jobTitle?: string };
  assignment: { source: 'auto' | 'request' | 'admin'; status: string };
  /** For an automatic assignment: whether its rule still matches the person. */
  ruleMatches?: boolean;
  reviewEndsAt: number;
  inactiveDays: number;
  now: number;
}

export interface Recommendation {
  recommendation: 'approve' | 'deny';
  reason: string;
}

const leavingStates = ['terminated', 'deleted', 'cancelled'];
const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** What the reviewer is advised, and why: the first reason to remove the access, or that none was found. */
export function recommend(input: RecommendationInput): Recommendation {
  const { person, now } = input;
  const deny = (reason: string): Recommendation => ({ recommendation: 'deny', reason });
  if (leavingStates.includes(person.state)) return deny(`the person has left (${person.state})`);
  if (person.leaveAt !== undefined && person.leaveAt <= input.reviewEndsAt) return deny(`the person leaves on ${day(person.leaveAt)}, before the review ends`);
  if (person.employeeType === 'guest' && person.sponsorLeft) return deny('a guest whose sponsor has left');
  if (input.assignment.source === 'auto' && (input.ruleMatches === false || input.assignment.status === 'grace')) return deny("the person no longer matches the package's automatic rule");
  const granted = input.grantedWith;
  if (granted?.department !== undefined && granted.department !== person.department) return deny(`moved from department ${granted.department} to ${person.department ?? 'none'} since the access was granted`);
  if (granted?.jobTitle !== undefined && granted.jobTitle !== person.jobTitle) return deny(`moved from job ${granted.jobTitle} to ${person.jobTitle ?? 'none'} since the access was granted`);
  if (person.lastSignIn !== undefined && now - person.lastSignIn >= input.inactiveDays * 86_400_000) return deny(`no sign-in for ${Math.floor((now - person.lastSignIn) / 86_400_000)} days (since ${day(person.lastSignIn)})`);
  return { recommendation: 'approve', reason: 'nothing suggests removing it' };
}

/** What an item ends as at the close of its last stage: the reviewer's approve or deny, else the review's default. */
export function outcomeOf(answer: StageAnswer, recommendation: 'approve' | 'deny' | undefined, noResponse: NoResponseDefault): { outcome: ReviewOutcome; by: 'reviewer' | 'default' } {
  if (answer === 'approve' || answer === 'deny') return { outcome: answer, by: 'reviewer' };
  const outcome: ReviewOutcome = noResponse === 'remove' ? 'deny' : noResponse === 'approve' ? 'approve' : noResponse === 'recommendation' ? (recommendation ?? 'none') : 'none';
  return { outcome, by: 'default' };
}

/** Whether an item's answer in a stage takes it on to the next stage. */
export function passesOn(stage: Pick<ReviewStage, 'passOn'>, answer: StageAnswer, isLast: boolean): boolean {
  return !isLast && stage.passOn.includes(answer);
}

/** Why a reviewer's decision on an item is refused, or undefined. */
export function refusalOfReviewDecision(item: { id: number; reviewers: string[] } | undefined, reviewer: string, open: boolean): string | undefined {
  if (!open) return 'the stage has ended: decisions can no longer change';
  if (!item) return 'no such item in this campaign stage';
  if (!item.reviewers.includes(reviewer)) return `${reviewer} is not a reviewer of item ${item.id}`;
  return undefined;
}

export interface ItemDecision {
  itemId: number;
  decision: ReviewDecision;
  justification?: string;
}

/** One reviewer's decisions on items of one batch: a Workflow Update to the batch's workflow. */
export interface ReviewDecisionBatch {
  reviewer: string;
  via: 'api' | 'portal' | 'bulk';
  /** Unique per call (the update's id), so a retried call records once. */
  key: string;
  decisions: ItemDecision[];
}

/** What a campaign workflow needs to know of its review, fixed when the campaign opens. */
export interface CampaignPlan {
  campaignId: string;
  reviewId: string;
  version: number;
  stageMs: number[];
  /** Per stage, ms after it opens at which reviewers are reminded. */
  reminderMs: number[][];
  openMail: boolean;
  apply: 'auto' | 'manual';
}

/** Where a campaign stands, as its workflow answers. */
export interface CampaignState {
  campaignId: string;
  status: 'collecting' | 'open' | 'awaiting-apply' | 'applying' | 'applied';
  stage: number;
  stageCount: number;
  stageEndsAt?: number;
  batches: number;
  stopped: boolean;
}
